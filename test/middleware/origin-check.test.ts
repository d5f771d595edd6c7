// The Origin check alone (src/middleware/origin-check.ts), in Hono's middleware-test style: a tiny
// app with just the check in front of handlers that count their calls, the attacker's cross-site
// request, the 403, and a handler that never ran. The whole-app tests: test/http/csrf.test.ts.
import { env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { requireConfig } from "../../src/config";
import type { AppEnv } from "../../src/env";
import { handleError } from "../../src/middleware/error-handler";
import { originCheck } from "../../src/middleware/origin-check";

const WEB_ORIGIN = "http://localhost:5173";
const API_ORIGIN = "http://rampart.test";

function buildApp() {
  const calls = { count: 0 };
  const app = new Hono<AppEnv>();
  app.use(async function stubRequestContext(c, next) {
    c.set("config", requireConfig(c.env));
    await next();
  });
  app.use(originCheck);
  const handler = () => {
    calls.count++;
    return new Response(null, { status: 204 });
  };
  app.on(["GET", "POST", "PUT", "PATCH", "DELETE"], ["/notes", "/cron/run", "/webhooks/stripe"], handler);
  app.onError(handleError);
  const send = (method: string, path: string, headers: Record<string, string> = {}): Promise<Response> =>
    Promise.resolve(app.request(`${API_ORIGIN}${path}`, { method, headers }, env));
  return { calls, send };
}

async function expectForbidden(response: Response): Promise<void> {
  expect(response.status).toBe(403);
  expect(await response.json()).toEqual({ error: { code: "FORBIDDEN", message: expect.any(String) } });
}

describe("originCheck", () => {
  it("SEC-45: a foreign, look-alike or null Origin is 403 on every unsafe method, and the handler never runs", async () => {
    const { calls, send } = buildApp();
    const origins = ["https://evil.example", `${WEB_ORIGIN}.evil.example`, "http://localhost:5174", "null"];
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      for (const origin of origins) await expectForbidden(await send(method, "/notes", { origin }));
    }
    expect(calls.count).toBe(0);
  });

  it("SEC-45: Sec-Fetch-Site: cross-site is 403 even with a trusted Origin, and the handler never runs", async () => {
    const { calls, send } = buildApp();
    await expectForbidden(await send("POST", "/notes", { origin: WEB_ORIGIN, "sec-fetch-site": "cross-site" }));
    expect(calls.count).toBe(0);
  });

  it("SEC-45: a cookie-carrying unsafe request without an Origin is 403, and the handler never runs", async () => {
    const { calls, send } = buildApp();
    await expectForbidden(await send("POST", "/notes", { cookie: "session_id=abc" }));
    expect(calls.count).toBe(0);
  });

  it("SEC-45: the web app's and the API's own Origin pass, as does a cookieless call without one", async () => {
    const { calls, send } = buildApp();
    expect((await send("POST", "/notes", { origin: WEB_ORIGIN, "sec-fetch-site": "same-site" })).status).toBe(204);
    expect((await send("POST", "/notes", { origin: API_ORIGIN, cookie: "session_id=abc" })).status).toBe(204);
    expect((await send("POST", "/notes")).status).toBe(204);
    expect(calls.count).toBe(3);
  });

  it("SEC-45, SEC-46: safe methods are not checked (they change nothing), whatever their Origin", async () => {
    const { calls, send } = buildApp();
    const response = await send("GET", "/notes", { origin: "https://evil.example", "sec-fetch-site": "cross-site" });
    expect(response.status).toBe(204);
    expect(calls.count).toBe(1);
  });

  it("SEC-45: the server-to-server routes (Stripe webhook, /cron/run) are exempt: they carry no cookie", async () => {
    const { calls, send } = buildApp();
    for (const path of ["/webhooks/stripe", "/cron/run"]) {
      expect((await send("POST", path, { origin: "https://evil.example" })).status).toBe(204);
    }
    expect(calls.count).toBe(2);
  });
});
