// SEC-33, deny by default: every route declares who may call it, the table of those declarations
// is read from the code (listRoutes), it matches what the app serves and what /openapi.json says,
// and every gated route refuses callers without the right session before anything runs.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { listRoutes, UNDECLARED_ACCESS } from "../../src/platform/openapi/route-table";
import { ACCESS_EXTENSION } from "../../src/platform/openapi/define-route";
import { ROLES, type Role } from "../../src/lib/roles";
import { createClient, randomIP, type TestClient } from "../helpers/client";
import { signedInAccount } from "../helpers/accounts";
import { dumpDatabase } from "../helpers/db-state";
import { restoreSeededDefaultPlan } from "../helpers/plans";
import {
  registeredRoutes,
  routeLabel,
  validBodyFor,
  validPathFor,
  type RegisteredRoute,
} from "../helpers/route-registry";

const TABLE = listRoutes(app);
const ROUTES = registeredRoutes();
const ACCESS_LABELS = new Set<string>(["public", "cron-secret", "stripe-signature", ...ROLES]);
const ROLE_ROUTES = ROUTES.filter((route) => (ROLES as readonly string[]).includes(route.access));

/** Hono's path syntax (/:id) in OpenAPI's ({id}). */
function toOpenAPIPath(path: string): string {
  return path.replace(/:([^/]+)/g, "{$1}");
}

function sortedLabels(routes: { method: string; path: string }[]): string[] {
  return [...new Set(routes.map(routeLabel))].sort();
}

/**
 * A request that would get past validation, so only the access gate can stop it ({key} is a
 * declared setting key with a value of its type; {id} names no row, so the service answers 404).
 */
function sendValid(
  client: TestClient,
  route: RegisteredRoute,
  headers: Record<string, string> = {},
): Promise<Response> {
  return client.request(route.method, validPathFor(route), {
    headers: { "cf-connecting-ip": randomIP(), ...headers },
    json: route.bodyFields ? validBodyFor(route) : undefined,
  });
}

async function setRole(email: string, role: Role): Promise<void> {
  await env.DB.batch([
    env.DB.prepare(`UPDATE "user" SET is_sys_admin = ? WHERE email = ?`).bind(role === "sys_admin" ? 1 : 0, email),
    env.DB.prepare(`UPDATE membership SET role = ? WHERE user_id = (SELECT id FROM "user" WHERE email = ?)`).bind(
      role === "sys_admin" ? "org_admin" : role,
      email,
    ),
  ]);
}

