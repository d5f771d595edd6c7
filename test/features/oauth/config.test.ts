// Google sign-in settings (src/config/google.ts): optional, but never half configured, and in
// production only against Google itself over https.
import { describe, expect, it } from "vitest";
import { readConfig } from "../../../src/config";
import { GOOGLE_ISSUER } from "../../../src/config/google";
import type { Env } from "../../../src/env";

const SECRET = "s".repeat(32);
const production: Partial<Env> = {
  ENVIRONMENT: "prod",
  WEB_BASE_URL: "https://app.example.com",
  CORS_ORIGINS: "https://app.example.com",
  EMAIL_PROVIDER: "resend",
  EMAIL_FROM: "Rampart <no-reply@example.com>",
  RESEND_API_KEY: "re_key",
  JWT_SECRET: SECRET,
  CRON_SECRET: SECRET,
};
const google: Partial<Env> = {
  GOOGLE_CLIENT_ID: "id.apps.googleusercontent.com",
  GOOGLE_CLIENT_SECRET: "secret",
  API_BASE_URL: "https://api.example.com",
};

function problemsOf(vars: Partial<Env>): string[] {
  const result = readConfig({ ...vars } as Env);
  return "problems" in result ? result.problems : [];
}

describe("Google sign-in configuration", () => {
  it("is off, not misconfigured, without client id and secret, in every environment", () => {
    const result = readConfig({ ...production } as Env);
    expect("config" in result && result.config.google).toBeNull();
    const dev = readConfig({ ENVIRONMENT: "dev", GOOGLE_CLIENT_ID: "", GOOGLE_CLIENT_SECRET: "" } as Env);
    expect("config" in dev && dev.config.google).toBeNull();
  });

  it("in production: Google's issuer by default, the redirect URI built from API_BASE_URL", () => {
    const result = readConfig({ ...production, ...google } as Env);
    expect("config" in result && result.config.google).toEqual({
      clientId: google.GOOGLE_CLIENT_ID,
      clientSecret: google.GOOGLE_CLIENT_SECRET,
      issuer: GOOGLE_ISSUER,
      redirectURI: "https://api.example.com/auth/oauth/google/callback",
    });
  });

  it("in dev: API_BASE_URL defaults to http://localhost:8787 and another issuer is allowed", () => {
    const result = readConfig({
      ENVIRONMENT: "dev",
      ...google,
      API_BASE_URL: undefined,
      OIDC_ISSUER: "http://127.0.0.1:9999",
      JWT_SECRET: SECRET,
    } as Env);
    expect("config" in result && result.config.google?.redirectURI).toBe(
      "http://localhost:8787/auth/oauth/google/callback",
    );
    expect("config" in result && result.config.google?.issuer).toBe("http://127.0.0.1:9999");
  });

  it.each([
    ["a client id without its secret", { GOOGLE_CLIENT_SECRET: "" }, ["GOOGLE_CLIENT_SECRET"]],
    ["a secret without its client id", { GOOGLE_CLIENT_ID: undefined }, ["GOOGLE_CLIENT_ID"]],
    ["no API_BASE_URL outside dev", { API_BASE_URL: undefined }, ["API_BASE_URL"]],
    ["an http API_BASE_URL outside dev", { API_BASE_URL: "http://api.example.com" }, ["API_BASE_URL"]],
    ["another issuer in production", { OIDC_ISSUER: "https://login.example.net" }, ["OIDC_ISSUER"]],
    ["an issuer with a query", { OIDC_ISSUER: "https://accounts.google.com?x=1" }, ["OIDC_ISSUER"]],
  ])("in production, %s is MISCONFIGURED naming the setting", (_label, override, expected) => {
    expect(problemsOf({ ...production, ...google, ...override })).toEqual(expected);
  });

  it("staging may use another https issuer, never an http one", () => {
    const staging = { ...production, ENVIRONMENT: "staging", ...google };
    expect(problemsOf({ ...staging, OIDC_ISSUER: "https://idp.staging.example.com" })).toEqual([]);
    expect(problemsOf({ ...staging, OIDC_ISSUER: "http://idp.staging.example.com" })).toEqual(["OIDC_ISSUER"]);
  });

  it("dev with Google on needs JWT_SECRET, which signs the state", () => {
    expect(problemsOf({ ENVIRONMENT: "dev", ...google })).toEqual(["JWT_SECRET"]);
  });
});
