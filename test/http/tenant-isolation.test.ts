// The tenant-isolation matrix (SEC-33, SEC-35, SEC-36, SEC-37), generated from the route table so a
// new route is covered, or fails the suite for want of a fixture, without anyone editing a list:
// - every role-gated route, every verb: anonymous → 401, each role below the minimum → 403;
// - every route with an {id}: a member of another organization using each real id of organization
//   A → 404 NOT_FOUND; every list and read: none of A's ids, emails or markers;
// - X-Org-Id / X-Organization-Id naming A change nothing; organization_id, role, email_verified
//   and id in a body that does not declare them → 422 listing the field.
// In every refused case D1 is compared with its state before the request: byte-identical.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { listRoutes } from "../../src/platform/openapi/route-table";
import { hasRoleAtLeast, ROLES, type Role } from "../../src/lib/roles";
import { createClient, type TestClient } from "../helpers/client";
import { sendFromFreshIP } from "../helpers/route-matrix";
import { GOOD_PASSWORD, uniqueEmail } from "../helpers/accounts";
import { answerRegistration, registerPasskey } from "../helpers/passkeys";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { enrolTotp, totpCode } from "../helpers/mfa";
import { D1Watch } from "../helpers/db-state";
import { insertUser } from "../helpers/factories";
import { addMembership, createOrganization, createSysAdmin, signIn, type Member } from "../helpers/orgs";
import { insertPlan, putOrganizationOnPlan, unlimitedPlanFeatures } from "../helpers/plans";
import {
  fillPath,
  isRoleAccess,
  registeredRoutes,
  routeLabel,
  validValueFor,
  type RegisteredRoute,
} from "../helpers/route-registry";

// ---------------------------------------------------------------------------------------------
// Fixtures: the least each route needs beyond what its schema yields (validValueFor).

/** Kinds of row that belong to one organization. */
type TenantIdKind =
  | "organization"
  | "user"
  | "note"
  | "invitation"
  | "session"
  | "webhook_endpoint"
  | "passkey"
  | "api_key";
/** Plus the plan: the catalogue is global by design, no organization's row (see PLAN_TARGET). */
type IdKind = TenantIdKind | "plan";

interface RouteFixture {
  /** What the route's {id} names; the matrix fills it with a real id of that kind. */
  id?: IdKind;
  /**
   * The route reads data that is the same for every organization by design (the plan catalogue):
   * instead of "none of A's rows", every organization's members get the very same answer.
   */
  global?: true;
  /** Values of the other path parameters. */
  params?: Record<string, string>;
  /** Body fields the schema cannot yield a fitting value for; the rest come from validValueFor. */
  body?: Record<string, unknown>;
  /**
   * The request ends the caller's session: each call is made by a fresh member of the caller's
   * organization with the caller's role. Not a fresh sign-in of the caller: every shared caller has
   * a passkey (seedTenant), so a password sign-in stops at the second-factor challenge.
   */
  endsSession?: true;
  /**
   * The request changes the caller's own memberships or active organization (create, switch,
   * leave): each call is made by a fresh member of the caller's organization with the caller's
   * role, so the shared callers keep acting where they do. Also for requests that spend a budget
   * kept per account (the fresh-proof password budget, 5 per 15 min, SEC-69) or change the
   * caller's second factors: the shared callers make them many times across the matrix.
   */
  throwawayCaller?: true;
  /** Body fields that depend on the caller (e.g. one of its own organizations). */
  bodyOf?: (caller: Caller) => Record<string, unknown>;
  /**
   * Body fields only a ceremony with the caller's own session can make, and only once (a WebAuthn
   * registration answers a single-use challenge): made afresh for each request that must succeed.
   */
  ceremony?: (client: TestClient) => Promise<Record<string, unknown>>;
  /**
   * The request deletes the caller's own account: each call acts as a throwaway member of the
   * caller's organization with the caller's role (see clientForFixture), never the caller.
   */
  deletesCaller?: true;
  /**
   * A read of the caller's own state with no row ids in it (flags, counts): what of its own it
   * must show, since "shows one of its own organization's traces" cannot apply.
   */
  showsOwnState?: (body: unknown) => boolean;
  /**
   * A read of the caller's own data across all the organizations it belongs to (its memberships,
   * its account export): it names each of those organizations by id, and nothing else of them.
   */
  acrossOwnOrganizations?: true;
}

/** Sets up TOTP with the client's (recent) session; the code confirms it. */
async function pendingTotpConfirmation(client: TestClient): Promise<Record<string, unknown>> {
  const setup = await client.post("/auth/mfa/totp/setup", {});
  expect(setup.status).toBe(200);
  const { secret } = (await setup.json()) as { secret: string };
  return { code: totpCode(decodeBase32IgnorePadding(secret)) };
}

/** Enrols TOTP, then a code of the next step (the confirm spent the current one) for the fresh proof. */
async function enrolledTotpProof(client: TestClient): Promise<Record<string, unknown>> {
  const { secret } = await enrolTotp(client);
  return { code: totpCode(secret, 1) };
}

/**
 * One entry per role-gated route, required: a route added without one fails "every role-gated
 * route has a fixture" and cannot run, so it cannot silently skip the matrix. Each fixture makes a
 * request that succeeds for the minimum role on its own organization's resource.
 */
/** A Checkout Session of organization B, started in beforeAll (fake Stripe). */
const B_CHECKOUT = { session_id: "cs_test_startedInBeforeAll" };