describe("SEC-33: the route table", () => {
  it("every registered route declares its access with a known label", () => {
    expect(TABLE.length).toBeGreaterThan(10);
    const undeclared = TABLE.filter((route) => route.access === UNDECLARED_ACCESS || !ACCESS_LABELS.has(route.access));
    expect(undeclared).toEqual([]);
  });

  it("lists exactly the routes the app serves (app.routes minus middleware)", () => {
    // `use()` middleware is registered under method ALL; a route's own middleware shares its
    // method and path with its handler, so the distinct (method, path) pairs are the routes.
    const served = app.routes
      .filter((route) => route.method !== "ALL")
      .map((route) => ({ method: route.method, path: toOpenAPIPath(route.path) }));
    expect(sortedLabels(TABLE)).toEqual(sortedLabels(served));
  });

  it("/openapi.json documents every route of the table, with the same x-min-role, and no other", async () => {
    const document = (await (await createClient().get("/openapi.json")).json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        access: operation[ACCESS_EXTENSION],
      })),
    );
    const byLabel = (entries: { method: string; path: string; access: unknown }[]) =>
      entries.map((entry) => `${routeLabel(entry)} ${String(entry.access)}`).sort();
    expect(byLabel(documented)).toEqual(byLabel(TABLE));
  });

  it("is pinned here, so a change of who may call what shows up in review", () => {
    // Reviewed against API.md. The two audit-log reads are not in API.md's tables yet: the
    // organization's log is pinned org_admin (like its member list), /admin/audit-log sys_admin
    // (like the rest of /admin).
    expect(TABLE.map((route) => `${routeLabel(route)} → ${route.access}`).sort()).toEqual(
      [
        // Service
        "GET /ping → public",
        "GET /health → public",
        "GET /config → public",
        "GET /openapi.json → public",
        "GET /docs → public",
        // Authentication and password
        "POST /auth/signup → public",
        "POST /auth/signup-org → public",
        "POST /auth/login → public",
        "POST /auth/logout → readonly",
        "POST /auth/verify-email → public",
        "POST /auth/resend-verification → public",
        "GET /auth/sessions → readonly",
        "DELETE /auth/sessions/{id} → readonly",
        "GET /auth/oauth/google/authorize-url → public",
        "GET /auth/oauth/google/callback → public",
        // Passkeys
        "POST /auth/passkeys/register/options → readonly",
        "POST /auth/passkeys/register/verify → readonly",
        "GET /auth/passkeys → readonly",
        "PATCH /auth/passkeys/{id} → readonly",
        "DELETE /auth/passkeys/{id} → readonly",
        "POST /auth/passkeys/login/options → public",
        "POST /auth/passkeys/login/verify → public",
        "GET /auth/mfa → readonly",
        "POST /auth/mfa/totp/setup → readonly",
        "POST /auth/mfa/totp/confirm → readonly",
        "DELETE /auth/mfa/totp → readonly",
        "POST /auth/mfa/recovery-codes → readonly",
        "POST /auth/mfa/verify → public",
        "POST /password/forgot → public",
        "POST /password/reset → public",
        "POST /password/update → readonly",
        // Users
        "GET /users/me → readonly",
        "PATCH /users/me → readonly",
        "POST /users/me/email → readonly",
        "POST /users/me/email/confirm → public",
        "GET /users/me/export → readonly",
        "DELETE /users/me → readonly",
        "GET /users → sys_admin",
        "POST /users/{id}/suspend → sys_admin",
        "POST /users/{id}/activate → sys_admin",
        "POST /users/{id}/mfa/reset → sys_admin",
        // Organizations and invitations
        "GET /organization → readonly",
        // Organizations a user belongs to (multi-organization membership)
        "GET /organizations → readonly",
        "POST /organizations → readonly",
        "POST /organizations/switch → readonly",
        "DELETE /organization/membership → readonly",
        "GET /organization/users → org_admin",
        "PATCH /organization/users/{id} → org_admin",
        "DELETE /organization/users/{id} → org_admin",
        "GET /organization/audit-log → org_admin",
        "POST /invitations → org_admin",
        "GET /invitations → org_admin",
        "DELETE /invitations/{id} → org_admin",
        "POST /invitations/accept → public",
        // Administration
        "GET /admin/organizations → sys_admin",
        "POST /admin/organizations → sys_admin",
        "POST /admin/organizations/{id}/suspend → sys_admin",
        "POST /admin/organizations/{id}/activate → sys_admin",
        "GET /admin/audit-log → sys_admin",
        "GET /admin/stats → sys_admin",
        // Notes
        "GET /notes → readonly",
        "POST /notes → member",
        "GET /notes/{id} → readonly",
        "PUT /notes/{id} → member",
        "DELETE /notes/{id} → member",
        // Plans: the catalogue and the caller's organization's plan for every member; the
        // catalogue's administration for sys_admin only (like the rest of /admin).
        "GET /plans → readonly",
        "GET /plan → readonly",
        "GET /admin/plans → sys_admin",
        "POST /admin/plans → sys_admin",
        "GET /admin/plans/{id} → sys_admin",
        "PUT /admin/plans/{id} → sys_admin",
        "DELETE /admin/plans/{id} → sys_admin",
        "POST /admin/plans/{id}/default → sys_admin",
        // AI on notes: streamed, metered against the spend cap (SEC-52)
        "POST /notes/{id}/copilot/improve → member",
        "POST /notes/{id}/copilot/summarize → member",
        // Billing: the organization's subscription and credits are its org_admins' business; the
        // webhook is Stripe's, authenticated by the signature of its body
        "POST /subscription/manage → org_admin",
        "GET /billing/credit-packs → org_admin",
        "POST /billing/credit-packs/checkout → org_admin",
        "POST /billing/credit-packs/verify → org_admin",
        "POST /webhooks/stripe → stripe-signature",
        // Settings
        "GET /settings/user/{key} → readonly",
        "PUT /settings/user/{key} → readonly",
        "GET /settings/organization/{key} → org_admin",
        "PUT /settings/organization/{key} → org_admin",
        "GET /settings/system/{key} → sys_admin",
        "PUT /settings/system/{key} → sys_admin",
        // Usage: members see their own calls, org_admins the organization's, sys_admin the fleet
        "GET /usage/summary → member",
        "GET /usage/history → member",
        "GET /usage/top-users → org_admin",
        "GET /usage/api-keys → org_admin",
        "GET /usage/fleet → sys_admin",
        // Machine access (SEC-73, SEC-74): keys are managed by org_admins with a session only;
        // which routes accept a key, and with which scope, is pinned in test/http/api-keys.test.ts
        "POST /api-keys → org_admin",
        "GET /api-keys → org_admin",
        "DELETE /api-keys/{id} → org_admin",
        "POST /auth/token → readonly",
        "GET /.well-known/jwks.json → public",
        // Outbound webhooks: an organization's endpoints are its org_admins' business
        "POST /webhook-endpoints → org_admin",
        "GET /webhook-endpoints → org_admin",
        "DELETE /webhook-endpoints/{id} → org_admin",
        "GET /webhook-endpoints/{id}/deliveries → org_admin",
        "POST /webhook-endpoints/{id}/test → org_admin",
        // Cron and development
        "POST /cron/run → cron-secret",
        "GET /dev/emails → public",
        "POST /dev/rate-limits/reset → public",
      ].sort(),
    );
  });
});

