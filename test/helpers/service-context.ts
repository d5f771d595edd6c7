// A ServiceContext for calling services directly, as a request would build it (email discarded).
import { env } from "cloudflare:test";
import { readConfig } from "../../src/config";
import { createDB } from "../../src/db/client";
import { createQuotaMeter } from "../../src/features/plans/quota";
import type { ServiceContext } from "../../src/platform/service-context";

export function testServiceContext(overrides: Partial<ServiceContext> = {}): ServiceContext {
  const result = readConfig(env);
  if (!result.ok) throw new Error(`test config invalid: ${result.problems.join(", ")}`);
  const db = createDB(env.DB);
  return {
    env,
    db,
    config: result.config,
    email: { async send() {} },
    quota: createQuotaMeter(db),
    ip: null,
    userAgent: null,
    defer: () => {},
    ...overrides,
  };
}
