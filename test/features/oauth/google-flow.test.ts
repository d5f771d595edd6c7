// Google sign-in through a real OpenID provider (oidc-provider on loopback, started by
// test/node/oidc-provider.setup.ts): the authorization request, the state and PKCE cookies, and
// every way the callback refuses (SEC-39, SEC-40, SEC-42) or succeeds with a fresh session (SEC-16).
import { env } from "cloudflare:test";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import { computeCodeChallenge } from "../../../src/features/oauth/pkce";
import { STATE_TTL_SECONDS, signState } from "../../../src/features/oauth/state";
import { createClient, type TestClient } from "../../helpers/client";
import { signedInAccount } from "../../helpers/accounts";
import { countRows } from "../../helpers/factories";
import { readDBState } from "../../helpers/db-state";
import { encodeHostileComponent } from "../../helpers/route-registry";
import { OAUTH_ERROR_CODES } from "../../../src/features/oauth/errors";
import {
  PROVIDER,
  WEB_BASE_URL,
  googleClient,
  authorizeAtProvider,
  followCallback,
  loginErrorOf,
  registerGoogleAccount,
  signInWithGoogle,
  startSignIn,
  type GoogleAccountOptions,
  type ProviderFault,
} from "../../helpers/google";

const CALLBACK_URI = `${PROVIDER.apiBaseURL}/auth/oauth/google/callback`;

/** A browser that went through the provider and is about to follow its redirect back. */
async function atCallback(
  options: GoogleAccountOptions = {},
): Promise<{ client: TestClient; callbackURL: URL; email: string }> {
  const account = await registerGoogleAccount(options);
  const client = googleClient();
  const callbackURL = await authorizeAtProvider(await startSignIn(client), account.subject);
  return { client, callbackURL, email: account.email };
}

async function lastFailureReason(): Promise<{ code: string; reason: string }> {
  const row = await env.DB.prepare(
    `SELECT details FROM audit_log WHERE action = 'oauth_login_failed' ORDER BY id DESC LIMIT 1`,
  ).first<{
    details: string;
  }>();
  return JSON.parse(row!.details) as { code: string; reason: string };
}

/** A refused callback: the error redirect, no session, both one-time cookies cleared, no account. */
async function expectRefused(response: Response, code: string, reason: string, email?: string): Promise<void> {
  expect(loginErrorOf(response)).toBe(code);
  const cookies = response.headers.getSetCookie();
  expect(cookies.some((line) => line.startsWith("session_id="))).toBe(false);
  expect(cookies.filter((line) => /^oauth_(state|pkce)=;/.test(line) && /Max-Age=0/.test(line))).toHaveLength(2);
  expect(await lastFailureReason()).toEqual({ provider: "google", code, reason });
  if (email) expect(await countRows("user", "email = ?", email)).toBe(0);
}

function withParam(url: URL, name: string, value: string | null): URL {
  const copy = new URL(url);
  if (value === null) copy.searchParams.delete(name);
  else copy.searchParams.set(name, value);
  return copy;
}

