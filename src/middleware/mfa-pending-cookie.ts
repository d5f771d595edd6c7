// The mfa_pending cookie: the only place a pending-login token is read from or written to. It
// carries no session: only the second-factor routes (/auth/mfa/verify, /auth/passkeys/login/*)
// read it (SEC-67), and it is a `__Host-` cookie outside dev like the session's (SEC-58).
import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../env";
import { MFA_PENDING_TTL_SECONDS } from "../platform/mfa-pending";
import { credentialCookieAttributes, hostCookieName, readUniqueCookie } from "./cookies";

const MFA_PENDING_COOKIE = "mfa_pending";

/** Longest cookie value worth looking at; a token is 43 characters. */
const MAX_COOKIE_VALUE_LENGTH = 256;

function cookieName(c: Context<AppEnv>): string {
  return hostCookieName(c.get("config").environment, MFA_PENDING_COOKIE);
}

function cookieAttributes(c: Context<AppEnv>) {
  return credentialCookieAttributes(c.get("config").environment);
}

export function readMfaPendingCookie(c: Context<AppEnv>): string | null {
  return readUniqueCookie(c, cookieName(c), MAX_COOKIE_VALUE_LENGTH);
}

export function writeMfaPendingCookie(c: Context<AppEnv>, token: string): void {
  setCookie(c, cookieName(c), token, { ...cookieAttributes(c), maxAge: MFA_PENDING_TTL_SECONDS });
}

export function clearMfaPendingCookie(c: Context<AppEnv>): void {
  deleteCookie(c, cookieName(c), cookieAttributes(c));
}
