// The session cookie: the only place a session token is read from or written to (SEC-15, SEC-17,
// SEC-58).
import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../env";
import { credentialCookieAttributes, hostCookieName, readUniqueCookie } from "./cookies";

/** Longest cookie value worth looking at; a token is 43 characters. */
const MAX_COOKIE_VALUE_LENGTH = 256;

/** `__Host-` + the configured name outside dev (SEC-58); the configured name in dev. */
function sessionCookieName(c: Context<AppEnv>): string {
  const config = c.get("config");
  return hostCookieName(config.environment, config.session.cookieName);
}

function cookieAttributes(c: Context<AppEnv>) {
  return credentialCookieAttributes(c.get("config").environment);
}

export function readSessionCookie(c: Context<AppEnv>): string | null {
  return readUniqueCookie(c, sessionCookieName(c), MAX_COOKIE_VALUE_LENGTH);
}

export function writeSessionCookie(c: Context<AppEnv>, token: string): void {
  setCookie(c, sessionCookieName(c), token, { ...cookieAttributes(c), maxAge: c.get("config").session.ttlSeconds });
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, sessionCookieName(c), cookieAttributes(c));
}