const FIXTURES: Record<string, RouteFixture> = {
  "POST /auth/logout": { endsSession: true },
  "GET /auth/sessions": {},
  "DELETE /auth/sessions/{id}": { id: "session" },
  "POST /auth/passkeys/register/options": {},
  "POST /auth/passkeys/register/verify": {
    ceremony: async (client) => ({ response: await answerRegistration(client) }),
  },
  "GET /auth/passkeys": {},
  "PATCH /auth/passkeys/{id}": { id: "passkey" },
  "DELETE /auth/passkeys/{id}": { id: "passkey" },
  // Same password again: it succeeds (and keeps the session). The password is checked, so a
  // throwaway caller: the fresh-proof budget is per account.
  "POST /password/update": {
    throwawayCaller: true,
    body: { current_password: GOOD_PASSWORD, new_password: GOOD_PASSWORD },
  },
  // Second factors are the caller's own. The status has no ids: each shared caller has the one
  // passkey seedTenant registered for it. Confirm needs a pending setup and its code; new recovery
  // codes need TOTP on and the fresh proof (password and code): throwaway callers, so no shared
  // caller gets TOTP (its later setups and password proofs would change) or spends its budget.
  "GET /auth/mfa": { showsOwnState: (body) => (body as { passkeys: number }).passkeys >= 1 },
  "POST /auth/mfa/totp/setup": {},
  "POST /auth/mfa/totp/confirm": { throwawayCaller: true, ceremony: pendingTotpConfirmation },
  "DELETE /auth/mfa/totp": {},
  "POST /auth/mfa/recovery-codes": { throwawayCaller: true, ceremony: enrolledTotpProof },
  "GET /users/me": {},
  "PATCH /users/me": {},
  // The caller's own account only: nothing of any organization is named.
  "POST /users/me/email": { throwawayCaller: true, body: { current_password: GOOD_PASSWORD } },
  "GET /users/me/export": { acrossOwnOrganizations: true },
  "DELETE /users/me": { deletesCaller: true, body: { current_password: GOOD_PASSWORD } },
  "GET /users": {},
  "POST /users/{id}/suspend": { id: "user" },
  "POST /users/{id}/activate": { id: "user" },
  "POST /users/{id}/mfa/reset": { id: "user" },
  "GET /organization": {},
  "GET /organization/users": {},
  "PATCH /organization/users/{id}": { id: "user", body: { role: "readonly" } },
  "DELETE /organization/users/{id}": { id: "user" },
  "GET /organization/audit-log": {},
  "POST /invitations": { body: { role: "readonly" } },
  "GET /invitations": {},
  "DELETE /invitations/{id}": { id: "invitation" },
  // API keys: creation needs the fresh proof (SEC-69); every seeded member's password is GOOD_PASSWORD.
  "POST /api-keys": { body: { current_password: GOOD_PASSWORD } },
  "GET /api-keys": {},
  "DELETE /api-keys/{id}": { id: "api_key" },
  "POST /auth/token": {},
  "GET /admin/organizations": {},
  "POST /admin/organizations": {},
  "POST /admin/organizations/{id}/suspend": { id: "organization" },
  "POST /admin/organizations/{id}/activate": { id: "organization" },
  "GET /admin/audit-log": {},
  // A global sys_admin read by design (fleet statistics), like /usage/fleet.
  "GET /admin/stats": {},
  "GET /notes": {},
  "POST /notes": {},
  "GET /notes/{id}": { id: "note" },
  "PUT /notes/{id}": { id: "note" },
  "DELETE /notes/{id}": { id: "note" },
  // Values unlike the defaults, so a read that returned A's stored value would show.
  "GET /settings/user/{key}": { params: { key: "theme" } },
  "PUT /settings/user/{key}": { params: { key: "theme" }, body: { value: "dark" } },
  "GET /settings/organization/{key}": { params: { key: "ai_overage_ceiling_tokens" } },
  "PUT /settings/organization/{key}": { params: { key: "ai_overage_ceiling_tokens" }, body: { value: 7 } },
  "GET /settings/system/{key}": { params: { key: "ai_overage_enabled" } },
  "PUT /settings/system/{key}": { params: { key: "ai_overage_enabled" }, body: { value: false } },
  // The catalogue lists every plan to every member; /plan is the caller's organization's own.
  "GET /plans": { global: true },
  "GET /plan": {},
  "GET /admin/plans": {},
  "POST /admin/plans": {},
  "GET /admin/plans/{id}": { id: "plan" },
  "PUT /admin/plans/{id}": { id: "plan" },
  "DELETE /admin/plans/{id}": { id: "plan" },
  "POST /admin/plans/{id}/default": { id: "plan" },
  // AI: the note is the caller's own; usage reads show the caller's organization_id.
  "POST /notes/{id}/copilot/improve": { id: "note" },
  "POST /notes/{id}/copilot/summarize": { id: "note" },
  // Billing: the caller's organization's customer; verify names a Checkout Session that B's
  // org_admin started (filled in beforeAll: only B's org_admin gets past the gate with it).
  "POST /subscription/manage": {},
  "GET /billing/credit-packs": {},
  "POST /billing/credit-packs/checkout": { body: { pack_id: "tokens_5m" } },
  "POST /billing/credit-packs/verify": { body: B_CHECKOUT },
  "GET /usage/summary": {},
  "GET /usage/history": {},
  "GET /usage/top-users": {},
  "GET /usage/api-keys": {},
  "GET /usage/fleet": {},
  // Memberships: the caller's own organizations; switching to the one it acts in is a no-op
  // that succeeds (another organization's id is 404: the SEC-77 describe below).
  "GET /organizations": { acrossOwnOrganizations: true },
  "POST /organizations": { throwawayCaller: true },
  "POST /organizations/switch": {
    throwawayCaller: true,
    bodyOf: (caller) => ({ organization_id: caller.tenant.id }),
  },
  "DELETE /organization/membership": { throwawayCaller: true },
  "POST /webhook-endpoints": {},
  "GET /webhook-endpoints": {},
  "DELETE /webhook-endpoints/{id}": { id: "webhook_endpoint" },
  "GET /webhook-endpoints/{id}/deliveries": { id: "webhook_endpoint" },
  "POST /webhook-endpoints/{id}/test": { id: "webhook_endpoint" },
};

