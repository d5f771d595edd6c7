// Tests run inside workerd with the worker's real bindings; D1 migrations are applied in setup.
// globalSetup starts, in Node, what the tests need outside workerd (the OpenID provider standing in
// for Google); tests read its addresses with inject().
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defaultExclude, defineConfig } from "vitest/config";
import { copyDocsAssets } from "./scripts/copy-docs-assets.mjs";

// The pool reads wrangler.toml through wrangler once per test file, and wrangler announces each
// time that it merged .dev.vars ("Using secrets defined in .dev.vars", 44 lines). Its warnings and
// errors still print.
process.env.WRANGLER_LOG ??= "warn";

// stripe and standardwebhooks publish a .js.map beside each ESM module that points to TypeScript sources it does not
// ship, so Vite warns "Sourcemap for ... points to missing source files" for every module it loads
// (218 lines). Loading those modules as plain code skips their maps; stack traces into stripe then
// name its .js files, which exist.
const PACKAGES_WITH_DANGLING_SOURCEMAPS = ["stripe", "standardwebhooks"];

const skipDanglingSourcemaps = {
  name: "rampart:skip-dangling-sourcemaps",
  enforce: "pre" as const,
  async load(id: string) {
    const file = id.split("?")[0] ?? id;
    if (!PACKAGES_WITH_DANGLING_SOURCEMAPS.some((name) => file.includes(`/node_modules/${name}/`))) return null;
    const code = await readFile(file, "utf8");
    return { code: code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n"), map: null };
  },
};

export default defineConfig(async () => {
  // wrangler.toml's [assets] directory must hold Swagger UI's files before the pool reads it (its
  // [build] command does this for wrangler dev and deploy, not for the pool).
  await copyDocsAssets();
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      skipDanglingSourcemaps,
      cloudflareTest({
        main: "./src/index.ts",
        // workerd's --verbose logs an internal "Uncaught (in promise) Error: Network connection
        // lost." with a native stack for every refused outbound connection, even when the app
        // catches the fetch's rejection (the Google tests' "provider down" cases). Test failures
        // and the workers' own console output do not depend on it.
        verbose: false,
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // An empty database of its own for test/db/migrations.test.ts, which applies the
          // migrations step by step (env.DB has them all from the setup file).
          d1Databases: { MIGRATION_TEST_DB: "rampart-migration-test" },
          // The worker's WEBHOOK_QUEUE goes to a queue nothing consumes: a ping sent by a route test
          // would otherwise be delivered (and its attempts written to D1) at a random moment of a
          // later test, which the "changed nothing" checks would see. test/features/webhooks reaches
          // the real consumer through WEBHOOK_QUEUE_CONSUMED, wrangler.toml's dev queue.
          queueProducers: {
            WEBHOOK_QUEUE: { queueName: "rampart-test-webhooks-unconsumed" },
            WEBHOOK_QUEUE_CONSUMED: { queueName: "rampart-dev-webhooks" },
          },
          bindings: {
            TEST_MIGRATIONS: migrations,
            ENVIRONMENT: "dev",
            JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789abcdef",
            CRON_SECRET: "test-cron-secret-0123456789abcdef0123456789abcdef",
            MFA_ENCRYPTION_KEY: "dGVzdC1tZmEtZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM",
            // 32 bytes, base64url: the key of the webhook signing secrets at rest (src/config/webhooks.ts).
            WEBHOOK_ENCRYPTION_KEY: "dGVzdC13ZWJob29rLWVuY3J5cHRpb24ta2V5LTMyYiE",
            // Billing is on in every test, against the fake Stripe API of test/helpers/fake-stripe.ts
            // (same values there); a test that needs it off blanks them in its client env.
            STRIPE_SECRET_KEY: "sk_test_rampartFakeKey0123456789",
            STRIPE_WEBHOOK_SECRET: "whsec_rampartFakeWebhookSecret0123456789",
            STRIPE_API_BASE: "http://stripe.test",
            STRIPE_METER_EVENT_NAME: "rampart_ai_overage_tokens",
            // wrangler merges the developer's .dev.vars into these bindings; the optional secrets
            // it documents (.dev.vars.example) are blank here, so a real Google client or AI key
            // there never reaches a test. A test that needs one sets it in its client env.
            RESEND_API_KEY: "",
            OPENAI_API_KEY: "",
            GOOGLE_CLIENT_ID: "",
            GOOGLE_CLIENT_SECRET: "",
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      globalSetup: ["./test/node/oidc-provider.setup.ts", "./test/node/fast-check-seed.setup.ts"],
      exclude: [...defaultExclude, "test/node/**"], // Node-side tests: vitest.node.config.ts
      setupFiles: ["./test/apply-migrations.ts", "./test/helpers/fake-stripe.setup.ts"],
      // One workerd per pool worker for the whole run, not one per test file: a file's own workerd
      // (start, wrangler.toml parse, the app's whole import graph evaluated again) cost more than
      // most files' tests. The files of a worker run one after the other against the same D1 and
      // Durable Objects, so tests keep to their own rows (unique emails, fresh IPs, their own
      // organizations) and compare counts before/after instead of assuming empty tables.
      // https://vitest.dev/config/isolate
      isolate: false,
      // Vitest's default in `run` is one worker fewer than the cores, i.e. a single workerd on the
      // 2-core CI machine while the other core idles: the tests spend their time in workerd
      // (Argon2id, D1), so one workerd per core, at least two.
      maxWorkers: Math.max(2, availableParallelism() - 1),
      silent: "passed-only" as const,
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