describe("SEC-33: deny by default on every gated route", () => {
  it("has gated routes to check", () => {
    expect(ROLE_ROUTES.length).toBeGreaterThan(3);
  });

  for (const route of ROLE_ROUTES) {
    describe(`${routeLabel(route)} (min ${route.access})`, () => {
      it("answers an anonymous request with 401 UNAUTHENTICATED and runs nothing", async () => {
        const before = await dumpDatabase();
        const response = await sendValid(createClient(), route);
        expect(response.status).toBe(401);
        expect(await response.json()).toEqual({ error: { code: "UNAUTHENTICATED", message: expect.any(String) } });
        expect(await dumpDatabase()).toBe(before);
      });

      it("answers forged, malformed and signed-out session cookies with 401 and runs nothing", async () => {
        const signedOut = await signedInAccount();
        const staleCookie = signedOut.client.cookieHeader();
        expect((await signedOut.client.post("/auth/logout")).status).toBe(204);
        const before = await dumpDatabase();
        for (const cookie of [`session_id=${"A".repeat(43)}`, "session_id=%E0%A4%A", "session_id=", staleCookie]) {
          const response = await sendValid(createClient(), route, { cookie });
          expect.soft({ cookie, status: response.status }).toEqual({ cookie, status: 401 });
        }
        expect(await dumpDatabase()).toBe(before);
      });

      it("lets the minimum role through the gate and answers each lower role with 403 FORBIDDEN", async () => {
        const caller = await signedInAccount();
        const minimum = ROLES.indexOf(route.access as Role);
        for (const role of ROLES.slice(0, minimum)) {
          await setRole(caller.email, role);
          const before = await dumpDatabase();
          const response = await sendValid(caller.client, route);
          expect.soft({ role, status: response.status }).toEqual({ role, status: 403 });
          expect.soft(await dumpDatabase()).toBe(before);
        }
        // Authorization is read from D1 on each request (SEC-24): the change applies at once.
        await setRole(caller.email, route.access as Role);
        const response = await sendValid(caller.client, route);
        // The request runs for real: the seeded plan_free stays the default plan for the rest of
        // the file whatever it did (POST /admin/plans/{id}/default; a no-op for other routes).
        await restoreSeededDefaultPlan();
        expect([401, 403]).not.toContain(response.status);
      });
    });
  }

  for (const route of ROUTES.filter((candidate) => candidate.access === "cron-secret")) {
    it(`${routeLabel(route)} refuses a missing or wrong bearer secret, and a user session, with 401`, async () => {
      const user = await signedInAccount();
      const before = await dumpDatabase();
      for (const headers of [
        {} as Record<string, string>,
        { authorization: `Bearer ${env.CRON_SECRET}x` },
        { authorization: `Bearer ${env.CRON_SECRET!.slice(0, -1)}` },
        { authorization: env.CRON_SECRET! },
        { authorization: `Basic ${btoa(`cron:${env.CRON_SECRET}`)}` },
        { cookie: user.client.cookieHeader() },
      ]) {
        const response = await sendValid(createClient(), route, headers);
        expect
          .soft({ headers: Object.keys(headers), status: response.status })
          .toEqual({ headers: Object.keys(headers), status: 401 });
      }
      expect(await dumpDatabase()).toBe(before);
    });
  }

  for (const route of ROUTES.filter((candidate) => candidate.access.endsWith("-signature"))) {
    it(`${routeLabel(route)} refuses a missing or wrong signature, a user session and the cron secret with 400, and applies nothing`, async () => {
      const user = await signedInAccount();
      // A refused signature is audited (SEC-49); nothing else may change.
      const dumpWithoutAuditLog = async () => {
        const dump = JSON.parse(await dumpDatabase()) as Record<string, unknown>;
        delete dump.audit_log;
        return JSON.stringify(dump);
      };
      const before = await dumpWithoutAuditLog();
      for (const headers of [
        {} as Record<string, string>,
        { "stripe-signature": `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}` },
        { cookie: user.client.cookieHeader() },
        { authorization: `Bearer ${env.CRON_SECRET}` },
      ]) {
        const response = await sendValid(createClient(), route, headers);
        expect
          .soft({ headers: Object.keys(headers), status: response.status })
          .toEqual({ headers: Object.keys(headers), status: 400 });
      }
      expect(await dumpWithoutAuditLog()).toBe(before);
    });
  }

  it("public routes answer anonymous callers without the gate's 401 UNAUTHENTICATED or 403 FORBIDDEN", async () => {
    for (const route of ROUTES.filter((candidate) => candidate.access === "public")) {
      const response = await sendValid(createClient(), route);
      // Not every public route answers JSON (GET /docs is an HTML page); the gate's refusal always is.
      if (!/^application\/json/.test(response.headers.get("content-type") ?? "")) {
        expect.soft([401, 403], `${routeLabel(route)} answered ${response.status}`).not.toContain(response.status);
        await response.body?.cancel();
        continue;
      }
      const body = (await response.json()) as { error?: { code: string } };
      // 401 INVALID_CREDENTIALS from /auth/login is the route's own answer, not the gate's.
      expect
        .soft(["UNAUTHENTICATED", "FORBIDDEN"], `${routeLabel(route)} answered ${response.status}`)
        .not.toContain(body.error?.code);
    }
  });
});
