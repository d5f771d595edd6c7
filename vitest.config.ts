// Tests run inside workerd with the worker's real bindings; D1 migrations are applied in setup.
// globalSetup starts, in Node, what the tests need outside workerd (the OpenID provider standing in
// for Google); tests read its addresses with inject().
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defaultExclude, defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        main: "./src/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ENVIRONMENT: "dev",
            JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789abcdef",
            CRON_SECRET: "test-cron-secret-0123456789abcdef0123456789abcdef",
            // Billing is on in every test, against the fake Stripe API of test/helpers/fake-stripe.ts
            // (same values there); a test that needs it off blanks them in its client env.
            STRIPE_SECRET_KEY: "sk_test_rampartFakeKey0123456789",
            STRIPE_WEBHOOK_SECRET: "whsec_rampartFakeWebhookSecret0123456789",
            STRIPE_API_BASE: "http://stripe.test",
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      globalSetup: ["./test/node/oidc-provider.setup.ts"],
      exclude: [...defaultExclude, "test/node/**"], // Node-side tests: vitest.node.config.ts
      setupFiles: ["./test/apply-migrations.ts", "./test/helpers/fake-stripe.setup.ts"],
      silent: "passed-only" as const,
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