describe("SEC-39: GET /auth/oauth/google/authorize-url", () => {
  it("SEC-39: answers the provider's URL with a signed state, a nonce and an S256 PKCE challenge, and sets both one-time cookies HttpOnly; Secure; SameSite=Lax; Path=/auth/oauth", async () => {
    const client = googleClient();
    const response = await client.get("/auth/oauth/google/authorize-url");
    expect(response.status).toBe(200);
    const { url } = (await response.json()) as { url: string };
    const authorize = new URL(url);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${PROVIDER.issuer}/auth`);
    const params = Object.fromEntries(authorize.searchParams);
    expect(params).toMatchObject({
      response_type: "code",
      client_id: PROVIDER.clientId,
      redirect_uri: CALLBACK_URI,
      scope: "openid email profile",
      code_challenge_method: "S256",
    });
    expect(params.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const cookies = response.headers.getSetCookie();
    expect(cookies).toHaveLength(2);
    for (const name of ["oauth_state", "oauth_pkce"]) {
      const line = cookies.find((candidate) => candidate.startsWith(`${name}=`))!;
      expect(line.split("; ").slice(1).sort()).toEqual([
        "HttpOnly",
        "Max-Age=600",
        "Path=/auth/oauth",
        "SameSite=Lax",
        "Secure",
      ]);
    }
    // The cookie holds the very state of the URL; the verifier is in its cookie and in no URL.
    expect(client.cookies.get("oauth_state")).toBe(params.state);
    const verifier = client.cookies.get("oauth_pkce")!;
    expect(url).not.toContain(verifier);
    expect(params.code_challenge).toBe(await computeCodeChallenge(verifier));

    const state = params.state!;
    expect(decodeProtectedHeader(state)).toEqual({ alg: "HS256", typ: "oauth-state+jwt" });
    const claims = decodeJwt(state);
    expect(claims.exp! - claims.iat!).toBe(STATE_TTL_SECONDS);
    expect(claims).toMatchObject({ nonce: params.nonce, cc: params.code_challenge, provider: "google" });
  });

  it("SEC-39: every call mints a new state, nonce and verifier", async () => {
    const [first, second] = [await startSignIn(googleClient()), await startSignIn(googleClient())];
    for (const name of ["state", "nonce", "code_challenge"]) {
      expect(first.searchParams.get(name)).not.toBe(second.searchParams.get(name));
    }
  });

  it("answers 502 UPSTREAM_UNAVAILABLE and sets no cookie when the provider is down (connection refused)", async () => {
    const client = googleClient({ env: { OIDC_ISSUER: PROVIDER.refusedIssuer } });
    const response = await client.get("/auth/oauth/google/authorize-url");
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ error: { code: "UPSTREAM_UNAVAILABLE", message: expect.any(String) } });
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("refuses a discovery document that names another issuer than the one configured (OpenID Discovery §4.3)", async () => {
    const sameServerOtherName = PROVIDER.issuer.replace("127.0.0.1", "localhost");
    const response = await googleClient({ env: { OIDC_ISSUER: sameServerOtherName } }).get(
      "/auth/oauth/google/authorize-url",
    );
    expect(response.status).toBe(502);
  });
});

describe("the callback through the real provider", () => {
  it("SEC-16, SEC-40, SEC-42: a new user signs in: 302 to WEB_BASE_URL, a fresh session, the one-time cookies cleared", async () => {
    const account = await registerGoogleAccount();
    const client = googleClient();
    const response = await signInWithGoogle(account, client);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`${WEB_BASE_URL}/`);
    const cookies = response.headers.getSetCookie();
    expect(cookies.filter((line) => /^oauth_(state|pkce)=; Max-Age=0; Path=\/auth\/oauth/.test(line))).toHaveLength(2);
    expect(cookies.find((line) => line.startsWith("session_id="))).toMatch(
      /^session_id=[A-Za-z0-9_-]{43}; Max-Age=86400; Path=\/; HttpOnly/,
    );
    const me = (await (await client.get("/users/me")).json()) as Record<string, unknown>;
    expect(me).toMatchObject({ email: account.email, email_verified: true, has_password: false, role: "org_admin" });
    expect(
      await countRows("oauth_account", "provider = 'google' AND subject = ? AND user_id = ?", account.subject, me.id),
    ).toBe(1);
  });

  it("SEC-16: a session cookie the browser brought along is never adopted", async () => {
    const other = await signedInAccount();
    const broughtAlong = other.client.cookies.get("session_id")!;
    const browser = googleClient();
    browser.cookies.set("session_id", broughtAlong);
    const account = await registerGoogleAccount();
    const response = await signInWithGoogle(account, browser);
    expect(response.headers.get("location")).toBe(`${WEB_BASE_URL}/`);
    const issued = browser.cookies.get("session_id")!;
    expect(issued).not.toBe(broughtAlong);
    const me = (await (await browser.get("/users/me")).json()) as { email: string };
    expect(me.email).toBe(account.email);
    // The other account's session is untouched: it was only ignored, not taken over or ended.
    expect((await other.client.get("/users/me")).status).toBe(200);
  });

  it("SEC-42: redirects only to the configured web base URL, whatever the request says", async () => {
    const { client, callbackURL } = await atCallback();
    const hostile = new URL(callbackURL);
    for (const name of ["redirect", "redirect_uri", "next", "return_to", "returnTo"])
      hostile.searchParams.set(name, "https://evil.example/");
    const response = await client.get(`${hostile.pathname}${hostile.search}`, {
      headers: { "x-forwarded-host": "evil.example", referer: "https://evil.example/" },
    });
    expect(response.headers.get("location")).toBe(`${WEB_BASE_URL}/`);
    const failure = await googleClient().get("/auth/oauth/google/callback?next=https://evil.example/", {
      headers: { "x-forwarded-host": "evil.example" },
    });
    expect(failure.headers.get("location")).toBe(`${WEB_BASE_URL}/login?error=invalid_state`);
  });
});

describe("SEC-39: the state", () => {
  it("SEC-39: a callback without state is refused", async () => {
    const { client, callbackURL, email } = await atCallback();
    await expectRefused(
      await followCallback(client, withParam(callbackURL, "state", null)),
      "invalid_state",
      "state_missing",
      email,
    );
  });

  it("SEC-39: a callback without the state cookie (another browser) is refused", async () => {
    const { callbackURL, email } = await atCallback();
    await expectRefused(
      await followCallback(googleClient(), callbackURL),
      "invalid_state",
      "state_cookie_missing",
      email,
    );
  });

  it("SEC-39: a state that differs from this browser's cookie (login CSRF: the attacker's own state) is refused", async () => {
    const victim = await atCallback();
    const attacker = await atCallback();
    // The attacker's callback URL, followed by the victim's browser (which holds its own cookies).
    await expectRefused(
      await followCallback(victim.client, attacker.callbackURL),
      "invalid_state",
      "state_cookie_mismatch",
      attacker.email,
    );
  });

  it("SEC-39: a replayed state is refused, by a browser that kept the cookies as well as by one that did not", async () => {
    const { client, callbackURL } = await atCallback();
    const kept = new Map(client.cookies);
    expect((await followCallback(client, callbackURL)).headers.get("location")).toBe(`${WEB_BASE_URL}/`);
    // The browser dropped the cleared cookies: nothing to compare with.
    await expectRefused(await followCallback(client, callbackURL), "invalid_state", "state_cookie_missing");
    // An attacker who copied both cookies before: the state id was already used (one time, globally).
    const replayer = googleClient();
    for (const [name, value] of kept) if (name.startsWith("oauth_")) replayer.cookies.set(name, value);
    await expectRefused(await followCallback(replayer, callbackURL), "invalid_state", "state_replayed");
  });

  it("SEC-39: a forged state (right shape, signed with another key) is refused even when the cookie matches it", async () => {
    const { client, callbackURL, email } = await atCallback();
    const challenge = await computeCodeChallenge(client.cookies.get("oauth_pkce")!);
    const forged = (
      await signState("attacker-secret-0123456789abcdef0123456789", {
        provider: "google",
        nonce: "n".repeat(43),
        codeChallenge: challenge,
      })
    ).token;
    client.cookies.set("oauth_state", forged);
    await expectRefused(
      await followCallback(client, withParam(callbackURL, "state", forged)),
      "invalid_state",
      "state_forged",
      email,
    );
  });

  it("SEC-39: an expired state is refused even when the cookie matches it", async () => {
    const { client, callbackURL, email } = await atCallback();
    const challenge = await computeCodeChallenge(client.cookies.get("oauth_pkce")!);
    const nonce = "n".repeat(43);
    const elevenMinutesAgo = Date.now() - (STATE_TTL_SECONDS + 60) * 1000;
    const expired = (
      await signState(env.JWT_SECRET!, { provider: "google", nonce, codeChallenge: challenge }, elevenMinutesAgo)
    ).token;
    client.cookies.set("oauth_state", expired);
    await expectRefused(
      await followCallback(client, withParam(callbackURL, "state", expired)),
      "invalid_state",
      "state_expired",
      email,
    );
  });

  it("SEC-39: a missing or foreign PKCE verifier cookie is refused before the code is exchanged", async () => {
    const first = await atCallback();
    first.client.cookies.delete("oauth_pkce");
    await expectRefused(
      await followCallback(first.client, first.callbackURL),
      "invalid_state",
      "pkce_verifier_mismatch",
      first.email,
    );
    const second = await atCallback();
    second.client.cookies.set("oauth_pkce", "v".repeat(43));
    await expectRefused(
      await followCallback(second.client, second.callbackURL),
      "invalid_state",
      "pkce_verifier_mismatch",
      second.email,
    );
  });

  it("SEC-39: a refused callback changes no account, session or token", async () => {
    const { callbackURL } = await atCallback();
    const before = await readDBState();
    loginErrorOf(await followCallback(googleClient(), callbackURL));
    expect(await readDBState()).toEqual(before);
  });
});

describe("the provider's answer", () => {
  it("the person declining at the provider (its error parameter access_denied) ends at /login?error=access_denied", async () => {
    const account = await registerGoogleAccount();
    const client = googleClient();
    const callbackURL = await authorizeAtProvider(await startSignIn(client), account.subject, { decline: true });
    expect(callbackURL.searchParams.get("error")).toBe("access_denied");
    await expectRefused(
      await followCallback(client, callbackURL),
      "access_denied",
      "provider_access_denied",
      account.email,
    );
  });

  it("any other provider error parameter is provider_error", async () => {
    const client = googleClient();
    const state = (await startSignIn(client)).searchParams.get("state")!;
    const response = await client.get(
      `/auth/oauth/google/callback?error=temporarily_unavailable&state=${encodeURIComponent(state)}`,
    );
    await expectRefused(response, "provider_error", "provider_error_temporarily_unavailable");
  });

  it("RFC 9207: an iss parameter naming another issuer is refused (mix-up defence)", async () => {
    const { client, callbackURL, email } = await atCallback();
    await expectRefused(
      await followCallback(client, withParam(callbackURL, "iss", "https://accounts.example.net")),
      "provider_error",
      "iss_mismatch",
      email,
    );
  });

  it("a code the provider refuses to exchange (already used) is provider_error", async () => {
    const { client, callbackURL, email } = await atCallback();
    const tampered = withParam(callbackURL, "code", `${callbackURL.searchParams.get("code")}x`);
    await expectRefused(
      await followCallback(client, tampered),
      "provider_error",
      "token_rejected_invalid_grant",
      email,
    );
  });

  it("the provider down at the callback (connection refused) is provider_unavailable", async () => {
    const { client, callbackURL, email } = await atCallback();
    const down = googleClient({ env: { OIDC_ISSUER: PROVIDER.refusedIssuer } });
    for (const [name, value] of client.cookies) down.cookies.set(name, value);
    // Without its iss parameter: the refusing address cannot have sent this redirect.
    const response = await followCallback(down, withParam(callbackURL, "iss", null));
    await expectRefused(response, "provider_unavailable", "discovery_unreachable", email);
  });

  it("a token endpoint that fails (503) is provider_unavailable", async () => {
    const { client, callbackURL, email } = await atCallback({ fault: "token-endpoint-error" });
    await expectRefused(
      await followCallback(client, callbackURL),
      "provider_unavailable",
      "token_endpoint_status_503",
      email,
    );
  });
});

describe("SEC-40: the ID token", () => {
  const cases: [string, ProviderFault, string][] = [
    ["a wrong audience", "wrong-audience", "claim_aud"],
    ["a wrong issuer", "wrong-issuer", "claim_iss"],
    ["a bad signature", "bad-signature", "err_jws_signature_verification_failed"],
    ["no signature (alg none)", "unsigned", "err_jose_alg_not_allowed"],
    ["an expired ID token", "expired", "claim_exp"],
    ["a nonce other than this browser's", "nonce-mismatch", "claim_nonce"],
  ];
  for (const [label, fault, reason] of cases) {
    it(`SEC-40: ${label} is refused as invalid_id_token and creates nothing`, async () => {
      const { client, callbackURL, email } = await atCallback({ fault });
      const before = await countRows("oauth_account");
      await expectRefused(await followCallback(client, callbackURL), "invalid_id_token", reason, email);
      expect(await countRows("oauth_account")).toBe(before);
    });
  }
});

describe("rate limits", () => {
  it("SEC-9: callbacks are limited per client IP (20 per 15 minutes); over it: rate_limited, and no audit row per attempt", async () => {
    const client = googleClient({ ip: `10.250.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` });
    for (let attempt = 0; attempt < 20; attempt++) {
      expect(loginErrorOf(await client.get("/auth/oauth/google/callback"))).toBe("invalid_state");
    }
    const audited = await countRows("audit_log");
    expect(loginErrorOf(await client.get("/auth/oauth/google/callback"))).toBe("rate_limited");
    expect(await countRows("audit_log")).toBe(audited);
  });
});

describe("SEC-47: hostile callbacks (the registry-driven hostile-input suite runs with Google off)", () => {
  const HOSTILE = [
    "' OR '1'='1",
    `'; DROP TABLE "user"; --`,
    "\u0000",
    "A".repeat(10 * 1024),
    "😀".repeat(2560),
    "\ud800",
    "\u202egpj.exe",
    "x\r\nSet-Cookie: session_id=evil",
    "<script>alert(1)</script>",
    "../../../etc/passwd",
    "%00%2e%2e%2f%E0%A4%A",
    "",
    "eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.",
  ];

  it("SEC-42, SEC-47: every hostile state, code, error or iss value, and repeated parameters, end in /login?error=CODE, never a 500, and change nothing", async () => {
    const problems: string[] = [];
    const before = await readDBState();
    const cases: [string, (valid: Record<string, string>) => string][] = [];
    for (const name of ["state", "code", "error", "iss"]) {
      for (const value of HOSTILE) {
        cases.push([`${name}=${JSON.stringify(value.slice(0, 20))}`, (valid) => query({ ...valid, [name]: value })]);
      }
      cases.push([
        `${name} repeated`,
        (valid) => `${query(valid)}&${name}=${encodeHostileComponent(valid[name] ?? "x")}`,
      ]);
    }
    for (const [label, build] of cases) {
      const client = googleClient();
      const state = (await startSignIn(client)).searchParams.get("state")!;
      const response = await client.get(
        `/auth/oauth/google/callback?${build({ state, code: "not-a-code", iss: PROVIDER.issuer })}`,
      );
      const location = response.headers.get("location") ?? "";
      const code = location.startsWith(`${WEB_BASE_URL}/login?error=`)
        ? new URL(location).searchParams.get("error")
        : null;
      if (response.status !== 302 || !(OAUTH_ERROR_CODES as readonly (string | null)[]).includes(code)) {
        problems.push(`${label}: ${response.status} ${location}`);
      }
    }
    expect(problems).toEqual([]);
    expect(await readDBState()).toEqual(before);
  });
});

function query(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([name, value]) => `${name}=${encodeHostileComponent(value)}`)
    .join("&");
}

describe("Google sign-in not configured", () => {
  it("/config reports google_oauth false and both routes answer 404 (the shared test bindings have no Google settings)", async () => {
    const client = createClient();
    expect(await (await client.get("/config")).json()).toMatchObject({ google_oauth: false });
    for (const path of ["/auth/oauth/google/authorize-url", "/auth/oauth/google/callback?code=x&state=y"]) {
      const response = await client.get(path);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: { code: "NOT_FOUND", message: expect.any(String) } });
    }
    expect(await (await googleClient().get("/config")).json()).toMatchObject({ google_oauth: true });
  });
});
