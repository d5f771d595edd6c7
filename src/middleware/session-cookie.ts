// The session cookie: the only place a session token is read from or written to (SEC-15, SEC-17).
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../env";

/** Longest cookie value worth looking at; a token is 43 characters. */
const MAX_COOKIE_VALUE_LENGTH = 256;

function cookieAttributes(c: Context<AppEnv>) {
  const isDev = c.get("config").environment === "dev";
  return {
    httpOnly: true,
    // Strict outside dev; Lax in dev so a local frontend on another port still sends it.
    secure: !isDev,
    sameSite: isDev ? "Lax" : "Strict",
    path: "/",
  } as const;
}

export function readSessionCookie(c: Context<AppEnv>): string | null {
  const raw = c.req.header("cookie");
  if (!raw || raw.length > 8192) return null;
  const name = c.get("config").session.cookieName;
  // Two cookies of the same name mean one was planted (cookie tossing from a sibling subdomain
  // or a narrower Path is sent first); trust neither.
  if (countCookies(raw, name) > 1) return null;
  let value: string | undefined;
  try {
    value = getCookie(c, name);
  } catch {
    return null; // malformed percent-encoding (SEC-20)
  }
  if (!value || value.length > MAX_COOKIE_VALUE_LENGTH) return null;
  return value;
}

function countCookies(header: string, name: string): number {
  let count = 0;
  for (const pair of header.split(";")) {
    if (pair.slice(0, pair.indexOf("=")).trim() === name) count++;
  }
  return count;
}

export function writeSessionCookie(c: Context<AppEnv>, token: string): void {
  const { cookieName, ttlSeconds } = c.get("config").session;
  setCookie(c, cookieName, token, { ...cookieAttributes(c), maxAge: ttlSeconds });
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, c.get("config").session.cookieName, cookieAttributes(c));
}
