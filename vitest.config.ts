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
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      globalSetup: ["./test/node/oidc-provider.setup.ts"],
      exclude: [...defaultExclude, "test/node/**"], // Node-side tests: vitest.node.config.ts
      setupFiles: ["./test/apply-migrations.ts"],
      silent: "passed-only" as const,
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
