// Cookie names per environment and the one way a request's cookie is read (SEC-20, SEC-58).
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { Config } from "../config";

type Environment = Config["environment"];

/** Longest Cookie header worth parsing; browsers send at most a few KB. */
const MAX_COOKIE_HEADER_LENGTH = 8192;

const HOST_PREFIX = "__Host-";

/**
 * Outside dev every cookie Rampart sets is a `__Host-` cookie: the browser only accepts it with
 * Secure, Path=/ and no Domain, from the host itself, so a sibling subdomain (or an http page on
 * the same host) cannot plant or shadow it, and a cookie without the prefix is never read there.
 * Dev keeps the bare name because it runs on http://localhost, where not every browser accepts
 * Secure cookies. https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-4.1.3.2
 */
export function hostCookieName(environment: Environment, name: string): string {
  return environment === "dev" ? name : `${HOST_PREFIX}${name}`;
}

/**
 * Attributes of a cookie that carries a credential (session, device): HttpOnly; Secure and
 * SameSite=Strict outside dev, Lax in dev so a local frontend on another port still sends it;
 * Path=/ (SEC-15).
 */
export function credentialCookieAttributes(environment: Environment) {
  const isDev = environment === "dev";
  return { httpOnly: true, secure: !isDev, sameSite: isDev ? "Lax" : "Strict", path: "/" } as const;
}

/** The cookie's value, or null when it is absent, empty, longer than `maxLength`, malformed or present twice. */
export function readUniqueCookie(c: Context, name: string, maxLength: number): string | null {
  const header = c.req.header("cookie");
  if (!header || header.length > MAX_COOKIE_HEADER_LENGTH) return null;
  // Two cookies of one name mean one was planted (cookie tossing from a sibling subdomain or a
  // narrower Path is sent first); trust neither.
  const count = header.split(";").filter((pair) => pair.slice(0, pair.indexOf("=")).trim() === name).length;
  if (count !== 1) return null;
  let value: string | undefined;
  try {
    value = getCookie(c, name);
  } catch {
    return null; // malformed percent-encoding (SEC-20)
  }
  return value && value.length <= maxLength ? value : null;
}
