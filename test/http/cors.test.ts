// CORS through the whole app (SEC-44): the exact-match allowlist, credentials, Vary: Origin and
// preflights. The middleware alone: test/middleware/cors.test.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { WEB_ORIGIN, createClient } from "../helpers/client";
import { signedInAccount, type Account } from "../helpers/accounts";
import { callFailingApp, prodClient, PROD_ORIGIN } from "../helpers/http-layer";

describe("HTTP layer", () => {
  let account: Account;

  beforeAll(async () => {
    account = await signedInAccount();
  });

  describe("SEC-44: CORS", () => {
    const LOOK_ALIKES = [
      "https://evil.example",
      "null",
      "http://localhost:5173.evil.com",
      "http://evil-localhost:5173",
      "http://localhost:5174",
      "https://localhost:5173",
      "http://localhost",
      "http://LOCALHOST:5173",
      "http://localhost:5173/",
      `${WEB_ORIGIN}, https://evil.example`,
    ];

    it("gives the allowed web origin Access-Control-Allow-Origin with credentials, on successes and errors", async () => {
      const responses = [
        await account.client.get("/users/me", { headers: { origin: WEB_ORIGIN } }),
        await createClient().get("/users/me", { headers: { origin: WEB_ORIGIN } }),
        await createClient().post("/auth/login", { email: 1 }),
      ];
      for (const response of responses) {
        expect.soft(response.headers.get("access-control-allow-origin")).toBe(WEB_ORIGIN);
        expect.soft(response.headers.get("access-control-allow-credentials")).toBe("true");
        expect.soft(response.headers.get("vary")).toMatch(/\bOrigin\b/);
      }
    });

    it("gives unknown, null and look-alike origins no Access-Control-Allow-Origin", async () => {
      for (const origin of LOOK_ALIKES) {
        const response = await createClient().get("/ping", { headers: { origin } });
        expect.soft(response.headers.get("access-control-allow-origin"), origin).toBeNull();
        expect.soft(response.headers.get("vary"), origin).toMatch(/\bOrigin\b/);
      }
    });

    it("grants a request with no Origin, or one it refuses, nothing: no Allow-Credentials or Expose-Headers either", async () => {
      for (const headers of [{}, { origin: "https://evil.example" }, { origin: "null" }] as Record<string, string>[]) {
        const response = await createClient().get("/ping", { headers });
        const label = JSON.stringify(headers);
        expect.soft(response.headers.get("access-control-allow-origin"), label).toBeNull();
        expect.soft(response.headers.get("access-control-allow-credentials"), label).toBeNull();
        expect.soft(response.headers.get("access-control-expose-headers"), label).toBeNull();
        expect.soft(response.headers.get("vary"), label).toMatch(/\bOrigin\b/);
      }
    });

    it("uses each environment's own allowlist: the dev origin is foreign in prod", async () => {
      const allowed = await prodClient().get("/ping", { headers: { origin: PROD_ORIGIN } });
      expect(allowed.headers.get("access-control-allow-origin")).toBe(PROD_ORIGIN);
      const foreign = await prodClient().get("/ping", { headers: { origin: WEB_ORIGIN } });
      expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    });

    it("sends Vary: Origin on every response, with or without an Origin header", async () => {
      const responses: [string, Response][] = [
        ["200 without Origin", await createClient().get("/ping")],
        ["401", await createClient().get("/users/me")],
        ["404", await createClient().get("/nope")],
        ["405", await createClient().put("/ping", {})],
        ["413", await createClient().post("/auth/login", { padding: "x".repeat(70_000) })],
        ["422", await createClient().post("/auth/login", { email: 1 })],
        ["500", await callFailingApp("/throws")],
      ];
      for (const [label, response] of responses) {
        expect.soft(response.headers.get("vary"), label).toMatch(/\bOrigin\b/);
      }
    });

    it("answers a preflight from the allowed origin with 204, the allowed methods and headers, and credentials", async () => {
      const response = await createClient().request("OPTIONS", "/auth/login", {
        headers: {
          origin: WEB_ORIGIN,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
      expect({
        status: response.status,
        allowOrigin: response.headers.get("access-control-allow-origin"),
        allowCredentials: response.headers.get("access-control-allow-credentials"),
        allowMethods: response.headers
          .get("access-control-allow-methods")
          ?.split(",")
          .map((method) => method.trim()),
        allowHeaders: response.headers.get("access-control-allow-headers")?.toLowerCase(),
        vary: response.headers.get("vary"),
      }).toEqual({
        status: 204,
        allowOrigin: WEB_ORIGIN,
        allowCredentials: "true",
        allowMethods: expect.arrayContaining(["GET", "POST", "PATCH", "DELETE"]),
        allowHeaders: expect.stringContaining("content-type"),
        vary: expect.stringMatching(/\bOrigin\b/),
      });
    });

    it("answers a preflight from a foreign or look-alike origin without Access-Control-Allow-Origin and without a 500", async () => {
      for (const origin of LOOK_ALIKES) {
        const response = await createClient().request("OPTIONS", "/auth/login", {
          headers: { origin, "access-control-request-method": "POST" },
        });
        expect.soft(response.status, origin).toBeLessThan(500);
        expect.soft(response.headers.get("access-control-allow-origin"), origin).toBeNull();
      }
    });
  });
});
