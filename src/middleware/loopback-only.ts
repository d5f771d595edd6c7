// SEC-64: a worker running with ENVIRONMENT=dev answers loopback hosts only.
//
// Dev is where the stub email outbox (GET /dev/emails, every reset and verification link), the
// fake AI provider and the dev-only limiter reset live. Deployed by mistake (a bare `wrangler
// deploy`, a copied config), those must not be reachable from the internet: every request whose
// Host is not loopback gets 503 MISCONFIGURED before any route, D1 or limiter runs. The same check
// refuses DNS rebinding against `npm run dev` (a page on evil.example whose name resolves to
// 127.0.0.1 still sends `Host: evil.example`) and a `wrangler dev --tunnel` hostname.
// https://developers.cloudflare.com/workers/wrangler/configuration/#environments
import { createMiddleware } from "hono/factory";
import { readEnvironment } from "../config/contract";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { logEvent } from "../lib/log";

/**
 * `localhost`, 127.0.0.0/8 and [::1], as WHATWG URL parsing normalizes them (so `127.1` and
 * `0x7f.0.0.1` are 127.0.0.1, and IPv6 comes bracketed). Subdomains of localhost and a trailing
 * dot are refused: the worker cannot know that the client resolved them to loopback.
 */
export function isLoopbackHostname(hostname: string): boolean {
  if (hostname === "localhost" || hostname === "[::1]") return true;
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(hostname);
  return octets !== null && octets[1] === "127" && octets.slice(2).every((octet) => Number(octet) <= 255);
}

/**
 * The last request URL's authority and what it decided. Nearly every request of an isolate comes
 * to one host, so this skips parsing the URL and matching the hostname per request. The hostname is
 * a function of the authority alone, so the cached verdict is the one a fresh parse would give.
 */
let lastHost = { authority: "", hostname: "", isLoopback: false };

function hostOf(url: string): { hostname: string; isLoopback: boolean } {
  // Request.url is serialized by the URL parser: scheme "://" authority "/" path, always.
  const start = url.indexOf("//") + 2;
  const end = url.indexOf("/", start);
  const authority = end === -1 ? url.slice(start) : url.slice(start, end);
  if (authority !== lastHost.authority) {
    const hostname = new URL(url).hostname;
    lastHost = { authority, hostname, isLoopback: isLoopbackHostname(hostname) };
  }
  return lastHost;
}

// Not async: it does nothing after the handler, so it hands next()'s promise back instead of
// wrapping it in one more (a refusal throws synchronously, which Hono's compose catches alike).
export const loopbackOnlyInDev = createMiddleware<AppEnv>(function loopbackOnlyInDev(c, next) {
  // ENVIRONMENT alone decides, read the way the config reads it (unset is prod); the rest of a
  // broken config is refused by requestContext with its own 503.
  if (readEnvironment(c.env) === "dev") {
    const { hostname, isLoopback } = hostOf(c.req.url);
    if (!isLoopback) {
      logEvent("warn", "dev_worker_non_loopback_host", { host: hostname.slice(0, 253), path: c.req.path });
      throw new AppError(
        "MISCONFIGURED",
        "This worker runs with ENVIRONMENT=dev and answers on localhost only; deploy with `npm run deploy -- --env production`.",
        { settings: ["ENVIRONMENT"] },
      );
    }
  }
  return next();
});
