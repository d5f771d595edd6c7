// The HTTP layer's promises (SECURITY.md "HTTP layer" and "Sessions"): security headers on every
// response (SEC-43, SEC-21), fail-closed configuration, CORS (SEC-44), CSRF (SEC-45), safe methods
// (SEC-46), body validation (SEC-47), no leaks in errors (SEC-48), cookie parsing (SEC-20, SEC-17).
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { AppEnv, Env } from "../../src/env";
import { securityHeaders } from "../../src/middleware/security-headers";
import { requestContext } from "../../src/middleware/request-context";
import { corsPolicy } from "../../src/middleware/cors";
import { originCheck } from "../../src/middleware/origin-check";
import { handleError, handleNotFound } from "../../src/middleware/error-handler";
import { API_ORIGIN, WEB_ORIGIN, createClient, randomIP, type TestClient } from "../helpers/client";
import { GOOD_PASSWORD, signedInAccount, uniqueEmail, type Account } from "../helpers/accounts";
import { countAuditRows, dumpDatabase, readDBState } from "../helpers/db-state";
import { fillPath, registeredRoutes, routeLabel } from "../helpers/route-registry";

const CSP = "default-src 'none'; frame-ancestors 'none'";
const HSTS = "max-age=31536000; includeSubDomains";

const PROD_ORIGIN = "https://app.example.com";
const PROD_ENV: Partial<Env> = {
  ENVIRONMENT: "prod",
  WEB_BASE_URL: PROD_ORIGIN,
  CORS_ORIGINS: PROD_ORIGIN,
  EMAIL_PROVIDER: "resend",
  RESEND_API_KEY: "re_test",
};

function prodClient(overrides: Partial<Env> = {}): TestClient {
  return createClient({ env: { ...PROD_ENV, ...overrides }, origin: PROD_ORIGIN });
}

function securityHeadersOf(response: Response) {
  const header = (name: string) => response.headers.get(name);
  return {
    "x-content-type-options": header("x-content-type-options"),
    "cache-control": header("cache-control"),
    "content-security-policy": header("content-security-policy"),
    "x-frame-options": header("x-frame-options"),
    "referrer-policy": header("referrer-policy"),
    "strict-transport-security": header("strict-transport-security"),
  };
}

function expectedSecurityHeaders(options: { hsts: boolean }) {
  return {
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "strict-transport-security": options.hsts ? HSTS : null,
  };
}

// A tiny app with the real middleware and error handler, and routes that fail the way real code
// can: a thrown Error whose message holds secrets, a D1 error carrying SQL, an HTTPException.
const LEAK = "leak-8c1f: password_hash=$argon2id$v=19$m=19456 token=abc123";

function buildFailingApp(): Hono<AppEnv> {
  const failing = new Hono<AppEnv>();
  failing.use(securityHeaders);
  failing.use(requestContext);
  failing.use(corsPolicy);
  failing.use(originCheck);
  failing.get("/throws", () => {
    throw new Error(LEAK, { cause: new Error(`cause ${LEAK}`) });
  });
  failing.get("/type-error", (c) => {
    const missing = (c.env as unknown as Record<string, { boom: () => never }>).NO_SUCH_BINDING!;
    return missing.boom();
  });
  failing.get("/sql", async (c) => {
    await c.env.DB.prepare(`SELECT password_hash FROM no_such_table WHERE email = '${LEAK}'`).all();
    return c.json({ ok: true });
  });
  failing.post("/http-exception", () => {
    throw new HTTPException(400, { message: LEAK });
  });
  failing.notFound(handleNotFound);
  failing.onError(handleError);
  return failing;
}

