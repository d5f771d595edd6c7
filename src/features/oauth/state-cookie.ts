// The two one-time cookies of a Google sign-in (SEC-39): the state (the same value as the `state`
// parameter) and the PKCE verifier (never in any URL). Both HttpOnly; Secure; SameSite=Lax (Strict
// would not be sent on the provider's cross-site redirect back); cleared by the callback whatever
// its outcome. Outside dev they are `__Host-` cookies (SEC-58), which the browser only accepts with
// Path=/, so a sibling subdomain cannot plant a state of its own; in dev they keep the bare names
// and Path=/auth/oauth, so no other route ever receives them.
import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../../env";
import { hostCookieName, readUniqueCookie } from "../../middleware/cookies";
import { STATE_TTL_SECONDS } from "./state";

const STATE_COOKIE = "oauth_state";
const VERIFIER_COOKIE = "oauth_pkce";

/** Longest value worth reading: a state is about 350 characters, a verifier 43. */
const MAX_COOKIE_VALUE_LENGTH = 2048;

// Secure in every environment, dev included: browsers accept Secure cookies from
// http://localhost (a secure context), and no environment branch means none to get wrong.
const BASE_ATTRIBUTES = { httpOnly: true, secure: true, sameSite: "Lax" } as const;

function cookieScope(c: Context<AppEnv>) {
  const environment = c.get("config").environment;
  return {
    state: hostCookieName(environment, STATE_COOKIE),
    verifier: hostCookieName(environment, VERIFIER_COOKIE),
    attributes: { ...BASE_ATTRIBUTES, path: environment === "dev" ? "/auth/oauth" : "/" },
  };
}

export function writeStateCookies(c: Context<AppEnv>, values: { state: string; codeVerifier: string }): void {
  const { state, verifier, attributes } = cookieScope(c);
  setCookie(c, state, values.state, { ...attributes, maxAge: STATE_TTL_SECONDS });
  setCookie(c, verifier, values.codeVerifier, { ...attributes, maxAge: STATE_TTL_SECONDS });
}

export function clearStateCookies(c: Context<AppEnv>): void {
  const { state, verifier, attributes } = cookieScope(c);
  deleteCookie(c, state, attributes);
  deleteCookie(c, verifier, attributes);
}

/** Each cookie's value, or null when it is absent, oversized, malformed or present twice. */
export function readStateCookies(c: Context<AppEnv>): { state: string | null; codeVerifier: string | null } {
  const { state, verifier } = cookieScope(c);
  return {
    state: readUniqueCookie(c, state, MAX_COOKIE_VALUE_LENGTH),
    codeVerifier: readUniqueCookie(c, verifier, MAX_COOKIE_VALUE_LENGTH),
  };
}
