// The API key matrix (SEC-73), generated from the route table like the tenant-isolation matrix: a
// route that declares an API key scope in defineRoute is covered here without anyone editing a
// list, and every other gated route is checked to refuse keys.
// - every key route: a key with the scope and a high enough ceiling passes the gate; a key of
//   another organization gets 404 for its ids and none of its rows; a key without the scope is 403
//   SCOPE_MISSING; a readonly key on a member route is 403 FORBIDDEN; a revoked, expired,
//   malformed or unknown key is 401; a cookie and a key together are 400 AMBIGUOUS_CREDENTIALS;
// - every other role-gated route: any key is 401 (keys never manage members, keys, settings, billing).
// Every refusal is checked against the route's documented statuses and the error body, and leaves
// D1 as it was (probe()).
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { API_KEY_SCOPES, type ApiKeyScope } from "../../src/lib/api-key-scopes";
import { createKey, KeyClient } from "../helpers/api-keys";
import { createClient, randomIP } from "../helpers/client";
import { insertUser } from "../helpers/factories";
import { signIn, type Member } from "../helpers/orgs";
import { putOrganizationOnPlan, unlimitedPlanFeatures } from "../helpers/plans";
import { probe } from "../helpers/route-matrix";
import {
  fillPath,
  isRoleAccess,
  registeredRoutes,
  routeLabel,
  validBodyFor,
  validPathFor,
  type RegisteredRoute,
} from "../helpers/route-registry";

const ROUTES = registeredRoutes();
const KEY_ROUTES = ROUTES.filter((route) => route.apiKeyScope !== null);
const SESSION_ONLY_ROUTES = ROUTES.filter((route) => isRoleAccess(route.access) && route.apiKeyScope === null);

interface Tenant {
  admin: Member & { organizationId: string };
  /** member ceiling, every scope */
  key: string;
  noteId: string;
  marker: string;
}

let A: Tenant;
let B: Tenant;
/** A's keys that must be refused: each lacks one scope, or is readonly, revoked or expired. */
const lacking = new Map<string, string>();
let readonlyKey: string;
let revokedKey: string;
let expiredKey: string;

