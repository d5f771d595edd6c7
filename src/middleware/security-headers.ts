// Security headers on every response, errors included (SEC-21, SEC-43).
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../env";
import { readConfig } from "../config";

const ONE_YEAR_SECONDS = 31_536_000;

const withHSTS = secureHeaders({
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  xFrameOptions: "DENY",
  referrerPolicy: "no-referrer",
  strictTransportSecurity: `max-age=${ONE_YEAR_SECONDS}; includeSubDomains`,
  crossOriginResourcePolicy: "same-origin",
});

// Development serves plain http on localhost, where HSTS would pin the browser to https.
const withoutHSTS = secureHeaders({
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  xFrameOptions: "DENY",
  referrerPolicy: "no-referrer",
  strictTransportSecurity: false,
  crossOriginResourcePolicy: "same-origin",
});

export const securityHeaders = createMiddleware<AppEnv>(async function securityHeaders(c, next) {
  const result = readConfig(c.env);
  const isDev = "config" in result && result.config.environment === "dev";
  await (isDev ? withoutHSTS : withHSTS)(c, next);
  // Every API response is private to its caller; nothing may be stored by a cache. Straight onto
  // the response (as secureHeaders does): c.header() after the handler copies the whole Response.
  // An error below was already turned into c.res by Hono's compose, so it gets the header too.
  c.res.headers.set("Cache-Control", "no-store");
});