/** Fields a client must never set (SEC-37), with the value an attacker would send. */
const MASS_ASSIGNMENT_FIELDS = ["role", "organization_id", "email_verified", "id"] as const;

/** Headers a confused client or an attacker might use to name "the" organization (SEC-35). */
const ORG_HEADERS = ["X-Org-Id", "X-Organization-Id"] as const;

/** Below this the matrix has shrunk: a route or a role dropped out of it. */
const MINIMUM_CASES = 600;

// ---------------------------------------------------------------------------------------------
// The route table.

const TABLE = listRoutes(app);
const ROUTES = registeredRoutes();
const GATED = ROUTES.filter((route) => isRoleAccess(route.access));
const BODY_ROUTES = ROUTES.filter((route) => route.bodyFields !== null);
/** Org-scoped routes naming one resource. */
const ID_ROUTES = GATED.filter((route) => route.pathParams.includes("id") && route.access !== "sys_admin");
/**
 * sys_admin routes act on any organization or user by design (suspend, activate), or on the plan
 * catalogue, which is global by design (no organization owns a plan): a foreign id is their normal
 * input, so "another organization's id is 404" does not apply. Listed, not dropped.
 */
const GLOBAL_ID_ROUTES = GATED.filter((route) => route.pathParams.includes("id") && route.access === "sys_admin");
/** A route without a fixture is not global: it fails "every role-gated route has a fixture". */
function isGlobalRead(route: RegisteredRoute): boolean {
  return FIXTURES[routeLabel(route)]?.global === true;
}
/** Reads of the caller's own organization: lists, /organization, /users/me, /plan, settings by key. */
const READ_ROUTES = GATED.filter(
  (route) =>
    route.method === "GET" && !route.pathParams.includes("id") && route.access !== "sys_admin" && !isGlobalRead(route),
);
/** Reads that are the same for every organization by design (the plan catalogue). */
const GLOBAL_READ_ROUTES = GATED.filter(
  (route) =>
    route.method === "GET" && !route.pathParams.includes("id") && route.access !== "sys_admin" && isGlobalRead(route),
);
/** Role-gated routes that take no id: the org they act on can only come from the session. */
const SESSION_SCOPED_ROUTES = GATED.filter((route) => !route.pathParams.includes("id"));

function fixtureFor(route: { method: string; path: string }): RouteFixture {
  const fixture = FIXTURES[routeLabel(route)];
  if (!fixture) throw new Error(`${routeLabel(route)} has no entry in FIXTURES (tenant-isolation.test.ts): add one`);
  return fixture;
}

// ---------------------------------------------------------------------------------------------
// Organizations and callers.

/** The client a fixture's request is sent with: the caller's, a fresh session, or a throwaway member. */
async function clientForFixture(fixture: RouteFixture, caller: Caller): Promise<TestClient> {
  if (fixture.deletesCaller || fixture.throwawayCaller || fixture.endsSession) {
    // Written straight into D1, not invited: the org_admin's invitation budget (30 an hour) would
    // run out across the matrix, and the invitation flow is not what these cases are about.
    const role = caller.member.role === "sys_admin" ? "org_admin" : caller.member.role;
    const user = await insertUser({ role });
    await env.DB.prepare("UPDATE membership SET organization_id = ? WHERE user_id = ?")
      .bind(caller.tenant.id, user.id)
      .run();
    await env.DB.prepare("DELETE FROM organization WHERE id = ?").bind(user.organizationId).run();
    return signIn(user);
  }
  return caller.member.client;
}

interface Tenant {
  id: string;
  /** Every member, lowest role first. */
  members: Member[];
  /** Every id a member can see through the API, by kind. */
  ids: Record<TenantIdKind, string[]>;
  /** The organization's own plan (organization.plan_id), so GET /plan shows whose plan it reads. */
  planId: string;
  /** Session ids of each member (GET /auth/sessions as that member). */
  sessionsOf: Map<string, string[]>;
  /** Ids, emails and marker strings: none may appear in another tenant's response. */
  traces: string[];
}

interface Caller {
  member: Member;
  tenant: Tenant;
}

let A: Tenant;
/** Members of B (readonly, member, org_admin) and a sys_admin (its own organization S). */
let OUTSIDERS: Caller[];
/**
 * The {id} of the /admin/plans/{id} routes: a throwaway non-default plan no organization is on,
 * never the seeded plan_free. Every case that names it is refused (a role below sys_admin, a
 * mass-assignment field), and D1Watch proves it unchanged, so one for the file is enough.
 */
let PLAN_TARGET: string;
let cases = 0;

async function okJSON<T>(response: Response, status = 200): Promise<T> {
  expect(response.status).toBe(status);
  return (await response.json()) as T;
}

/**
 * A note and a pending invitation through the API; with `storeSettings`, also a stored value for
 * each settings key the fixtures name (only A stores any, so another organization reads defaults).
 */
