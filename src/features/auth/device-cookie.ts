// The device cookie that carries a device token (SEC-55): HttpOnly, and outside dev a `__Host-`
// cookie with Secure and SameSite=Strict like the session cookie (SEC-15, SEC-58).
import type { Context } from "hono";
import { setCookie } from "hono/cookie";
import type { AppEnv } from "../../env";
import { credentialCookieAttributes, hostCookieName, readUniqueCookie } from "../../middleware/cookies";
import { DEVICE_TOKEN_TTL_SECONDS } from "./device-token";

const DEVICE_COOKIE = "login_device";
const MAX_COOKIE_VALUE_LENGTH = 1024;

function deviceCookieName(c: Context<AppEnv>): string {
  return hostCookieName(c.get("config").environment, DEVICE_COOKIE);
}

export function readDeviceCookie(c: Context<AppEnv>): string | null {
  return readUniqueCookie(c, deviceCookieName(c), MAX_COOKIE_VALUE_LENGTH);
}

export function writeDeviceCookie(c: Context<AppEnv>, token: string): void {
  setCookie(c, deviceCookieName(c), token, {
    ...credentialCookieAttributes(c.get("config").environment),
    maxAge: DEVICE_TOKEN_TTL_SECONDS,
  });
}
