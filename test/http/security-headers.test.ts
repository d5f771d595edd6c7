// Security headers on every response of the whole app, errors and 500s included (SEC-43, SEC-21),
// and 500 bodies that name nothing of what went wrong (SEC-48). The middleware alone:
// test/middleware/security-headers.test.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { createClient, randomIP, WEB_ORIGIN } from "../helpers/client";
import { GOOD_PASSWORD, signedInAccount, uniqueEmail, type Account } from "../helpers/accounts";
import {
  callFailingApp,
  expectedSecurityHeaders,
  PROD_ENV,
  prodClient,
  securityHeadersOf,
} from "../helpers/http-layer";

describe("HTTP layer: security headers", () => {
  let account: Account;

  beforeAll(async () => {
    account = await signedInAccount();
  });

  describe("SEC-43: security headers on every response, errors included", () => {
    it("sends them on successes, every kind of 4xx, 404 and 405 (no HSTS in dev)", async () => {
      const fresh = await signedInAccount();
      const sameIP = randomIP();
      const loginFromOneIP = () => createClient({ ip: sameIP }).post("/auth/login", {});
      for (let attempt = 0; attempt < 5; attempt++) await loginFromOneIP();
      const cases: [string, number, () => Promise<Response>][] = [
        ["GET /ping", 200, () => createClient().get("/ping")],
        ["GET /users/me signed in", 200, () => account.client.get("/users/me")],
        [
          "POST /auth/signup",
          201,
          () => createClient().post("/auth/signup", { email: uniqueEmail(), password: GOOD_PASSWORD }),
        ],
        ["POST /auth/logout", 204, () => fresh.client.post("/auth/logout")],
        [
          "malformed JSON",
          400,
          () =>
            createClient().post("/auth/login", undefined, {
              body: "{",
              headers: { "content-type": "application/json" },
            }),
        ],
        ["GET /users/me anonymous", 401, () => createClient().get("/users/me")],
        ["foreign Origin", 403, () => createClient({ origin: "https://evil.example" }).post("/auth/login", {})],
        ["unknown route", 404, () => createClient().get("/no/such/route")],
        ["wrong method", 405, () => createClient().put("/ping", {})],
        ["body over 64 KiB", 413, () => createClient().post("/auth/login", { padding: "x".repeat(70_000) })],
        [
          "text/plain body",
          415,
          () =>
            createClient().post("/auth/login", undefined, { body: "hi", headers: { "content-type": "text/plain" } }),
        ],
        ["invalid body", 422, () => createClient().post("/auth/login", { email: 1 })],
        ["rate limited", 429, loginFromOneIP],
      ];
      for (const [label, status, send] of cases) {
        const response = await send();
        expect.soft({ label, status: response.status, headers: securityHeadersOf(response) }).toEqual({
          label,
          status,
          headers: expectedSecurityHeaders({ hsts: false }),
        });
      }
    });

    it("sends them on a 500 too, and the 500 body names nothing of what went wrong (SEC-48)", async () => {
      const paths: [string, RequestInit][] = [
        ["/throws", {}],
        ["/type-error", {}],
        ["/sql", {}],
      ];
      for (const [path, init] of paths) {
        const response = await callFailingApp(path, init);
        const text = await response.text();
        expect.soft({ path, status: response.status, headers: securityHeadersOf(response) }).toEqual({
          path,
          status: 500,
          headers: expectedSecurityHeaders({ hsts: false }),
        });
        expect.soft(response.headers.get("content-type")).toMatch(/^application\/json/);
        expect
          .soft(JSON.parse(text), path)
          .toEqual({ error: { code: "INTERNAL_ERROR", message: "Something went wrong." } });
        for (const secret of [
          "leak-8c1f",
          "argon2",
          "no_such_table",
          "SQLITE",
          "D1_",
          "TypeError",
          "stack",
          ".ts:",
          "    at ",
        ]) {
          expect.soft(text, `${path} leaks ${secret}`).not.toContain(secret);
        }
      }
    });

    it("SEC-48: an HTTPException's own message is not passed through to the client", async () => {
      const response = await callFailingApp("/http-exception", { method: "POST", headers: { origin: WEB_ORIGIN } });
      expect(response.status).toBe(400);
      expect(await response.text()).not.toContain("leak-8c1f");
    });

    it("adds HSTS (one year, includeSubDomains) outside dev, on successes, errors and 500s", async () => {
      const client = prodClient();
      const responses: [string, Response][] = [
        ["GET /ping", await client.get("/ping")],
        ["GET /users/me anonymous", await client.get("/users/me")],
        ["unknown route", await client.get("/no/such/route")],
        ["invalid body", await client.post("/auth/login", { email: 1 })],
        ["500", await callFailingApp("/throws", {}, PROD_ENV)],
      ];
      for (const [label, response] of responses) {
        expect
          .soft({ label, headers: securityHeadersOf(response) })
          .toEqual({ label, headers: expectedSecurityHeaders({ hsts: true }) });
      }
    });

    it("sends no HSTS in dev, where the app is served over plain http", async () => {
      for (const response of [
        await createClient().get("/ping"),
        await createClient().get("/nope"),
        await callFailingApp("/throws"),
      ]) {
        expect(response.headers.get("strict-transport-security")).toBeNull();
      }
    });
  });

  it("SEC-21: responses that carry or depend on a session send Cache-Control: no-store", async () => {
    const fresh = await signedInAccount();
    const login = await createClient().post("/auth/login", { email: fresh.email, password: fresh.password });
    expect(login.headers.getSetCookie().length).toBeGreaterThan(0);
    const responses = [
      login,
      await fresh.client.get("/users/me"),
      await fresh.client.get("/auth/sessions"),
      await fresh.client.patch("/users/me", { first_name: "Grace" }),
      await fresh.client.post("/auth/logout"),
    ];
    expect(responses.map((response) => response.headers.get("cache-control"))).toEqual(responses.map(() => "no-store"));
  });
});
