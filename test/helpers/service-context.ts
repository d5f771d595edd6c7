// A ServiceContext for calling services directly, as a request would build it (email discarded).
import { env } from "cloudflare:test";
import { readConfig } from "../../src/config";
import { createDB } from "../../src/db/client";
import { createQuotaMeter } from "../../src/features/plans/quota";
import { createServiceContext, type ServiceContext } from "../../src/platform/service-context";

export function testServiceContext(overrides: Partial<ServiceContext> = {}): ServiceContext {
  const result = readConfig(env);
  if (!("config" in result)) throw new Error(`test config invalid: ${result.problems.join(", ")}`);
  const ctx = createServiceContext({
    env,
    db: overrides.db ?? createDB(env.DB),
    config: result.config,
    providers: { createQuotaMeter },
    ip: null,
    userAgent: null,
    defer: () => {},
  });
  // Spread, not assigned: quota is a getter on the context (built on first use).
  return { ...ctx, email: { async send() {} }, ...overrides };
}
