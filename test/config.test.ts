import { describe, expect, it } from "vitest";
import { readConfig } from "../src/config";
import type { Env } from "../src/env";

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

describe("config", () => {
  it("applies development defaults only in dev", () => {
    const dev = read({ ENVIRONMENT: "dev" });
    expect(dev.ok && dev.config.email.provider).toBe("stub");
    const prod = read({ ENVIRONMENT: "prod" });
    expect(prod.ok).toBe(false);
  });

  it("treats a missing ENVIRONMENT as production, so a forgotten var fails closed", () => {
    const result = read({});
    expect(result.ok).toBe(false);
  });

  it("accepts a complete production configuration and normalizes origins", () => {
    const result = read(production);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.config.corsOrigins).toEqual(["https://app.example.com", "https://admin.example.com"]);
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
    const result = read({ ...production, ...override });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems).toContain(name);
  });
});
