// The CORS policy alone (src/middleware/cors.ts), in Hono's middleware-test style: a tiny app with
// just the policy in front of a handler that counts its calls. A foreign origin's preflight gets
// no Access-Control-Allow-Origin and the handler never runs; its simple request may run (CORS only
// stops the browser from reading the answer) but the answer carries nothing that lets it read.
// The whole-app tests: test/http/cors.test.ts.
import { env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv, Env } from "../../src/env";
import { corsPolicy } from "../../src/middleware/cors";

const ALLOWED = "https://app.example.com";
const FOREIGN = ["https://evil.example", "null", `${ALLOWED}.evil.example`, "http://app.example.com", `${ALLOWED}/`];

function buildApp(bindings: Env = { ...env, CORS_ORIGINS: ALLOWED }) {
  const calls = { count: 0 };
  const app = new Hono<AppEnv>();
  app.use(corsPolicy);
  app.on(["GET", "POST"], "/notes", (c) => {
    calls.count++;
    return c.json({ ok: true });
  });
  const send = (method: string, headers: Record<string, string>): Promise<Response> =>
    Promise.resolve(app.request("/notes", { method, headers }, bindings));
  return { calls, send };
}

function preflight(origin: string): Record<string, string> {
  return { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" };
}

describe("corsPolicy", () => {
  it("SEC-44: a preflight from a foreign, null or look-alike origin gets no Access-Control-Allow-Origin, and the handler never runs", async () => {
    const { calls, send } = buildApp();
    for (const origin of FOREIGN) {
      const response = await send("OPTIONS", preflight(origin));
      expect({ origin, allowOrigin: response.headers.get("access-control-allow-origin") }).toEqual({
        origin,
        allowOrigin: null,
      });
      expect(response.headers.get("vary")).toMatch(/\bOrigin\b/);
    }
    expect(calls.count).toBe(0);
  });

  it("SEC-44: a foreign origin's simple request gets no Access-Control-Allow-Origin, so its page reads nothing", async () => {
    const { send } = buildApp();
    for (const origin of FOREIGN) {
      const response = await send("GET", { origin });
      // hono/cors sends Allow-Credentials on every answer; without Allow-Origin it grants nothing.
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(response.headers.get("vary")).toMatch(/\bOrigin\b/);
    }
  });

  it("SEC-44: the allowed origin's preflight is answered by the policy (204, methods, credentials), not the handler", async () => {
    const { calls, send } = buildApp();
    const response = await send("OPTIONS", preflight(ALLOWED));
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(calls.count).toBe(0);
  });

  it("SEC-44: the allowed origin may read the answer, with credentials and Vary: Origin", async () => {
    const { calls, send } = buildApp();
    const response = await send("POST", { origin: ALLOWED });
    expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("vary")).toMatch(/\bOrigin\b/);
    expect(calls.count).toBe(1);
  });

  it("SEC-44: with no valid configuration there is no allowlist, so no origin is allowed", async () => {
    const { send } = buildApp({ ...env, ENVIRONMENT: "prod", CORS_ORIGINS: ALLOWED, JWT_SECRET: undefined });
    const response = await send("OPTIONS", preflight(ALLOWED));
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("vary")).toMatch(/\bOrigin\b/);
  });
});