async function seedTenant(
  label: string,
  organizationId: string,
  members: Member[],
  storeSettings = false,
): Promise<Tenant> {
  const top = members[members.length - 1]!;
  const marker = `${label}-marker-${crypto.randomUUID()}`;
  // A plan of its own, so a read of "the caller's plan" shows which organization it read; every
  // quota unlimited, so no fixture meets the note quota (10 a month on the default plan).
  const planId = await putOrganizationOnPlan(organizationId, {
    name: `${label} plan`,
    features: unlimitedPlanFeatures(),
  });
  const pendingEmail = uniqueEmail(`${label}pending`);
  await okJSON(await top.client.post("/notes", { title: marker, content: marker }), 201);
  await okJSON(await top.client.post("/invitations", { email: pendingEmail, role: "readonly" }), 201);
  await okJSON(
    await top.client.post("/webhook-endpoints", {
      url: `https://hooks.example.com/${marker}`,
      events: ["member.added"],
    }),
    201,
  );
  // Each keyed PUT the fixtures name (settings), as the lowest member allowed to make it.
  const keyedWrites = GATED.filter(
    (route) =>
      route.method === "PUT" &&
      route.pathParams.length > 0 &&
      !route.pathParams.includes("id") &&
      route.access !== "sys_admin",
  );
  for (const route of storeSettings ? keyedWrites : []) {
    const writer = members.find((member) => hasRoleAtLeast(member.role, route.access as Role))!;
    const request = planRequest(route, undefined);
    expect((await writer.client.request(request.method, request.path, { json: request.json })).status).toBe(200);
  }

  const organization = await okJSON<{ id: string }>(await top.client.get("/organization"));
  const { members: listed } = await okJSON<{ members: { id: string; email: string }[] }>(
    await top.client.get("/organization/users"),
  );
  const notes = await okJSON<{ items: { id: string }[] }>(await top.client.get("/notes"));
  const { invitations } = await okJSON<{ invitations: { id: string; email: string }[] }>(
    await top.client.get("/invitations"),
  );
  const endpoints = await okJSON<{ items: { id: string }[] }>(await top.client.get("/webhook-endpoints"));
  await okJSON(
    await top.client.post("/api-keys", {
      name: marker,
      role: "readonly",
      scopes: ["notes:read"],
      current_password: GOOD_PASSWORD,
    }),
    201,
  );
  const { keys } = await okJSON<{ keys: { id: string }[] }>(await top.client.get("/api-keys"));
  const sessionsOf = new Map<string, string[]>();
  // A passkey per member, so its list shows something of its own and its id is a foreign id to others.
  const passkeyIds: string[] = [];
  for (const member of members) {
    passkeyIds.push((await registerPasskey(member.client, undefined, `${label} passkey`)).id);
    const { sessions } = await okJSON<{ sessions: { id: string }[] }>(await member.client.get("/auth/sessions"));
    sessionsOf.set(
      member.id,
      sessions.map((session) => session.id),
    );
  }
  const ids: Record<TenantIdKind, string[]> = {
    organization: [organization.id],
    user: listed.map((member) => member.id),
    note: notes.items.map((note) => note.id),
    invitation: invitations.map((invitation) => invitation.id),
    session: [...sessionsOf.values()].flat(),
    webhook_endpoint: endpoints.items.map((endpoint) => endpoint.id),
    // One is enough as a foreign id (every {id} route is tried with every id of A, by 4 callers);
    // all of them are traces, so each member's own list shows its own passkey.
    passkey: passkeyIds.slice(-1),
    api_key: keys.map((key) => key.id),
  };
  expect(organization.id).toBe(organizationId);
  for (const [kind, values] of Object.entries(ids))
    expect(values.length, `${label} has no ${kind} id`).toBeGreaterThan(0);
  return {
    id: organizationId,
    members,
    ids,
    planId,
    sessionsOf,
    traces: [
      ...Object.values(ids).flat(),
      ...passkeyIds,
      ...listed.map((member) => member.email),
      pendingEmail,
      marker,
      planId,
    ],
  };
}

async function buildOrganization(label: string, storeSettings = false): Promise<Tenant> {
  const org = await createOrganization();
  return seedTenant(
    label,
    org.id,
    [org.members.readonly, org.members.member, org.members.org_admin, org.admin],
    storeSettings,
  );
}

/** The callers of another organization whose role is at least `minimum`, lowest first. */
function outsidersAtLeast(minimum: string): Caller[] {
  return OUTSIDERS.filter((caller) => hasRoleAtLeast(caller.member.role, minimum as Role));
}

function outsidersBelow(minimum: string): Caller[] {
  return OUTSIDERS.filter((caller) => !hasRoleAtLeast(caller.member.role, minimum as Role));
}

/** A resource of `kind` in the caller's own organization that the route may act on. */
function ownTarget(kind: IdKind, caller: Caller): string {
  const { tenant, member } = caller;
  switch (kind) {
    case "organization":
      return tenant.id;
    case "user":
      // The lowest member other than the caller: one an org_admin may manage.
      return tenant.members.find((other) => other.id !== member.id)?.id ?? member.id;
    case "session":
      return tenant.sessionsOf.get(member.id)![0]!;
    case "plan":
      return PLAN_TARGET;
    default:
      return tenant.ids[kind][0]!;
  }
}

// ---------------------------------------------------------------------------------------------
// Requests and D1.

interface PlannedRequest {
  method: string;
  path: string;
  json?: Record<string, unknown>;
}

interface Outcome {
  status: number;
  body: unknown;
}

function bodyFor(route: RegisteredRoute, caller?: Caller): Record<string, unknown> | undefined {
  if (!route.bodyFields) return undefined;
  const fixture = fixtureFor(route);
  const overrides = { ...fixture.body, ...(caller && fixture.bodyOf ? fixture.bodyOf(caller) : {}) };
  const body: Record<string, unknown> = {};
  for (const [field, schema] of Object.entries(route.bodyFields)) {
    body[field] = Object.hasOwn(overrides, field) ? overrides[field] : validValueFor(field, schema);
  }
  return body;
}

