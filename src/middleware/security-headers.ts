// Security headers on every response, errors included (SEC-21, SEC-43).
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../env";
import { readConfig } from "../config";

const ONE_YEAR_SECONDS = 31_536_000;

/**
 * The headers that act on a JSON API response, as OWASP's REST Security Cheat Sheet lists them
 * (https://cheatsheetseries.owasp.org/cheatsheets/REST_Security_Cheat_Sheet.html#security-headers):
 * SEC-43's set, plus Cross-Origin-Resource-Policy so that no other site can load a response as a
 * no-cors subresource. Hono's other defaults are for HTML documents or retired clients and are
 * off: Cross-Origin-Opener-Policy and Origin-Agent-Cluster act only on a document's browsing
 * context (the /docs page, the one document here, sets them itself), X-DNS-Prefetch-Control on
 * a document's links, X-Download-Options on Internet Explorer 8, X-Permitted-Cross-Domain-Policies
 * on Flash and PDF plug-ins reading a crossdomain.xml this API never serves, and X-XSS-Protection
 * on an XSS filter browsers have removed (OWASP advises not sending it). Each header costs every
 * response a few µs of workerd CPU to set and send (issue 18; docs/decisions/perf.md "Fifth round").
 */
const API_RESPONSE_HEADERS: Parameters<typeof secureHeaders>[0] = {
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  xFrameOptions: "DENY",
  referrerPolicy: "no-referrer",
  crossOriginResourcePolicy: "same-origin",
  xContentTypeOptions: true,
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

const withHSTS = secureHeaders({
  ...API_RESPONSE_HEADERS,
  strictTransportSecurity: `max-age=${ONE_YEAR_SECONDS}; includeSubDomains`,
});

// Development serves plain http on localhost, where HSTS would pin the browser to https.
const withoutHSTS = secureHeaders({ ...API_RESPONSE_HEADERS, strictTransportSecurity: false });

export const securityHeaders = createMiddleware<AppEnv>(async function securityHeaders(c, next) {
  const result = readConfig(c.env);
  const isDev = "config" in result && result.config.environment === "dev";
  await (isDev ? withoutHSTS : withHSTS)(c, next);
  // Every API response is private to its caller; nothing may be stored by a cache. Straight onto
  // the response (as secureHeaders does): c.header() after the handler copies the whole Response.
  // An error below was already turned into c.res by Hono's compose, so it gets the header too.
  c.res.headers.set("Cache-Control", "no-store");
});
