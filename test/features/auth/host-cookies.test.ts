// SEC-58: outside dev the session and OAuth cookies are `__Host-` cookies, and a cookie of the bare
// name (which a sibling subdomain could plant) is never read there.
import { env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { Config } from "../../../src/config";
import type { AppEnv, Env } from "../../../src/env";
import { signState } from "../../../src/features/oauth/state";
import { writeStateCookies } from "../../../src/features/oauth/state-cookie";
import { createClient } from "../../helpers/client";
import { insertUser } from "../../helpers/factories";

const WEB = "https://app.example.com";

/** A deployed environment's required settings, in the test's own bindings. */
function deployedEnv(environment: "staging" | "prod"): Partial<Env> {
  return {
    ENVIRONMENT: environment,
    WEB_BASE_URL: WEB,
    CORS_ORIGINS: WEB,
    EMAIL_PROVIDER: "resend",
    RESEND_API_KEY: "re_test_key",
  };
}

/** Staging with Google configured; the callback refuses before it would contact the provider. */
const STAGING_WITH_GOOGLE: Partial<Env> = {
  ...deployedEnv("staging"),
  GOOGLE_CLIENT_ID: "client-id.apps.example.com",
  GOOGLE_CLIENT_SECRET: "client-secret",
  OIDC_ISSUER: "https://issuer.example.com",
  API_BASE_URL: "https://api.example.com",
};

async function signInDeployed(environment: "staging" | "prod") {
  const user = await insertUser();
  const client = createClient({ env: deployedEnv(environment), origin: WEB });
  const response = await client.post("/auth/login", { email: user.email, password: user.password });
  expect(response.status).toBe(200);
  return { user, client, response };
}

async function lastOAuthFailureReason(): Promise<string> {
  const row = await env.DB.prepare(
    `SELECT details FROM audit_log WHERE action = 'oauth_login_failed' ORDER BY id DESC LIMIT 1`,
  ).first<{ details: string }>();
  return (JSON.parse(row!.details) as { reason: string }).reason;
}

describe("SEC-58 __Host- cookies outside dev", () => {
  for (const environment of ["staging", "prod"] as const) {
    it(`SEC-58: in ${environment} the session cookie is __Host-session_id with Secure, Path=/ and no Domain`, async () => {
      const { response } = await signInDeployed(environment);
      const cookie = response.headers.getSetCookie().find((line) => line.startsWith("__Host-session_id="))!;
      expect(cookie).toMatch(/^__Host-session_id=[A-Za-z0-9_-]{43};/);
      expect(cookie).toContain("Secure");
      expect(cookie).toContain("Path=/;");
      expect(cookie).not.toMatch(/Domain=/i);
      expect(response.headers.getSetCookie().some((line) => line.startsWith("session_id="))).toBe(false);
    });
  }

  it("SEC-58: outside dev the device cookie is __Host-login_device, and under the bare name it is not read", async () => {
    const { user, response } = await signInDeployed("prod");
    const cookie = response.headers.getSetCookie().find((line) => line.startsWith("__Host-login_device="))!;
    expect(cookie).toContain("Secure");
    expect(cookie).toContain("Path=/;");
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).not.toMatch(/Domain=/i);
    const token = cookie.slice("__Host-login_device=".length, cookie.indexOf(";"));

    // Slow the account down, then only the prefixed cookie lets the owner's browser through (SEC-55).
    for (let i = 0; i < 6; i++) {
      const stranger = createClient({ env: deployedEnv("prod"), origin: WEB });
      expect((await stranger.post("/auth/login", { email: user.email, password: "wrong password 1" })).status).toBe(
        401,
      );
    }
    const login = { email: user.email, password: user.password };
    const bare = createClient({ env: deployedEnv("prod"), origin: WEB });
    expect((await bare.post("/auth/login", login, { headers: { cookie: `login_device=${token}` } })).status).toBe(429);
    const prefixed = createClient({ env: deployedEnv("prod"), origin: WEB });
    const headers = { cookie: `__Host-login_device=${token}` };
    expect((await prefixed.post("/auth/login", login, { headers })).status).toBe(200);
  });

  it("SEC-58: outside dev a session token under the bare name (a planted cookie) is not accepted", async () => {
    const { client } = await signInDeployed("prod");
    const token = client.cookies.get("__Host-session_id")!;
    const visitor = createClient({ env: deployedEnv("prod"), origin: WEB });

    const planted = await visitor.get("/users/me", { headers: { cookie: `session_id=${token}` } });
    expect(planted.status).toBe(401);
    expect(await planted.json()).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
    expect((await visitor.get("/users/me", { headers: { cookie: `__Host-session_id=${token}` } })).status).toBe(200);
  });

  it("SEC-58: outside dev logout clears the __Host- cookie", async () => {
    const { client } = await signInDeployed("staging");
    const response = await client.post("/auth/logout");
    expect(response.status).toBe(204);
    const cleared = response.headers.getSetCookie().find((line) => line.startsWith("__Host-session_id="))!;
    expect(cleared).toMatch(/Max-Age=0/);
    expect(cleared).toContain("Secure");
    expect(cleared).toContain("Path=/");
  });

  it("SEC-58: dev keeps the bare session cookie name for http://localhost", async () => {
    const user = await insertUser();
    const response = await createClient().post("/auth/login", { email: user.email, password: user.password });
    expect(response.headers.get("set-cookie")).toMatch(/^session_id=/);
  });

  it("SEC-58: outside dev the OAuth state and PKCE cookies are __Host- cookies with Path=/", async () => {
    const app = new Hono<AppEnv>();
    app.get("/", (c) => {
      c.set("config", { environment: "staging" } as Config);
      writeStateCookies(c, { state: "state-value", codeVerifier: "verifier-value" });
      return c.body(null, 204);
    });
    const cookies = (await app.request("/")).headers.getSetCookie();
    expect(cookies).toHaveLength(2);
    expect(cookies[0]).toMatch(/^__Host-oauth_state=state-value;/);
    expect(cookies[1]).toMatch(/^__Host-oauth_pkce=verifier-value;/);
    for (const cookie of cookies) {
      expect(cookie).toContain("Path=/;");
      expect(cookie).toContain("Secure");
      expect(cookie).toContain("HttpOnly");
      expect(cookie).toContain("SameSite=Lax");
      expect(cookie).not.toMatch(/Domain=/i);
    }
  });

  it("SEC-58: outside dev the callback ignores planted bare-name OAuth cookies and reads the __Host- ones", async () => {
    const { token } = await signState(env.JWT_SECRET!, {
      provider: "google",
      nonce: "nonce",
      codeChallenge: "unused-because-the-verifier-never-matches",
    });
    const client = createClient({ env: STAGING_WITH_GOOGLE, origin: WEB });
    const callback = `/auth/oauth/google/callback?state=${encodeURIComponent(token)}&error=access_denied`;

    const planted = await client.get(callback, {
      headers: { cookie: `oauth_state=${token}; oauth_pkce=verifier` },
    });
    expect(planted.status).toBe(302);
    expect(planted.headers.get("location")).toBe(`${WEB}/login?error=invalid_state`);
    expect(await lastOAuthFailureReason()).toBe("state_cookie_missing");
    const cleared = planted.headers.getSetCookie();
    expect(cleared.filter((line) => /^__Host-oauth_(state|pkce)=;/.test(line) && /Max-Age=0/.test(line))).toHaveLength(
      2,
    );
    for (const line of cleared) expect(line).toContain("Path=/;");

    // The same values under the prefixed names pass the cookie check and reach the next one.
    const prefixed = await client.get(callback, {
      headers: { cookie: `__Host-oauth_state=${token}; __Host-oauth_pkce=verifier` },
    });
    expect(prefixed.status).toBe(302);
    expect(await lastOAuthFailureReason()).toBe("pkce_verifier_mismatch");
  });
});