/** The fixture's request, its {id} filled with `id`. Bodies are built fresh (new emails each call). */
function planRequest(route: RegisteredRoute, id: string | undefined, caller?: Caller): PlannedRequest {
  const fixture = fixtureFor(route);
  const params: Record<string, string> = { ...fixture.params };
  if (fixture.id) params.id = id ?? crypto.randomUUID();
  return { method: route.method, path: fillPath(route.path, params), json: bodyFor(route, caller) };
}

function describeRequest(request: PlannedRequest, extra = ""): string {
  return `${request.method} ${request.path}${request.json ? ` ${JSON.stringify(request.json)}` : ""}${extra}`;
}

/** Sends from a fresh client IP each time, so no case shares a rate-limit bucket with another. */
async function send(
  client: TestClient,
  request: PlannedRequest,
  headers: Record<string, string> = {},
): Promise<Outcome> {
  const response = await sendFromFreshIP(client, request.method, request.path, {
    headers,
    body: request.json === undefined ? undefined : JSON.stringify(request.json),
  });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text === "" ? null : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

function errorCode(outcome: Outcome): string | undefined {
  return (outcome.body as { error?: { code?: string } } | null)?.error?.code;
}

function orgHeaders(organizationId: string): Record<string, string> {
  return Object.fromEntries(ORG_HEADERS.map((name) => [name, organizationId]));
}

/**
 * Tables that hold nobody's tenant data; any other table must name its tenant column below.
 * plan is the global catalogue (sys_admin writes it); stripe_event records processed webhook ids;
 * model_price is the global price list of AI models (provider, model), seeded by migration;
 * llm_usage_daily is the fleet-wide AI usage per day and model (no organization in it, read by
 * sys_admin only; its per-organization companion llm_usage_daily_org is scoped like any table).
 */
const UNSCOPED_TABLES = new Set(["dev_email", "plan", "stripe_event", "model_price", "llm_usage_daily"]);

/** Every row that belongs to one organization, its users, their sessions, tokens and settings. */
async function dumpTenant(organizationId: string): Promise<string> {
  const { results: tables } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' ORDER BY name",
  ).all<{ name: string }>();
  const users = `(SELECT user_id FROM membership WHERE organization_id = ?1)`;
  const dump: Record<string, unknown[]> = {};
  for (const { name } of tables) {
    const { results: columns } = await env.DB.prepare("SELECT name FROM pragma_table_info(?)")
      .bind(name)
      .all<{ name: string }>();
    const has = (column: string) => columns.some((candidate) => candidate.name === column);
    let where: string;
    if (name === "organization") where = "id = ?1";
    else if (has("organization_id")) where = "organization_id = ?1";
    else if (name === "user") where = `id IN ${users}`;
    else if (has("user_id")) where = `user_id IN ${users}`;
    else if (has("scope_id")) where = `scope_id = ?1 OR scope_id IN ${users}`;
    // A webhook delivery belongs to its endpoint's organization.
    else if (has("endpoint_id")) where = "endpoint_id IN (SELECT id FROM webhook_endpoint WHERE organization_id = ?1)";
    else if (UNSCOPED_TABLES.has(name)) continue;
    else
      throw new Error(
        `table ${name} has no tenant column: teach dumpTenant() (tenant-isolation.test.ts) how to scope it`,
      );
    dump[name] = (
      await env.DB.prepare(`SELECT * FROM "${name}" WHERE ${where} ORDER BY rowid`).bind(organizationId).all()
    ).results;
  }
  return JSON.stringify(dump);
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  PLAN_TARGET = await insertPlan({ name: "tenant-isolation target plan" });
  A = await buildOrganization("a", true);
  const B = await buildOrganization("b");
  const sysAdmin = await createSysAdmin();
  const S = await seedTenant("s", (await okJSON<{ id: string }>(await sysAdmin.client.get("/organization"))).id, [
    sysAdmin,
  ]);
  OUTSIDERS = [...B.members.slice(0, 3).map((member) => ({ member, tenant: B })), { member: sysAdmin, tenant: S }];
  expect(OUTSIDERS.map((caller) => caller.member.role)).toEqual([...ROLES]);
  const checkout = await OUTSIDERS[2]!.member.client.post("/billing/credit-packs/checkout", {
    pack_id: "tokens_5m",
    return_base_url: "/billing",
  });
  B_CHECKOUT.session_id = ((await checkout.json()) as { session_id: string }).session_id;
}, 60_000);

describe("the matrix covers every route", () => {
  it("reads the same routes from listRoutes(app) as from the OpenAPI registry", () => {
    expect(ROUTES.map((route) => `${routeLabel(route)} ${route.access}`)).toEqual(
      TABLE.map((route) => `${routeLabel(route)} ${route.access}`),
    );
  });

  it("every role-gated route has a fixture, and every fixture names a role-gated route", () => {
    const gated = GATED.map(routeLabel).sort();
    expect(
      gated.filter((label) => !(label in FIXTURES)),
      "routes without a fixture",
    ).toEqual([]);
    expect(
      Object.keys(FIXTURES).filter((label) => !gated.includes(label)),
      "fixtures without a route",
    ).toEqual([]);
  });

  it("every fixture fills all path parameters and builds a body its schema accepts", () => {
    for (const route of GATED) {
      const fixture = fixtureFor(route);
      const filled = [...(fixture.id ? ["id"] : []), ...Object.keys(fixture.params ?? {})].sort();
      expect(filled, routeLabel(route)).toEqual([...route.pathParams].sort());
      const unknown = Object.keys(fixture.body ?? {}).filter((field) => !(field in (route.bodyFields ?? {})));
      expect(unknown, `${routeLabel(route)}: fixture body fields the schema lacks`).toEqual([]);
    }
    for (const route of BODY_ROUTES) {
      if (isRoleAccess(route.access)) expect(bodyFor(route)).toBeTypeOf("object");
      else for (const [field, schema] of Object.entries(route.bodyFields!)) validValueFor(field, schema);
    }
  });

  it("has org-scoped {id} routes, reads and body routes to check", () => {
    expect(ID_ROUTES.length).toBeGreaterThanOrEqual(5);
    expect(READ_ROUTES.length).toBeGreaterThanOrEqual(6);
    expect(BODY_ROUTES.length).toBeGreaterThanOrEqual(10);
  });
});

