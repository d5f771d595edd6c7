// Google sign-in against the real OpenID provider that test/node/oidc-provider.setup.ts runs on
// loopback: register a provider account, then drive the browser's part of the flow with fetch
// (authorization request, the provider's login and consent interactions, the redirect back).
// Google sign-in is off in the shared test bindings (as in any deployment without it): a client
// from googleClient() has it configured against the provider.
import { expect, inject } from "vitest";
import type { Env } from "../../src/env";
import { createClient, type ClientOptions, type TestClient } from "./client";
import { uniqueEmail } from "./accounts";

/** Mirrors OIDCTestProvider in test/node/oidc-provider.setup.ts (a Node file this program cannot import). */
interface OIDCTestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  refusedIssuer: string;
  apiBaseURL: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    oidcTestProvider: OIDCTestProvider;
  }
}

export const PROVIDER = inject("oidcTestProvider");

/** The worker's Google settings for the provider on loopback. */
const GOOGLE_ENV: Partial<Env> = {
  GOOGLE_CLIENT_ID: PROVIDER.clientId,
  GOOGLE_CLIENT_SECRET: PROVIDER.clientSecret,
  OIDC_ISSUER: PROVIDER.issuer,
  API_BASE_URL: PROVIDER.apiBaseURL,
};

/** A browser talking to a worker with Google sign-in configured (plus `options.env`). */
export function googleClient(options: ClientOptions = {}): TestClient {
  return createClient({ ...options, env: { ...GOOGLE_ENV, ...options.env } });
}
export const WEB_BASE_URL = "http://localhost:5173";

/** Faults the provider applies to an account's token response (see the setup file). */
export type ProviderFault =
  | "wrong-audience"
  | "wrong-issuer"
  | "bad-signature"
  | "expired"
  | "nonce-mismatch"
  | "unsigned"
  | "token-endpoint-error";

export interface GoogleAccount {
  /** The provider's account id, which is the ID token's `sub`. */
  subject: string;
  email: string;
}

export interface GoogleAccountOptions {
  email?: string;
  /** The claim as the provider sends it; `"omit"` leaves it out. Default true. */
  emailVerified?: unknown;
  givenName?: string;
  familyName?: string;
  fault?: ProviderFault;
  /** Reuse a subject (same Google account, e.g. with a new email). */
  subject?: string;
}

/** Registers (or replaces) an account at the provider. */
export async function registerGoogleAccount(options: GoogleAccountOptions = {}): Promise<GoogleAccount> {
  const subject = options.subject ?? `g${crypto.randomUUID().replaceAll("-", "")}`;
  const email = options.email ?? uniqueEmail("google");
  const claims: Record<string, unknown> = {
    email,
    given_name: options.givenName ?? "Grace",
    family_name: options.familyName ?? "Hopper",
  };
  if (options.emailVerified !== "omit") claims.email_verified = options.emailVerified ?? true;
  const response = await fetch(`${PROVIDER.issuer}/__test/accounts/${subject}`, {
    method: "PUT",
    body: JSON.stringify({ claims, fault: options.fault }),
  });
  expect(response.status).toBe(204);
  return { subject, email };
}

export interface StartOptions {
  /** The token of the invitation link the sign-in starts from. */
  invitationToken?: string;
}

/** GET /auth/oauth/google/authorize-url: the provider URL; the client now holds the two cookies. */
export async function startSignIn(client: TestClient, options: StartOptions = {}): Promise<URL> {
  const query = options.invitationToken ? `?invitation_token=${encodeURIComponent(options.invitationToken)}` : "";
  const response = await client.get(`/auth/oauth/google/authorize-url${query}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return new URL(((await response.json()) as { url: string }).url);
}

/**
 * The browser at the provider: follows the authorization request through the provider's own
 * login (as `subject`) and consent interactions, or aborts at the login (the person declines),
 * and returns the URL the provider redirects back to (our callback with code or error).
 */
export async function authorizeAtProvider(
  authorizeURL: URL,
  subject: string,
  options: { decline?: boolean } = {},
): Promise<URL> {
  const jar = new Map<string, string>();
  const go = async (url: string, init: RequestInit = {}): Promise<URL> => {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set("cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const name = pair!.slice(0, pair!.indexOf("="));
      const value = pair!.slice(pair!.indexOf("=") + 1);
      if (value === "" || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    const location = response.headers.get("location");
    await response.body?.cancel();
    expect(location, `${init.method ?? "GET"} ${url} answered ${response.status} without a redirect`).toBeTruthy();
    return new URL(location!, url);
  };

  let next = await go(authorizeURL.toString());
  let prompt: "login" | "consent" = "login";
  for (let step = 0; step < 8; step++) {
    if (next.toString().startsWith(PROVIDER.apiBaseURL)) return next;
    if (next.pathname.startsWith("/interaction/")) {
      if (options.decline) {
        next = await go(`${next.origin}${next.pathname}/abort`);
        continue;
      }
      const form: Record<string, string> =
        prompt === "login" ? { prompt: "login", login: subject } : { prompt: "consent" };
      next = await go(next.toString(), { method: "POST", body: new URLSearchParams(form) });
      prompt = "consent";
    } else {
      next = await go(next.toString());
    }
  }
  throw new Error(`the provider did not redirect back to ${PROVIDER.apiBaseURL}`);
}

/** The callback as the browser follows the provider's redirect. */
export function followCallback(client: TestClient, callbackURL: URL): Promise<Response> {
  return client.get(`${callbackURL.pathname}${callbackURL.search}`);
}

/** The whole flow for `account` in `client` (a fresh browser by default); returns the callback's answer. */
export async function signInWithGoogle(
  account: GoogleAccount,
  client: TestClient = googleClient(),
  options: StartOptions = {},
): Promise<Response> {
  const authorizeURL = await startSignIn(client, options);
  return followCallback(client, await authorizeAtProvider(authorizeURL, account.subject));
}

/** The error code of a failure redirect, asserting its exact shape (SEC-42). */
export function loginErrorOf(response: Response): string {
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get("location")!);
  expect(`${location.origin}${location.pathname}`).toBe(`${WEB_BASE_URL}/login`);
  expect([...location.searchParams.keys()]).toEqual(["error"]);
  return location.searchParams.get("error")!;
}
