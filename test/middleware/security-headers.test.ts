// The security headers alone (src/middleware/security-headers.ts), in Hono's middleware-test style:
// a tiny app with just the middleware and the error handler, whose handlers succeed, refuse or
// crash; every answer carries the headers. The whole-app tests: test/http/security-headers.test.ts.
import { env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv, Env } from "../../src/env";
import { AppError } from "../../src/errors";
import { handleError, handleNotFound } from "../../src/middleware/error-handler";
import { securityHeaders } from "../../src/middleware/security-headers";
import { expectedSecurityHeaders, PROD_ENV, securityHeadersOf } from "../helpers/http-layer";

function buildApp(bindings: Env) {
  const app = new Hono<AppEnv>();
  app.use(securityHeaders);
  app.get("/ok", (c) => c.json({ ok: true }));
  app.get("/refused", () => {
    throw new AppError("FORBIDDEN", "Not for you.");
  });
  app.get("/crash", () => {
    throw new Error("boom");
  });
  app.notFound(handleNotFound);
  app.onError(handleError);
  return (path: string) => Promise.resolve(app.request(path, {}, bindings));
}

const PATHS: [string, number][] = [
  ["/ok", 200],
  ["/refused", 403],
  ["/crash", 500],
  ["/nope", 404],
];

describe("securityHeaders", () => {
  it("SEC-43, SEC-21: every answer (success, refusal, 500, 404) carries them, without HSTS in dev", async () => {
    const send = buildApp(env);
    for (const [path, status] of PATHS) {
      const response = await send(path);
      expect(response.status).toBe(status);
      expect({ path, ...securityHeadersOf(response) }).toEqual({ path, ...expectedSecurityHeaders({ hsts: false }) });
    }
  });

  it("SEC-43: outside dev every answer adds HSTS (one year, includeSubDomains)", async () => {
    const send = buildApp({ ...env, ...PROD_ENV } as Env);
    for (const [path, status] of PATHS) {
      const response = await send(path);
      expect(response.status).toBe(status);
      expect({ path, ...securityHeadersOf(response) }).toEqual({ path, ...expectedSecurityHeaders({ hsts: true }) });
    }
  });

  it("SEC-43: sends the headers that act on a JSON response, CORP too, and none of the document-only or retired ones", async () => {
    const response = await buildApp({ ...env, ...PROD_ENV } as Env)("/ok");
    const names = [...response.headers.keys()].filter((name) => name !== "content-type");
    expect(names.sort()).toEqual(
      [...Object.keys(expectedSecurityHeaders({ hsts: true })), "cross-origin-resource-policy"].sort(),
    );
    expect(response.headers.get("cross-origin-resource-policy")).toBe("same-origin");
  });

  it("SEC-43: a configuration that does not parse is not dev, so HSTS stays on", async () => {
    const response = await buildApp({ ...env, ENVIRONMENT: "nonsense" })("/ok");
    expect(securityHeadersOf(response)).toEqual(expectedSecurityHeaders({ hsts: true }));
  });
});