describe("SEC-33 every role-gated route: anonymous → 401, each role below the minimum → 403, D1 unchanged", () => {
  for (const route of GATED) {
    it(`${routeLabel(route)} (min ${route.access})`, async () => {
      const fixture = fixtureFor(route);
      const watch = await D1Watch.start();

      const anonymous = planRequest(route, undefined);
      const refused = await send(createClient(), anonymous);
      cases++;
      expect
        .soft({ request: describeRequest(anonymous), status: refused.status, code: errorCode(refused) }, "anonymous")
        .toEqual({
          request: describeRequest(anonymous),
          status: 401,
          code: "UNAUTHENTICATED",
        });
      expect.soft(await watch.changedTables(), `D1 changed after anonymous ${describeRequest(anonymous)}`).toEqual([]);

      for (const caller of outsidersBelow(route.access)) {
        // The caller's own organization's resource: only the role can be the reason to refuse.
        const request = planRequest(route, fixture.id ? ownTarget(fixture.id, caller) : undefined);
        const outcome = await send(caller.member.client, request);
        cases++;
        const label = `${caller.member.role}: ${describeRequest(request)}`;
        expect
          .soft({ label, status: outcome.status, code: errorCode(outcome) }, label)
          .toEqual({ label, status: 403, code: "FORBIDDEN" });
        expect.soft(await watch.changedTables(), `D1 changed after ${label}`).toEqual([]);
      }
    });
  }
});

describe("SEC-36 another organization's real ids are 404 NOT_FOUND on every verb, with or without an org header", () => {
  it("skips only these sys_admin routes, which act on any organization or user by design", () => {
    // Pinned: a new sys_admin {id} route skips the 404 matrix only after someone adds it here.
    expect(GLOBAL_ID_ROUTES.map(routeLabel).sort()).toEqual(
      [
        "POST /admin/organizations/{id}/activate",
        "POST /admin/organizations/{id}/suspend",
        "POST /users/{id}/activate",
        "POST /users/{id}/suspend",
        // A second-factor reset acts on any user by design, like suspend.
        "POST /users/{id}/mfa/reset",
        // The plan catalogue is global by design: a plan belongs to no organization.
        "DELETE /admin/plans/{id}",
        "GET /admin/plans/{id}",
        "POST /admin/plans/{id}/default",
        "PUT /admin/plans/{id}",
      ].sort(),
    );
  });

  for (const route of ID_ROUTES) {
    it(`${routeLabel(route)} (min ${route.access}) with every id of organization A`, async () => {
      const foreignIds = Object.values(A.ids).flat();
      const watch = await D1Watch.start();
      for (const caller of outsidersAtLeast(route.access)) {
        for (const id of foreignIds) {
          const request = planRequest(route, id);
          const plain = await send(caller.member.client, request);
          cases++;
          const label = `${caller.member.role} of another org: ${describeRequest(request)}`;
          expect
            .soft({ label, status: plain.status, code: errorCode(plain) }, label)
            .toEqual({ label, status: 404, code: "NOT_FOUND" });
          expect.soft(await watch.changedTables(), `D1 changed after ${label}`).toEqual([]);

          // Naming A in headers must not open A's resources: the very same refusal.
          const headed = await send(caller.member.client, request, orgHeaders(A.id));
          cases++;
          expect.soft(headed, `${label} with ${ORG_HEADERS.join(", ")}: ${A.id}`).toEqual(plain);
          expect.soft(await watch.changedTables(), `D1 changed after ${label} with org headers`).toEqual([]);
        }
      }
    });
  }
});

