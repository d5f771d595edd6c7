// vitest globalSetup (runs in Node, once per `vitest run`): the seed of the generative tests
// (fast-check), a new one each run so that runs explore different inputs, or RAMPART_FC_SEED to
// replay a failure. Printed once here; the tests also carry it in their titles.
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    fastCheckSeed: number;
  }
}

export default function setup(project: TestProject): void {
  const fromEnv = process.env.RAMPART_FC_SEED;
  const seed = fromEnv === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(fromEnv);
  if (!Number.isSafeInteger(seed))
    throw new Error(`RAMPART_FC_SEED must be an integer, got ${JSON.stringify(fromEnv)}`);
  console.log(`fast-check seed ${seed} (replay with RAMPART_FC_SEED=${seed})`);
  project.provide("fastCheckSeed", seed);
}
