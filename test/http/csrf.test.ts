// CSRF through the whole app (SEC-45): foreign Origins and cross-site fetches are refused on every
// unsafe method before any handler runs. The middleware alone: test/middleware/origin-check.test.ts.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { API_ORIGIN, createClient, type TestClient } from "../helpers/client";
import { signedInAccount } from "../helpers/accounts";
import { countAuditRows, dumpDatabase } from "../helpers/db-state";
import { fillPath, registeredRoutes, routeLabel } from "../helpers/route-registry";
import { sessionRowsOf } from "../helpers/http-layer";

describe("HTTP layer", () => {
  describe("SEC-45: CSRF on unsafe methods", () => {
    const FOREIGN_ORIGINS = [
      "https://evil.example",
      "null",
      "http://localhost:5173.evil.com",
      "http://evil-localhost:5173",
      "http://localhost:5174",
      "https://localhost:5173",
    ];

    /** A login with the right password that the origin check must stop before the handler runs. */
    async function expectLoginRefused(client: TestClient, headers: Record<string, string> = {}) {
      const { email, password } = await signedInAccount();
      const sessionsBefore = await sessionRowsOf(email);
      const auditBefore = await countAuditRows();
      const response = await client.post("/auth/login", { email, password }, { headers });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: { code: "FORBIDDEN", message: expect.any(String) } });
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(await sessionRowsOf(email)).toBe(sessionsBefore);
      expect(await countAuditRows()).toBe(auditBefore);
    }

    for (const origin of FOREIGN_ORIGINS) {
      it(`refuses POST /auth/login from Origin ${origin} with 403 before the handler runs (no session, no audit row)`, async () => {
        await expectLoginRefused(createClient({ origin }));
      });
    }

    it("refuses an unsafe request with Sec-Fetch-Site: cross-site even from an allowed Origin", async () => {
      await expectLoginRefused(createClient(), { "sec-fetch-site": "cross-site" });
    });

    it("refuses a cookie-carrying unsafe request that sends no Origin, and the session is untouched", async () => {
      const target = await signedInAccount();
      const noOrigin = createClient({ origin: null });
      const cookie = target.client.cookieHeader();
      const before = await dumpDatabase();
      for (const [method, path, json] of [
        ["POST", "/auth/logout", undefined],
        ["PATCH", "/users/me", { first_name: "Mallory" }],
        ["POST", "/password/update", { current_password: target.password, new_password: "a brand new passphrase" }],
      ] as const) {
        const response = await noOrigin.request(method, path, { headers: { cookie }, json });
        expect.soft({ method, path, status: response.status }).toEqual({ method, path, status: 403 });
      }
      expect(await dumpDatabase()).toBe(before);
      expect((await target.client.get("/users/me")).status).toBe(200);
    });

    it("refuses cookie-carrying PATCH and DELETE from a foreign Origin, and nothing changes", async () => {
      const target = await signedInAccount();
      const cookie = target.client.cookieHeader();
      const sessions = (await (await target.client.get("/auth/sessions")).json()) as { sessions: { id: string }[] };
      const before = await dumpDatabase();
      const evil = createClient({ origin: "https://evil.example" });
      expect((await evil.patch("/users/me", { first_name: "Mallory" }, { headers: { cookie } })).status).toBe(403);
      expect((await evil.delete(`/auth/sessions/${sessions.sessions[0]!.id}`, { headers: { cookie } })).status).toBe(
        403,
      );
      expect(await dumpDatabase()).toBe(before);
    });

    it("allows an unsafe request without cookie and without Origin, as curl sends it", async () => {
      const { email, password } = await signedInAccount();
      const response = await createClient({ origin: null }).post("/auth/login", { email, password });
      expect(response.status).toBe(200);
      // The session cookie, and the device cookie of SEC-55.
      const names = response.headers.getSetCookie().map((line) => line.slice(0, line.indexOf("=")));
      expect(names.sort()).toEqual(["login_device", "session_id"]);
    });

    it("allows the API's own origin and same-site fetches", async () => {
      const { email, password } = await signedInAccount();
      expect((await createClient({ origin: API_ORIGIN }).post("/auth/login", { email, password })).status).toBe(200);
      for (const site of ["same-origin", "same-site", "none"]) {
        const response = await createClient().post(
          "/auth/login",
          { email, password },
          { headers: { "sec-fetch-site": site } },
        );
        expect.soft(response.status, site).toBe(200);
      }
    });

    it("exempts /cron/run, which is authenticated by its bearer secret, not by Origin", async () => {
      const cross = { origin: "https://evil.example", "sec-fetch-site": "cross-site", cookie: "session_id=anything" };
      const withSecret = await createClient({ origin: null }).post("/cron/run", undefined, {
        headers: { ...cross, authorization: `Bearer ${env.CRON_SECRET}` },
      });
      expect(withSecret.status).toBe(200);
      const withoutSecret = await createClient({ origin: null }).post("/cron/run", undefined, { headers: cross });
      expect(withoutSecret.status).toBe(401);
    });
  });

  it("answers every registered route's wrong-Origin unsafe request with the same 403 body", async () => {
    for (const route of registeredRoutes().filter((candidate) => !["GET", "HEAD"].includes(candidate.method))) {
      // Server-to-server, exempt: the cron secret (tested above) and signed webhooks (their own tests).
      if (route.access === "cron-secret" || route.access.endsWith("-signature")) continue;
      const response = await createClient({ origin: "https://evil.example" }).request(
        route.method,
        fillPath(route.path, {}),
        { json: {} },
      );
      expect.soft({ route: routeLabel(route), status: response.status, body: await response.json() }).toEqual({
        route: routeLabel(route),
        status: 403,
        body: { error: { code: "FORBIDDEN", message: expect.any(String) } },
      });
    }
  });
});