describe("SEC-36 reads of another organization's members show none of A's rows, with or without an org header", () => {
  for (const route of READ_ROUTES) {
    it(`${routeLabel(route)} (min ${route.access})`, async () => {
      const watch = await D1Watch.start();
      for (const caller of outsidersAtLeast(route.access)) {
        const request = planRequest(route, undefined);
        for (const headers of [{}, orgHeaders(A.id)]) {
          const outcome = await send(caller.member.client, request, headers);
          cases++;
          const label = `${caller.member.role} of another org: ${describeRequest(request)}${Object.keys(headers).length ? " with org headers" : ""}`;
          expect.soft(outcome.status, label).toBe(200);
          const text = JSON.stringify(outcome.body);
          expect
            .soft(
              A.traces.filter((trace) => text.includes(trace)),
              `${label} shows A's rows`,
            )
            .toEqual([]);
          const { showsOwnState } = fixtureFor(route);
          if (showsOwnState) {
            // Not vacuous: no ids to find, but the caller's own state.
            expect.soft(showsOwnState(outcome.body), `${label} shows nothing of its own`).toBe(true);
          } else if (route.pathParams.length === 0) {
            // Not vacuous: the same read shows the caller's own organization.
            expect
              .soft(
                caller.tenant.traces.some((trace) => text.includes(trace)),
                `${label} shows nothing of its own`,
              )
              .toBe(true);
          } else {
            // A keyed read (a setting): A stored a value, the caller's organization did not.
            const setting = outcome.body as { value: unknown; default: unknown };
            expect.soft(setting.value, `${label} shows A's stored value`).toEqual(setting.default);
          }
        }
      }
      expect.soft(await watch.changedTables(), `D1 changed after reads of ${routeLabel(route)}`).toEqual([]);
    });
  }

  it("only these reads are global by design, and they skip the check above", () => {
    // Pinned: a new read is held to "none of A's rows" unless someone adds it here.
    expect(GLOBAL_READ_ROUTES.map(routeLabel).sort()).toEqual(["GET /plans"]);
  });

  for (const route of GLOBAL_READ_ROUTES) {
    it(`${routeLabel(route)} (min ${route.access}) is the same for A's members and every other organization's, with or without an org header`, async () => {
      // The plan catalogue lists every plan, A's own among them: a plan is no organization's row.
      // What must not differ is the answer: nothing in it may depend on who asks.
      const request = planRequest(route, undefined);
      const reader = A.members.find((member) => hasRoleAtLeast(member.role, route.access as Role))!;
      const watch = await D1Watch.start();
      const reference = await send(reader.client, request);
      cases++;
      expect(reference.status, describeRequest(request)).toBe(200);
      // Not vacuous: the catalogue holds the plans this file made.
      const text = JSON.stringify(reference.body);
      expect(
        [PLAN_TARGET, A.planId].filter((id) => !text.includes(id)),
        `${routeLabel(route)} lacks plans`,
      ).toEqual([]);
      for (const caller of outsidersAtLeast(route.access)) {
        for (const headers of [{}, orgHeaders(A.id)]) {
          const outcome = await send(caller.member.client, request, headers);
          cases++;
          const label = `${caller.member.role} of another org: ${describeRequest(request)}${Object.keys(headers).length ? " with org headers" : ""}`;
          expect.soft(outcome, label).toEqual(reference);
        }
      }
      expect.soft(await watch.changedTables(), `D1 changed after reads of ${routeLabel(route)}`).toEqual([]);
    });
  }

  it("A's own members do see A's value for each keyed read (the check above is not vacuous)", async () => {
    for (const route of READ_ROUTES.filter((candidate) => candidate.pathParams.length > 0)) {
      const reader = A.members.find((member) => hasRoleAtLeast(member.role, route.access as Role))!;
      const setting = await okJSON<{ value: unknown; default: unknown }>(
        await reader.client.get(planRequest(route, undefined).path),
      );
      expect(setting.value, routeLabel(route)).not.toEqual(setting.default);
    }
  });
});

describe("SEC-35 an org id in X-Org-Id / X-Organization-Id has no effect on routes that act on the session's organization", () => {
  for (const route of SESSION_SCOPED_ROUTES) {
    it(`${routeLabel(route)} (min ${route.access}) answers as without the header and leaves A untouched`, async () => {
      const caller = outsidersAtLeast(route.access)[0]!;
      const fixture = fixtureFor(route);
      const clientFor = async () => clientForFixture(fixture, caller);
      const before = await dumpTenant(A.id);

      if (route.method === "GET") {
        const request = planRequest(route, undefined, caller);
        const plain = await send(await clientFor(), request);
        const headed = await send(await clientFor(), request, orgHeaders(A.id));
        cases += 2;
        expect(plain.status, describeRequest(request)).toBeLessThan(300);
        expect(headed, `${describeRequest(request)} with org headers`).toEqual(plain);
      } else {
        // A write cannot be replayed identically; both must succeed alike and neither reach A.
        const prepared = async (client: TestClient): Promise<PlannedRequest> => {
          const request = planRequest(route, undefined, caller);
          if (fixture.ceremony) request.json = { ...request.json, ...(await fixture.ceremony(client)) };
          return request;
        };
        const headedClient = await clientFor();
        const headedRequest = await prepared(headedClient);
        const headed = await send(headedClient, headedRequest, orgHeaders(A.id));
        const plainClient = await clientFor();
        const plainRequest = await prepared(plainClient);
        const plain = await send(plainClient, plainRequest);
        cases += 2;
        const shape = (outcome: Outcome) => ({
          status: outcome.status,
          code: errorCode(outcome),
          keys: outcome.body && typeof outcome.body === "object" ? Object.keys(outcome.body).sort() : null,
        });
        expect(plain.status, describeRequest(plainRequest)).toBeLessThan(300);
        expect(shape(headed), `${describeRequest(headedRequest)} with org headers`).toEqual(shape(plain));
      }
      expect(await dumpTenant(A.id), `${routeLabel(route)} with X-Org-Id: A changed A's rows`).toBe(before);
    });
  }
});