async function callFailingApp(path: string, init: RequestInit = {}, overrides: Partial<Env> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await buildFailingApp().fetch(
    new Request(new URL(path, API_ORIGIN), init),
    { ...env, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

async function sessionRowsOf(email: string): Promise<number> {
  const row = await env.DB.prepare(
    `SELECT count(*) AS n FROM session JOIN "user" ON "user".id = session.user_id WHERE "user".email = ?`,
  )
    .bind(email)
    .first<{ n: number }>();
  return row!.n;
}

describe("HTTP layer", () => {
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

  describe("fail-closed configuration", () => {
    const problems: [string, Partial<Env>, string][] = [
      ["JWT_SECRET missing", { JWT_SECRET: undefined }, "JWT_SECRET"],
      ["CRON_SECRET too short", { CRON_SECRET: "short-cron-value-xyz" }, "CRON_SECRET"],
      ["RESEND_API_KEY missing", { RESEND_API_KEY: undefined }, "RESEND_API_KEY"],
      ["the stub email provider", { EMAIL_PROVIDER: "stub" }, "EMAIL_PROVIDER"],
      ["an http web base URL", { WEB_BASE_URL: "http://app.example.com" }, "WEB_BASE_URL"],
    ];

    for (const [label, overrides, setting] of problems) {
      it(`answers 503 MISCONFIGURED naming ${setting} but no value, with the security headers, in prod with ${label}`, async () => {
        const client = prodClient(overrides);
        for (const response of [
          await client.get("/ping"),
          await client.post("/auth/login", { email: account.email, password: account.password }),
        ]) {
          const text = await response.text();
          expect(response.status).toBe(503);
          expect(JSON.parse(text)).toEqual({
            error: { code: "MISCONFIGURED", message: expect.any(String), details: { settings: [setting] } },
          });
          for (const value of [
            env.JWT_SECRET!,
            env.CRON_SECRET!,
            "re_test",
            "short-cron-value-xyz",
            "http://app.example.com",
          ]) {
            expect(text).not.toContain(value);
          }
          expect(securityHeadersOf(response)).toEqual(expectedSecurityHeaders({ hsts: true }));
        }
      });
    }

    it("serves normally in prod when every setting is present", async () => {
      const response = await prodClient().get("/ping");
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ok" });
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

  describe("SEC-46: safe methods and unsupported methods", () => {
    const GET_ROUTES = registeredRoutes().filter((route) => route.method === "GET");

    it("GET and HEAD on every GET route change nothing in D1, signed in or not", async () => {
      const reader = await signedInAccount();
      const before = await dumpDatabase();
      for (const route of GET_ROUTES) {
        const query = Object.keys(route.queryFields)
          .map((field) => `${field}=${encodeURIComponent("' OR 1=1 --")}`)
          .join("&");
        const path = `${fillPath(route.path, {})}${query ? `?${query}` : ""}`;
        for (const client of [reader.client, createClient()]) {
          for (const method of ["GET", "HEAD"]) {
            const response = await client.request(method, path);
            expect.soft(response.status, `${method} ${path}`).toBeLessThan(500);
            await response.body?.cancel();
          }
        }
      }
      expect(await dumpDatabase()).toBe(before);
    });

    it("GET on a state-changing route is 405 and does not run it (GET /auth/logout keeps the session)", async () => {
      const target = await signedInAccount();
      const before = await dumpDatabase();
      for (const route of registeredRoutes().filter((candidate) => candidate.method !== "GET")) {
        const path = fillPath(route.path, {});
        if (GET_ROUTES.some((get) => get.path === route.path)) continue;
        const response = await target.client.get(path);
        expect.soft({ path, status: response.status }).toEqual({ path, status: 405 });
      }
      expect(await dumpDatabase()).toBe(before);
      expect((await target.client.get("/users/me")).status).toBe(200);
    });

    it("unusual methods (TRACE, PROPFIND, PURGE) are 405 with an Allow header", async () => {
      for (const method of ["TRACE", "PROPFIND", "PURGE"]) {
        const response = await createClient().request(method, "/ping");
        expect.soft({ method, status: response.status, allow: response.headers.get("allow") }).toEqual({
          method,
          status: 405,
          allow: "GET, HEAD",
        });
      }
    });
  });

  it("SEC-47: every request body in /openapi.json is a closed object: unknown fields are refused by the schema itself", async () => {
    const document = (await (await createClient().get("/openapi.json")).json()) as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>
      >;
      components: { schemas: Record<string, Record<string, unknown>> };
    };
    const resolve = (schema: Record<string, unknown>) =>
      typeof schema.$ref === "string" ? document.components.schemas[schema.$ref.split("/").pop()!]! : schema;
    const bodies = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, operation]) =>
        operation.requestBody
          ? [{ route: `${method.toUpperCase()} ${path}`, content: operation.requestBody.content }]
          : [],
      ),
    );
    expect(bodies.length).toBeGreaterThan(5);
    for (const { route, content } of bodies) {
      expect.soft(Object.keys(content), route).toEqual(["application/json"]);
      const schema = resolve(content["application/json"]!.schema);
      expect.soft({ route, type: schema.type, additionalProperties: schema.additionalProperties }).toEqual({
        route,
        type: "object",
        additionalProperties: false,
      });
    }
  });

  describe("SEC-20: malformed cookies are 401, never 500", () => {
    const FORGED = "A".repeat(43);
    const malformed: Record<string, string> = {
      "an empty value": "session_id=",
      "a 10 KB value": `session_id=${"a".repeat(10 * 1024)}`,
      "a 10 KB cookie header of other cookies": `${Array.from({ length: 200 }, (_, index) => `c${index}=${"x".repeat(50)}`).join("; ")}; session_id=${FORGED}`,
      "bad percent-encoding": "session_id=%E0%A4%A",
      "a forged well-formed token": `session_id=${FORGED}`,
      "a token of the wrong alphabet": `session_id=${"*".repeat(43)}`,
      "two forged session_id cookies": `session_id=${FORGED}; session_id=${"B".repeat(43)}`,
      "the name in another case": "SESSION_ID=abc",
    };

    for (const [label, cookie] of Object.entries(malformed)) {
      it(`answers ${label} with 401 UNAUTHENTICATED on GET /users/me and POST /auth/logout`, async () => {
        for (const response of [
          await createClient().get("/users/me", { headers: { cookie } }),
          await createClient().post("/auth/logout", undefined, { headers: { cookie } }),
        ]) {
          expect(response.status).toBe(401);
          expect(await response.json()).toEqual({ error: { code: "UNAUTHENTICATED", message: expect.any(String) } });
        }
        expect((await createClient().get("/ping", { headers: { cookie } })).status).toBe(200);
      });
    }

    it("answers two session_id cookies with 401 even when one of them is a real session (cookie tossing), in either order", async () => {
      const real = account.client.cookies.get("session_id")!;
      for (const cookie of [`session_id=${real}; session_id=${FORGED}`, `session_id=${FORGED}; session_id=${real}`]) {
        const response = await createClient().get("/users/me", { headers: { cookie } });
        expect.soft({ cookie: cookie.replace(real, "<real>"), status: response.status }).toEqual({
          cookie: cookie.replace(real, "<real>"),
          status: 401,
        });
      }
    });

    it("leaves the real session working after all of the above", async () => {
      expect((await account.client.get("/users/me")).status).toBe(200);
    });
  });

  describe("SEC-17: the session token is read from the cookie only", () => {
    it("ignores the token in a query string, a JSON body or an Authorization header", async () => {
      const holder = await signedInAccount();
      const token = holder.client.cookies.get("session_id")!;
      const before = await readDBState();
      const responses: [string, Response][] = [
        ["?session_id=", await createClient().get(`/users/me?session_id=${token}`)],
        ["?token=", await createClient().get(`/users/me?token=${token}`)],
        ["JSON body", await createClient().patch("/users/me", { session_id: token, first_name: "Mallory" })],
        [
          "Authorization: Bearer",
          await createClient().get("/users/me", { headers: { authorization: `Bearer ${token}` } }),
        ],
        ["X-Session-Id header", await createClient().get("/users/me", { headers: { "x-session-id": token } })],
      ];
      for (const [label, response] of responses) {
        expect.soft({ label, status: response.status }).toEqual({ label, status: 401 });
      }
      expect(await readDBState()).toEqual(before);
      expect((await holder.client.get("/users/me")).status).toBe(200);
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
