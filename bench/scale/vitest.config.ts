// The round-trip count (round-trips.test.ts) runs in workerd with the suite's own bindings and
// setup; only its include differs, so `npm test` (test/**) never runs it.
import path from "node:path";
import { defineConfig } from "vitest/config";
import suiteConfig from "../../vitest.config";

export default defineConfig(async (configEnv) => {
  const suite = await (typeof suiteConfig === "function" ? suiteConfig(configEnv) : suiteConfig);
  // Replaced, not merged: mergeConfig would append to the suite's include and run every test.
  return {
    ...suite,
    root: path.join(import.meta.dirname, "..", ".."),
    test: { ...suite.test, include: ["bench/scale/round-trips.test.ts"], silent: false },
  };
});
