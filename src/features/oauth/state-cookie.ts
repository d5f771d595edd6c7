// The two one-time cookies of a Google sign-in (SEC-39): the state (the same value as the `state`
// parameter) and the PKCE verifier (never in any URL). Both HttpOnly; Secure; SameSite=Lax (Strict
// would not be sent on the provider's cross-site redirect back); Path=/auth/oauth, so no other
// route ever receives them; cleared by the callback whatever its outcome.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../../env";
import { STATE_TTL_SECONDS } from "./state";

const STATE_COOKIE = "oauth_state";
const VERIFIER_COOKIE = "oauth_pkce";

/** Longest value worth reading: a state is about 350 characters, a verifier 43. */
const MAX_COOKIE_VALUE_LENGTH = 2048;

// Secure in every environment, dev included: browsers accept Secure cookies from
// http://localhost (a secure context), and no environment branch means none to get wrong.
const ATTRIBUTES = { httpOnly: true, secure: true, sameSite: "Lax", path: "/auth/oauth" } as const;

export function writeStateCookies(c: Context<AppEnv>, values: { state: string; codeVerifier: string }): void {
  setCookie(c, STATE_COOKIE, values.state, { ...ATTRIBUTES, maxAge: STATE_TTL_SECONDS });
  setCookie(c, VERIFIER_COOKIE, values.codeVerifier, { ...ATTRIBUTES, maxAge: STATE_TTL_SECONDS });
}

export function clearStateCookies(c: Context<AppEnv>): void {
  deleteCookie(c, STATE_COOKIE, ATTRIBUTES);
  deleteCookie(c, VERIFIER_COOKIE, ATTRIBUTES);
}

/** Each cookie's value, or null when it is absent, oversized, malformed or present twice. */
export function readStateCookies(c: Context<AppEnv>): { state: string | null; codeVerifier: string | null } {
  const header = c.req.header("cookie") ?? "";
  return { state: readOne(c, header, STATE_COOKIE), codeVerifier: readOne(c, header, VERIFIER_COOKIE) };
}

function readOne(c: Context<AppEnv>, header: string, name: string): string | null {
  if (header.length > 8192) return null;
  // Two cookies of one name mean one was planted (a sibling subdomain or a narrower path): trust neither.
  const count = header.split(";").filter((pair) => pair.slice(0, pair.indexOf("=")).trim() === name).length;
  if (count !== 1) return null;
  let value: string | undefined;
  try {
    value = getCookie(c, name);
  } catch {
    return null;
  }
  return value && value.length <= MAX_COOKIE_VALUE_LENGTH ? value : null;
}
