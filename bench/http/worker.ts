// Bench-only worker entry: the production app plus routes that exist only for `npm run bench`.
// It is never deployed (the root wrangler.toml points at src/index.ts); bench/http/wrangler.toml
// points here. The extra routes are registered on the app that createApp() built, so they run
// behind exactly the same global middleware as every real route (security headers, request
// context, CORS, body limit, origin check, 405 handling, error handler).
import { eq } from "drizzle-orm";
import type { Env } from "../../src/env";
import { createApp } from "../../src/app";
import { handleScheduled } from "../../src/cron/scheduled";
import { organizations } from "../../src/db/schema";
import { hashToken } from "../../src/lib/crypto";
import { getPasswordHashingStats } from "../../src/lib/password";
import { findValidSession } from "../../src/platform/sessions/repo";
import { validateSessionToken } from "../../src/platform/sessions/service";
import { readSessionCookie } from "../../src/middleware/session-cookie";
import { registerLedgerBenchRoutes } from "../ai/routes";

export { RateLimiter } from "../../src/rate-limit/rate-limiter";

const app = createApp();
registerLedgerBenchRoutes(app); // the AI ledger bench (bench/ai/ledger.mjs)

/**
 * The baseline of the /users/me target: one indexed D1 read (organization by primary key)
 * through drizzle, no authentication. `id` is the organization to read; a miss is still one read.
 */
app.get("/bench/baseline", async (c) => {
  const id = c.req.query("id") ?? "";
  const rows = await c
    .get("db")
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.id, id))
    .limit(1);
  return c.json({ id: rows[0]?.id ?? null }, 200);
});

// Profiling routes (bench/run.mjs --profile): /users/me taken apart one step at a time.

/** Global middleware only: no D1 at all. */
app.get("/bench/noop", (c) => c.json({ ok: true }, 200));

/** SHA-256 of the session cookie only (what validateSessionToken hashes), no D1. */
app.get("/bench/sha", async (c) => {
  const token = readSessionCookie(c) ?? "";
  return c.json({ hash: (await hashToken(token)).slice(0, 8) }, 200);
});

/** The session join as production runs it (prepared once per binding), without the access middleware. */
app.get("/bench/join", async (c) => {
  const token = readSessionCookie(c) ?? "";
  const row = await findValidSession(c.get("db"), await hashToken(token), Date.now());
  return c.json({ id: row?.userId ?? null }, 200);
});

/** The same join as raw D1 (prepare/bind/first), skipping drizzle's query builder and mapping. */
app.get("/bench/join-raw", async (c) => {
  const token = readSessionCookie(c) ?? "";
  const row = await c.env.DB.prepare(
    `SELECT s.id AS session_id, s.expires_at, u.id AS user_id, u.email, u.first_name, u.last_name, u.role,
            u.password_hash IS NOT NULL AS has_password, u.email_verified_at, u.created_at,
            o.id AS organization_id, o.name AS organization_name
       FROM session s
       JOIN user u ON u.id = s.user_id
       JOIN organization o ON o.id = u.organization_id
      WHERE s.token_hash = ? AND s.expires_at > ? AND u.suspended_at IS NULL
        AND u.email_verified_at IS NOT NULL AND o.suspended_at IS NULL
      LIMIT 1`,
  )
    .bind(await hashToken(token), Date.now())
    .first<{ user_id: string }>();
  return c.json({ id: row?.user_id ?? null }, 200);
});

/** validateSessionToken exactly as the access middleware calls it, without the role check. */
app.get("/bench/validate", async (c) => {
  const token = readSessionCookie(c) ?? "";
  const session = await validateSessionToken(c.get("db"), token);
  return c.json({ id: session?.user.id ?? null }, 200);
});

/** The Argon2 stage of this isolate: WASM heap size and the most hashes ever admitted at once. */
app.get("/bench/hashing-stats", (c) =>
  c.json(getPasswordHashingStats({ maxConcurrent: c.get("config").argon2.maxConcurrent }), 200),
);

export default {
  fetch: app.fetch,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Env>;