describe("SEC-35, SEC-37 no mass assignment: role, organization_id, email_verified, id in a body that lacks them → 422, D1 unchanged", () => {
  for (const route of BODY_ROUTES) {
    const undeclared = MASS_ASSIGNMENT_FIELDS.filter((field) => !(field in route.bodyFields!));
    if (undeclared.length === 0) continue;
    it(`${routeLabel(route)} (${route.access}) refuses ${undeclared.join(", ")}`, async () => {
      const hostile: Record<(typeof MASS_ASSIGNMENT_FIELDS)[number], unknown> = {
        role: "sys_admin",
        organization_id: A.id, // a real id of another organization
        email_verified: true,
        id: A.ids.user[0],
      };
      // Gated routes: the lowest caller that gets through the gate, on its own organization's
      // resource, so the schema is the only thing that can refuse. Public routes: anonymous.
      const caller = isRoleAccess(route.access) ? outsidersAtLeast(route.access)[0]! : null;
      const validRequest = (): PlannedRequest => {
        if (!caller) {
          const json = Object.entries(route.bodyFields!).map(([field, schema]) => [
            field,
            validValueFor(field, schema),
          ]);
          return { method: route.method, path: fillPath(route.path, {}), json: Object.fromEntries(json) };
        }
        const { id } = fixtureFor(route);
        return planRequest(route, id ? ownTarget(id, caller) : undefined, caller);
      };
      const clientFor = async (): Promise<TestClient> => {
        if (!caller) return createClient();
        return clientForFixture(fixtureFor(route), caller);
      };
      const watch = await D1Watch.start();
      for (const fields of [...undeclared.map((field) => [field]), undeclared]) {
        const valid = validRequest();
        const request = {
          ...valid,
          json: { ...valid.json, ...Object.fromEntries(fields.map((field) => [field, hostile[field]])) },
        };
        const client = await clientFor();
        await watch.changedTables(); // a fresh sign-in is setup, not part of the case
        const outcome = await send(client, request);
        cases++;
        const label = `${caller ? caller.member.role : "anonymous"}: ${describeRequest(request)}`;
        const listed =
          (outcome.body as { error?: { details?: { fields?: { field: string }[] } } })?.error?.details?.fields ?? [];
        expect
          .soft(
            {
              label,
              status: outcome.status,
              code: errorCode(outcome),
              fields: listed.map((entry) => entry.field).sort(),
            },
            label,
          )
          .toEqual({
            label,
            status: 422,
            code: "VALIDATION_ERROR",
            fields: [...fields].sort(),
          });
        expect.soft(await watch.changedTables(), `D1 changed after ${label}`).toEqual([]);
      }
    });
  }
});

describe("SEC-77 a member of two organizations acting in one: the other's ids are 404 and reads show none of its rows", () => {
  // `dual` is org_admin of both A and B (OUTSIDERS' organization); its sessions act in B (signed
  // in there most recently), and one more is switched to A for the removal case.
  let dual: { id: string; email: string; password: string };
  let inB: TestClient;
  let B: Tenant;
  beforeAll(async () => {
    B = OUTSIDERS[0]!.tenant;
    const user = await insertUser({ role: "org_admin" });
    await env.DB.prepare("UPDATE membership SET organization_id = ? WHERE user_id = ?").bind(B.id, user.id).run();
    await addMembership(user.id, A.id, "org_admin");
    dual = user;
    inB = await signIn(dual);
    expect(((await inB.get("/users/me").then((r) => r.json())) as { organization_id: string }).organization_id).toBe(
      B.id,
    );
  });

  it("every {id} route with each of A's ids → 404, D1 unchanged", async () => {
    const watch = await D1Watch.start();
    for (const route of ID_ROUTES) {
      for (const id of Object.values(A.ids).flat()) {
        const request = planRequest(route, id);
        const outcome = await send(inB, request);
        cases++;
        const label = `member of A acting in B: ${describeRequest(request)}`;
        expect.soft({ label, status: outcome.status, code: errorCode(outcome) }, label).toEqual({
          label,
          status: 404,
          code: "NOT_FOUND",
        });
      }
    }
    expect.soft(await watch.changedTables(), "D1 changed").toEqual([]);
  });

  it("every read shows none of A's rows; GET /organizations lists A, not active", async () => {
    for (const route of READ_ROUTES) {
      const outcome = await send(inB, planRequest(route, undefined));
      cases++;
      expect.soft(outcome.status, routeLabel(route)).toBe(200);
      const text = JSON.stringify(outcome.body);
      if (routeLabel(route) === "GET /organizations") {
        expect
          .soft(outcome.body, routeLabel(route))
          .toContainEqual(expect.objectContaining({ id: A.id, active: false }));
      }
      // The caller's own data across its organizations names A (a membership), by design; not
      // vacuous: it does. Nothing else of A (its notes, members, invitations...) may show.
      const acrossOwn = fixtureFor(route).acrossOwnOrganizations === true;
      if (acrossOwn) expect.soft(text.includes(A.id), `${routeLabel(route)} lists the membership in A`).toBe(true);
      expect
        .soft(
          A.traces.filter((trace) => text.includes(trace) && !(acrossOwn && trace === A.id)),
          `${routeLabel(route)} shows A's rows`,
        )
        .toEqual([]);
    }
  });

  it("a removal from A applies on the next request of the session acting in A; the one in B goes on", async () => {
    const inA = await signIn(dual);
    expect((await inA.post("/organizations/switch", { organization_id: A.id })).status).toBe(200);
    expect((await inA.get("/organization/users")).status).toBe(200);
    const admin = A.members[A.members.length - 1]!;
    expect((await admin.client.delete(`/organization/users/${dual.id}`)).status).toBe(204);
    for (const route of READ_ROUTES) {
      const outcome = await send(inA, planRequest(route, undefined));
      cases++;
      expect
        .soft({ route: routeLabel(route), status: outcome.status })
        .toEqual({ route: routeLabel(route), status: 401 });
    }
    expect((await inB.get("/users/me")).status).toBe(200);
  });
});

describe("the matrix", () => {
  it(`ran at least ${MINIMUM_CASES} cases`, () => {
    console.info(`tenant-isolation matrix: ${cases} cases`);
    expect(cases).toBeGreaterThan(MINIMUM_CASES);
  });
});