async function createNote(tenant: Pick<Tenant, "admin">, title: string): Promise<string> {
  const response = await tenant.admin.client.post("/notes", { title, content: title });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

async function buildTenant(label: string): Promise<Tenant> {
  const user = await insertUser({ role: "org_admin" });
  const admin = { ...user, role: "org_admin" as const, client: await signIn(user) };
  await putOrganizationOnPlan(user.organizationId, { name: `${label} plan`, features: unlimitedPlanFeatures() });
  const marker = `${label}-marker-${crypto.randomUUID()}`;
  const noteId = await createNote({ admin }, marker);
  return { admin, key: (await createKey(admin.client)).key, noteId, marker };
}

/** What a route's {id} names; a new key route with an {id} must be taught here. */
function idFor(route: RegisteredRoute, tenant: Tenant): Promise<string> | string {
  if (!route.pathParams.includes("id")) return "";
  if (!route.path.startsWith("/notes/{id}")) throw new Error(`${routeLabel(route)}: teach idFor() what its {id} names`);
  // A delete consumes its note: it gets a fresh one.
  return route.method === "DELETE" ? createNote(tenant, "to delete") : tenant.noteId;
}

async function pathFor(route: RegisteredRoute, tenant: Tenant): Promise<string> {
  const id = await idFor(route, tenant);
  return id ? fillPath(route.path, { id }) : validPathFor(route);
}

function send(route: RegisteredRoute, key: string, path: string, headers: Record<string, string> = {}) {
  return new KeyClient(key).request(route.method, path, route.bodyFields ? validBodyFor(route) : undefined, {
    "cf-connecting-ip": randomIP(),
    ...headers,
  });
}

beforeAll(async () => {
  [A, B] = await Promise.all([buildTenant("a"), buildTenant("b")]);
  for (const scope of API_KEY_SCOPES) {
    const others = API_KEY_SCOPES.filter((candidate) => candidate !== scope);
    lacking.set(scope, (await createKey(A.admin.client, { scopes: others })).key);
  }
  readonlyKey = (await createKey(A.admin.client, { role: "readonly" })).key;
  const revoked = await createKey(A.admin.client);
  expect((await A.admin.client.delete(`/api-keys/${revoked.id}`)).status).toBe(204);
  revokedKey = revoked.key;
  const expired = await createKey(A.admin.client);
  await env.DB.prepare("UPDATE api_key SET expires_at = ? WHERE id = ?")
    .bind(Date.now() - 1, expired.id)
    .run();
  expiredKey = expired.key;
}, 60_000);

describe("SEC-73: the API key matrix covers every route", () => {
  it("pins which routes accept a key, and with which scope", () => {
    expect(KEY_ROUTES.map((route) => `${routeLabel(route)} → ${route.apiKeyScope}`).sort()).toEqual(
      [
        "GET /notes → notes:read",
        "GET /notes/{id} → notes:read",
        "POST /notes → notes:write",
        "PUT /notes/{id} → notes:write",
        "DELETE /notes/{id} → notes:write",
        "POST /notes/{id}/copilot/improve → ai:use",
        "POST /notes/{id}/copilot/summarize → ai:use",
        "GET /usage/summary → usage:read",
        "GET /usage/history → usage:read",
        "GET /plan → plan:read",
      ].sort(),
    );
    // Every scope a key can be given opens at least one route, and no route asks for another.
    expect(new Set(KEY_ROUTES.map((route) => route.apiKeyScope))).toEqual(new Set(API_KEY_SCOPES));
  });

  it("documents the apiKey scheme on exactly those operations, the session cookie on every gated one", async () => {
    const document = (await (await createClient().get("/openapi.json")).json()) as {
      components: { securitySchemes: Record<string, unknown> };
      paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>>;
    };
    expect(Object.keys(document.components.securitySchemes)).toEqual(
      expect.arrayContaining(["sessionCookie", "apiKey"]),
    );
    for (const route of ROUTES.filter((candidate) => isRoleAccess(candidate.access))) {
      const schemes = (document.paths[route.path]![route.method.toLowerCase()]!.security ?? []).flatMap(Object.keys);
      expect(schemes, routeLabel(route)).toEqual(route.apiKeyScope ? ["sessionCookie", "apiKey"] : ["sessionCookie"]);
    }
  });
});

describe.each(KEY_ROUTES.map((route) => [routeLabel(route), route] as const))("%s", (label, route) => {
  const scope = route.apiKeyScope as ApiKeyScope;

  it("SEC-73: a key with the scope passes the gate and acts in its own organization", async () => {
    const response = await send(route, A.key, await pathFor(route, A));
    expect(response.status, await response.clone().text()).toBeLessThan(300);
    const text = await response.text();
    if (route.method === "GET") expect(text).not.toContain(B.marker);
  });

  it("SEC-73: a key of another organization gets 404 for its ids and none of its rows", async () => {
    const path = await pathFor(route, A);
    let text = "";
    const { violations, response, body } = await probe(route, label, async () => {
      const answer = await send(route, B.key, path);
      text = await answer.clone().text();
      return answer;
    });
    expect(violations).toEqual([]);
    if (route.pathParams.includes("id")) expect([response.status, body?.error.code]).toEqual([404, "NOT_FOUND"]);
    else expect(text).not.toContain(A.marker);
  });

  it("SEC-73: a key without the scope is 403 SCOPE_MISSING, and a readonly key below the route's role 403 FORBIDDEN", async () => {
    const path = await pathFor(route, A);
    const missing = await probe(route, label, () => send(route, lacking.get(scope)!, path));
    expect(missing.violations).toEqual([]);
    expect([missing.response.status, missing.body?.error.code]).toEqual([403, "SCOPE_MISSING"]);
    const readonly = await probe(route, label, () => send(route, readonlyKey, path));
    expect(readonly.violations).toEqual([]);
    expect(readonly.response.status).toBe(route.access === "readonly" ? 200 : 403);
  });

  it("SEC-73: a revoked, expired, malformed or unknown key is 401", async () => {
    const path = await pathFor(route, A);
    for (const key of [revokedKey, expiredKey, `${A.key}x`, `rk_${"A".repeat(43)}`, "Basic abc"]) {
      const { violations, response } = await probe(route, label, () => send(route, key, path));
      expect(violations).toEqual([]);
      expect(response.status, key).toBe(401);
    }
  });

  it("SEC-73: a session cookie and a key together are 400 AMBIGUOUS_CREDENTIALS", async () => {
    const path = await pathFor(route, A);
    const cookie = A.admin.client.cookieHeader();
    const { violations, body } = await probe(route, label, () =>
      send(route, A.key, path, { cookie, origin: "http://localhost:5173" }),
    );
    expect(violations).toEqual([]);
    expect(body?.error.code).toBe("AMBIGUOUS_CREDENTIALS");
  });
});

describe("SEC-73: routes that do not declare a key scope refuse every key", () => {
  it("has session-only routes to check", () => {
    expect(SESSION_ONLY_ROUTES.length).toBeGreaterThan(30);
  });

  it.each(SESSION_ONLY_ROUTES.map((route) => [routeLabel(route), route] as const))(
    "%s answers a valid key 401",
    async (label, route) => {
      const { violations, response } = await probe(route, label, () => send(route, A.key, validPathFor(route)));
      expect(violations).toEqual([]);
      expect(response.status).toBe(401);
    },
  );
});
