// Runs before each test file: applies migrations/ to the test D1 (idempotent: applied ones are
// skipped), then puts every table back to its seeded state (test/helpers/d1-reset.ts), so each
// file starts from the database migrations/ alone produce, as when each file had a workerd of its
// own.
import { applyD1Migrations, env } from "cloudflare:test";
import { resetD1ToSeed } from "./helpers/d1-reset";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
await resetD1ToSeed();
