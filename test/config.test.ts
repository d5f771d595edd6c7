// One config contract (src/config.ts, src/config/): the core settings and every subsystem's reader
// give a config or the names of the settings at fault; outside dev nothing falls back silently.
import { describe, expect, it } from "vitest";
import { misconfiguredError, readConfig, requireConfig, requireSubsystemConfig } from "../src/config";
import { readBillingConfig } from "../src/config/billing";
import { readEmailConfig } from "../src/config/email";
import type { Env } from "../src/env";
import { AppError } from "../src/errors";

const SECRET = "s".repeat(32);
const production: Partial<Env> = {
  ENVIRONMENT: "prod",
  WEB_BASE_URL: "https://app.example.com",
  CORS_ORIGINS: "https://app.example.com, https://admin.example.com",
  EMAIL_PROVIDER: "resend",
  EMAIL_FROM: "Rampart <no-reply@example.com>",
  RESEND_API_KEY: "re_key",
  JWT_SECRET: SECRET,
  CRON_SECRET: SECRET,
};

function read(vars: Partial<Env>) {
  return readConfig({ ...vars } as Env);
}

function problemsOf(vars: Partial<Env>): string[] {
  const result = read(vars);
  return "problems" in result ? result.problems : [];
}

/** What a route answers when it needs this subsystem: its config, or the MISCONFIGURED body. */
function requireOrError(vars: Partial<Env>, name: "billing" | "ai") {
  try {
    return { config: requireSubsystemConfig(requireConfig({ ...vars } as Env), name) };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { status: error.status, body: error.toBody() };
  }
}

describe("config", () => {
  it("applies development defaults only in dev", () => {
    const dev = read({ ENVIRONMENT: "dev" });
    expect("config" in dev && dev.config.email.provider).toBe("stub");
    const prod = read({ ENVIRONMENT: "prod" });
    expect(prod).toEqual({ problems: expect.arrayContaining(["WEB_BASE_URL", "EMAIL_PROVIDER", "JWT_SECRET"]) });
  });

  it("treats a missing ENVIRONMENT as production, so a forgotten var fails closed", () => {
    expect(read({})).toHaveProperty("problems");
    expect(read({ ENVIRONMENT: "production" })).toEqual({ problems: ["ENVIRONMENT"] });
  });

  it("accepts a complete production configuration and normalizes origins", () => {
    const result = read(production);
    expect("config" in result && result.config.corsOrigins).toEqual([
      "https://app.example.com",
      "https://admin.example.com",
    ]);
  });

  it("is read once per isolate per env: the same object for the same env, a new read for another", () => {
    const env = { ...production } as Env;
    expect(readConfig(env)).toBe(readConfig(env));
    expect(readConfig({ ...production } as Env)).not.toBe(readConfig(env));
  });

  it.each([
    ["JWT_SECRET", { JWT_SECRET: undefined }],
    ["CRON_SECRET", { CRON_SECRET: "too-short" }],
    ["EMAIL_PROVIDER", { EMAIL_PROVIDER: "stub" }],
    ["WEB_BASE_URL", { WEB_BASE_URL: "http://app.example.com" }],
    ["RESEND_API_KEY", { RESEND_API_KEY: undefined }],
    ["ARGON2_MEMORY_KIB", { ARGON2_MEMORY_KIB: "4096" }],
    ["ARGON2_MEMORY_KIB", { ARGON2_MEMORY_KIB: "1048576" }],
    ["ARGON2_ITERATIONS", { ARGON2_ITERATIONS: "1" }],
    ["CORS_ORIGINS", { CORS_ORIGINS: "not a url" }],
    ["MODE", { MODE: "b2x" }],
    // The __Host- prefix is added outside dev (SEC-58), never configured.
    ["SESSION_COOKIE_NAME", { SESSION_COOKIE_NAME: "__Host-session_id" }],
  ])("names %s when it is missing or invalid in production", (name, override) => {
    expect(problemsOf({ ...production, ...override })).toContain(name);
  });
});

