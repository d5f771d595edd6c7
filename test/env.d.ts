// The bindings tests see: the worker's own, plus the migrations vitest.config.ts passes in.
import type { Env as WorkerEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
      /** Empty at the start of a test file: for applying migrations one by one. */
      MIGRATION_TEST_DB: D1Database;
    }
  }
}

// What test/node/fast-check-seed.setup.ts provides (declared there too, for the Node-side config).
declare module "vitest" {
  export interface ProvidedContext {
    fastCheckSeed: number;
  }
}
