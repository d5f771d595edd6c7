// Node-side tests (test/node): scripts that run under plain Node, such as `npm run admin:create`,
// exercised for real against throwaway local D1 databases. The rest of the suite runs in workerd
// (vitest.config.ts).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "node",
    include: ["test/node/**/*.test.ts"],
    silent: "passed-only",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
