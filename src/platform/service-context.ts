// What a service needs from a request, without knowing about HTTP.
import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { Config } from "../config";
import type { Database } from "../db/client";
import { summarizeError } from "../db/error-summary";
import type { AppEnv, Env } from "../env";
import { createEmailSender, type EmailSender } from "../email";
import { logEvent } from "../lib/log";
import type { QuotaMeter } from "./quota";
import { NO_SECOND_FACTOR, type SecondFactorCheck } from "./second-factor";

export interface ServiceContext {
  env: Env;
  db: Database;
  config: Config;
  email: EmailSender;
  /** The quota hook metered features call (platform/quota.ts). */
  quota: QuotaMeter;
  /** The second factor a fresh proof asks for (platform/fresh-proof.ts); none until a feature provides it. */
  secondFactor: SecondFactorCheck;
  ip: string | null;
  userAgent: string | null;
  /** Runs a task after the response is sent (waitUntil); its failure is logged, never thrown. */
  defer(task: () => Promise<unknown>): void;
}

/**
 * The parts of a service context implemented by a feature (the quota meter is plans'). The
 * composition root hands them in with provideServices(), so this layer never imports a feature.
 */
export interface ServiceProviders {
  createQuotaMeter(ctx: ServiceContext): QuotaMeter;
  /** Optional: without it no account has a second factor (platform/second-factor.ts). */
  createSecondFactorCheck?(ctx: ServiceContext): SecondFactorCheck;
}

declare module "hono" {
  interface ContextVariableMap {
    serviceProviders: ServiceProviders;
  }
}

export function provideServices(providers: ServiceProviders): MiddlewareHandler<AppEnv> {
  return createMiddleware<AppEnv>(function provideServices(c, next) {
    c.set("serviceProviders", providers);
    return next();
  });
}

export interface ServiceContextOptions {
  env: Env;
  db: Database;
  config: Config;
  providers: ServiceProviders;
  ip: string | null;
  userAgent: string | null;
  defer(task: () => Promise<unknown>): void;
}

/** A service context outside a request too (the maintenance job); routes use serviceContextFrom. */
export function createServiceContext(options: ServiceContextOptions): ServiceContext {
  const { env, db, config, providers, ip, userAgent, defer } = options;
  let email: EmailSender | undefined;
  let quota: QuotaMeter | undefined;
  let secondFactor: SecondFactorCheck | undefined;
  const ctx: ServiceContext = {
    env,
    db,
    config,
    // Built on first use, like the two below: most requests send no mail (/health, every read).
    get email() {
      email ??= createEmailSender(config, db);
      return email;
    },
    // Built on first use: most requests meter nothing.
    get quota() {
      quota ??= providers.createQuotaMeter(ctx);
      return quota;
    },
    get secondFactor() {
      secondFactor ??= providers.createSecondFactorCheck?.(ctx) ?? NO_SECOND_FACTOR;
      return secondFactor;
    },
    ip,
    userAgent,
    defer,
  };
  return ctx;
}

export function serviceContextFrom(c: Context<AppEnv>): ServiceContext {
  return createServiceContext({
    env: c.env,
    db: c.get("db"),
    config: c.get("config"),
    providers: c.get("serviceProviders"),
    ip: c.get("clientIP"),
    userAgent: c.req.header("user-agent") ?? null,
    defer(task) {
      c.executionCtx.waitUntil(
        task().catch((error: unknown) => {
          logEvent("error", "deferred_task_failed", { request_id: c.get("requestId"), ...summarizeError(error) });
        }),
      );
    },
  });
}