describe("the subsystems' config contract", () => {
  it("lists the problems of the core and of every every-route subsystem together, each named once", () => {
    const problems = problemsOf({
      ...production,
      JWT_SECRET: undefined,
      EMAIL_PROVIDER: "stub",
      GOOGLE_CLIENT_ID: "id.apps.googleusercontent.com",
      API_BASE_URL: "http://api.example.com",
    });
    expect(problems).toEqual(["JWT_SECRET", "EMAIL_PROVIDER", "GOOGLE_CLIENT_SECRET", "API_BASE_URL"]);
    // The same list is what every route answers, as 503 MISCONFIGURED naming the settings only.
    expect(() => requireConfig({ ...production, JWT_SECRET: undefined, EMAIL_PROVIDER: "stub" } as Env)).toThrowError(
      expect.objectContaining({
        status: 503,
        code: "MISCONFIGURED",
        details: { settings: ["JWT_SECRET", "EMAIL_PROVIDER"] },
      }),
    );
  });

  it("keeps billing and AI problems to their own routes, each listing every problem of its subsystem", () => {
    const broken = {
      ...production,
      STRIPE_SECRET_KEY: "pk_test_51NotASecretKey000000",
      STRIPE_WEBHOOK_SECRET: "not-a-webhook-secret",
      STRIPE_API_BASE: "http://localhost:12111",
      CREDIT_PACKS_JSON: '[{"id":"free","tokens":-5}]',
      AI_PROVIDER: "openai",
      OPENAI_BASE_URL: "http://gateway.example",
    };
    // The rest of the API still has its config.
    expect(read(broken)).toHaveProperty("config");
    const misconfigured = (settings: string[]) => ({
      status: 503,
      body: { error: { code: "MISCONFIGURED", message: expect.any(String), details: { settings } } },
    });
    expect(requireOrError(broken, "billing")).toEqual(
      misconfigured(["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "CREDIT_PACKS_JSON"]),
    );
    expect(requireOrError(broken, "ai")).toEqual(misconfigured(["OPENAI_API_KEY", "OPENAI_BASE_URL"]));
  });

  it("falls back to nothing outside dev: no fake AI, no stub outbox, no Stripe fake", () => {
    expect(requireOrError({ ...production, AI_PROVIDER: "fake" }, "ai")).toMatchObject({ status: 503 });
    expect(readEmailConfig({ ...production, EMAIL_PROVIDER: undefined } as Env)).toEqual({
      problems: ["EMAIL_PROVIDER"],
    });
    expect(readBillingConfig({ ENVIRONMENT: "staging", STRIPE_API_BASE: "http://localhost:12111" } as Env)).toEqual({
      problems: ["STRIPE_API_BASE"],
    });
    expect(readBillingConfig({ ENVIRONMENT: "dev", STRIPE_API_BASE: "http://localhost:12111" } as Env)).toEqual({
      config: expect.objectContaining({ stripeAPIBase: { protocol: "http", host: "localhost", port: "12111" } }),
    });
  });

  it("reads billing as off, not broken, when no Stripe setting is given", () => {
    expect(requireOrError(production, "billing")).toEqual({
      config: {
        stripeSecretKey: null,
        stripeWebhookSecret: null,
        stripeAPIBase: null,
        creditPacks: null,
        // Dunning's default grace period (BILLING_GRACE_DAYS unset), and no overage meter.
        graceDays: 7,
        meter: null,
      },
    });
  });

  it("names settings, never their values", () => {
    const error = misconfiguredError(["STRIPE_SECRET_KEY"]);
    expect(error.toBody()).toEqual({
      error: { code: "MISCONFIGURED", message: expect.any(String), details: { settings: ["STRIPE_SECRET_KEY"] } },
    });
    expect(
      JSON.stringify(requireOrError({ ...production, STRIPE_SECRET_KEY: "pk_live_secretvalue123" }, "billing")),
    ).not.toContain("secretvalue");
  });
});
