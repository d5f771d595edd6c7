// What the generated route matrices share (hostile-input, the generative hostile input and
// tenant isolation): sending from a fresh client IP, checking an answer against API.md's error body
// and the route's documented statuses, "a refusal changed nothing in D1", and callers holding a
// route's minimum role with the real rows its {id} and body name.
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import type { Role } from "../../src/lib/roles";
import { signedInAccount, uniqueEmail, type Account } from "./accounts";
import type { TestClient } from "./client";
import { randomIP } from "./client";
import { readDBState, type DBState } from "./db-state";
import { insertUser } from "./factories";
import { enrolTotp, forgetLastTotpStep, totpCode } from "./mfa";
import { answerRegistration, registerPasskey } from "./passkeys";
import { addMembership, inviteAndAccept, signIn } from "./orgs";
import { insertPlan, putUsersOrganizationOnUnlimitedPlan } from "./plans";
import { routeLabel, sampleParams, validBodyFor, type RegisteredRoute } from "./route-registry";

export interface SendOptions {
  body?: BodyInit;
  contentType?: string | null;
  headers?: Record<string, string>;
}

/** Each request from a fresh CF-Connecting-IP, so per-IP rate limits never decide the outcome. */
export function sendFromFreshIP(
  client: TestClient,
  method: string,
  path: string,
  options: SendOptions = {},
): Promise<Response> {
  const headers: Record<string, string> = { "cf-connecting-ip": randomIP(), ...options.headers };
  const contentType = options.contentType === undefined ? "application/json" : options.contentType;
  let body = options.body;
  if (body !== undefined && contentType !== null) headers["content-type"] = contentType;
  // A string body would get text/plain from the Request constructor; bytes get no Content-Type.
  if (typeof body === "string" && contentType === null) body = new TextEncoder().encode(body);
  return client.request(method, path, { headers, body });
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** Problems with an error response's shape: API.md's body and nothing else. */
async function errorBodyProblems(response: Response): Promise<{ problems: string[]; body: ErrorBody | null }> {
  const problems: string[] = [];
  const contentType = response.headers.get("content-type") ?? "";
  if (!contentType.startsWith("application/json")) problems.push(`Content-Type is "${contentType}"`);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { problems: [...problems, `body is not JSON: ${text.slice(0, 80)}`], body: null };
  }
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);
  if (!isObject(body) || Object.keys(body).join() !== "error" || !isObject(body.error)) {
    return { problems: [...problems, `body is not {error:{...}}: ${text.slice(0, 120)}`], body: null };
  }
  const error = body.error;
  const extra = Object.keys(error).filter((key) => !["code", "message", "details"].includes(key));
  if (extra.length > 0) problems.push(`error has extra keys ${extra.join(", ")}`);
  if (typeof error.code !== "string" || !/^[A-Z][A-Z_]*$/.test(error.code))
    problems.push(`bad code ${String(error.code)}`);
  if (typeof error.message !== "string" || error.message === "") problems.push("message is not a non-empty string");
  if ("details" in error && !isObject(error.details)) problems.push("details is not an object");
  return { problems, body: body as unknown as ErrorBody };
}

export function describeChange(before: DBState, after: DBState): string[] {
  return (Object.keys(before) as (keyof DBState)[])
    .filter((key) => before[key] !== after[key])
    .map((key) => `${key} ${before[key]} -> ${after[key]}`);
}

/** What is wrong with one answer: a 5xx, a status the route does not document, or an error body that is not API.md's. */
export async function inspectAnswer(
  route: RegisteredRoute,
  label: string,
  response: Response,
): Promise<{ violations: string[]; body: ErrorBody | null }> {
  const violations: string[] = [];
  if (response.status >= 500) violations.push(`${label}: ${response.status}`);
  if (response.status < 400) {
    await response.body?.cancel();
    if (!route.documentedStatuses.has(response.status))
      violations.push(`${label}: status ${response.status} is not documented`);
    return { violations, body: null };
  }
  const { problems, body } = await errorBodyProblems(response);
  if (!route.documentedStatuses.has(response.status)) {
    violations.push(
      `${label}: status ${response.status} (${body?.error.code}) is not documented for ${routeLabel(route)}`,
    );
  }
  violations.push(...problems.map((problem) => `${label}: ${response.status} ${problem}`));
  return { violations, body };
}

/** One request, checked by inspectAnswer(), plus: if it was refused, D1 is exactly as before. */
export async function probe(
  route: RegisteredRoute,
  label: string,
  request: () => Promise<Response>,
): Promise<{ violations: string[]; response: Response; body: ErrorBody | null }> {
  const before = await readDBState();
  const response = await request();
  const { violations, body } = await inspectAnswer(route, label, response);
  if (response.status >= 400) {
    const changes = describeChange(before, await readDBState());
    if (changes.length > 0)
      violations.push(`${label}: refused with ${response.status} but changed ${changes.join(", ")}`);
  }
  return { violations, response, body };
}

export interface Caller {
  client: TestClient;
  /** Body values that name a real object of the caller's organization (BODY_FIXTURES). */
  bodyOverrides?: Record<string, unknown>;
  /** Set for a signed-in caller; its password moves when /password/update succeeds. */
  account?: Account;
  /** Replaces the account, for when a per-account limit (SEC-13) would answer 429 to the rest. */
  renew?: () => Promise<void>;
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

/**
 * A fresh account (hostile input may rename it, change its password or sign it out): the
 * org_admin of its own organization until `demote()` sets it to `role`, so fixtures that need more
 * than the minimum role (a note for a readonly caller) are made first. Renewal (for a per-account
 * limit) gives an account of `role` at once. With `unlimited`, its organization (and a renewed
 * one's) is on a plan whose every quota is unlimited.
 */
export async function signedInCaller(
  role: Role,
  options: { unlimited?: boolean } = {},
): Promise<Caller & { account: Account; renew: () => Promise<void>; demote: () => Promise<void> }> {
  const freshAccount = async () => {
    const fresh = await signedInAccount();
    if (options.unlimited) await putUsersOrganizationOnUnlimitedPlan(fresh.email);
    return fresh;
  };
  const account = await freshAccount();
  const caller = {
    client: account.client,
    account,
    demote: () => setRole(caller.account.email, role),
    renew: async () => {
      const fresh = await freshAccount();
      await setRole(fresh.email, role);
      caller.client = fresh.client;
      caller.account = fresh;
    },
  };
  return caller;
}

async function created(response: Response): Promise<string> {
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

/**
 * A real row for each {id} route, made by the caller while it is its organization's org_admin,
 * so the valid path names something the route's own logic finds: body cases then reach the
 * write (PUT /notes/{id} stores hostile content for real) and the valid request succeeds. Hostile
 * ids in the path are answered 404 NOT_FOUND by the service's own lookup in D1; that counts as
 * the route's own logic (none of these routes is mode-gated, the only gate that answers 404).
 */
const ID_FIXTURES: Record<string, (caller: Caller) => Promise<string>> = {
  "/auth/sessions/{id}": async (caller) => {
    // A second session of the same account, to revoke.
    await signIn({ email: caller.account!.email, password: caller.account!.password });
    const { sessions } = (await (await caller.client.get("/auth/sessions")).json()) as {
      sessions: { id: string; current: boolean }[];
    };
    return sessions.find((session) => !session.current)!.id;
  },
  "/organization/users/{id}": async (caller) => (await inviteAndAccept(caller.client, "member")).id,
  "/invitations/{id}": async (caller) =>
    created(await caller.client.post("/invitations", { email: uniqueEmail("invited"), role: "member" })),
  "/api-keys/{id}": async (caller) =>
    created(
      await caller.client.post("/api-keys", {
        name: "Fixture",
        role: "readonly",
        scopes: ["notes:read"],
        current_password: caller.account!.password,
      }),
    ),
  "/notes/{id}": async (caller) =>
    created(await caller.client.post("/notes", { title: "Fixture", content: "A note to find." })),
  "/notes/{id}/copilot/improve": async (caller) =>
    created(await caller.client.post("/notes", { title: "Fixture", content: "A note to improve." })),
  "/notes/{id}/copilot/summarize": async (caller) =>
    created(await caller.client.post("/notes", { title: "Fixture", content: "A note to sum up." })),
  // Another organization and another user: a sys_admin cannot suspend its own (409).
  "/admin/organizations/{id}/suspend": async () =>
    (await insertUser({ role: "org_admin", passwordHash: null })).organizationId,
  "/admin/organizations/{id}/activate": async () =>
    (await insertUser({ role: "org_admin", passwordHash: null })).organizationId,
  "/users/{id}/suspend": async () => (await insertUser({ role: "member", passwordHash: null })).id,
  "/users/{id}/activate": async () => (await insertUser({ role: "member", passwordHash: null })).id,
  // A throwaway non-default plan no organization is on, per case: the valid request may replace
  // it, delete it or make it the default (the case then makes the seeded plan_free default again).
  "/admin/plans/{id}": async () => insertPlan(),
  "/admin/plans/{id}/default": async () => insertPlan(),
  "/webhook-endpoints/{id}": async (caller) => createWebhookEndpoint(caller),
  "/webhook-endpoints/{id}/deliveries": async (caller) => createWebhookEndpoint(caller),
  "/webhook-endpoints/{id}/test": async (caller) => createWebhookEndpoint(caller),
  "/auth/passkeys/{id}": async (caller) => (await registerPasskey(caller.client)).id,
  // Another user, with TOTP enrolled, so the valid reset has a second factor to remove. The reset
  // only deletes rows and never decrypts the secret, so a sealed placeholder stands in for one.
  "/users/{id}/mfa/reset": async () => {
    const { id } = await insertUser({ role: "member", passwordHash: null });
    await env.DB.prepare(
      "INSERT INTO totp_credential (user_id, encrypted_secret, confirmed_at, created_at) VALUES (?, 'sealed', ?, ?)",
    )
      .bind(id, Date.now(), Date.now())
      .run();
    return id;
  },
};

/**
 * {id} fixtures that a hostile case may use up (DELETE /auth/passkeys/{id} takes an optional body,
 * so a case whose hostile field is optional succeeds) and that the route's minimum role can make
 * again: the final valid request gets a new one.
 */
export const REMADE_ID_FIXTURES = new Set(["/auth/passkeys/{id}"]);

async function callerUserId(caller: Caller): Promise<string> {
  const response = await caller.client.get("/users/me");
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { id: string }).id;
}

/** TOTP secrets of the callers the MFA body fixtures enrolled, by account email. */
const enrolledTotpSecrets = new Map<string, Uint8Array>();

async function createWebhookEndpoint(caller: Caller): Promise<string> {
  const url = "https://hooks.example.com/rampart";
  return created(await caller.client.post("/webhook-endpoints", { url, events: ["member.added"] }));
}

/** Real values for the route's path parameters ({key}: a declared key; {id}: ID_FIXTURES). */
export async function realParams(route: RegisteredRoute, caller: Caller): Promise<Record<string, string>> {
  if (!route.pathParams.includes("id")) return sampleParams(route);
  const fixture = ID_FIXTURES[route.path];
  if (!fixture) throw new Error(`no fixture for {id} of ${routeLabel(route)}: add one to ID_FIXTURES`);
  return sampleParams(route, { id: await fixture(caller) });
}

/**
 * Like ID_FIXTURES, for a body field that names something of the caller's organization that no
 * schema can make up: a credit pack on sale, a Checkout Session it started (in the fake Stripe).
 */
export const BODY_FIXTURES: Record<string, (caller: Caller) => Promise<Record<string, unknown>>> = {
  // Single use: a test that sends it twice (hostile cases, then the valid request) asks again.
  "POST /auth/passkeys/register/verify": async (caller) => ({ response: await answerRegistration(caller.client) }),
  "POST /billing/credit-packs/checkout": async () => ({ pack_id: "tokens_5m" }),
  // A fresh TOTP setup (the caller signed in moments ago, so it needs no fresh proof) and the code
  // its authenticator would show now. Asked again before the final valid request: a new setup
  // replaces the pending one, as a user restarting the enrolment would.
  "POST /auth/mfa/totp/confirm": async (caller) => {
    const setup = await caller.client.post("/auth/mfa/totp/setup", {});
    expect(setup.status, await setup.clone().text()).toBe(200);
    const { secret } = (await setup.json()) as { secret: string };
    return { code: totpCode(decodeBase32IgnorePadding(secret)) };
  },
  // Recovery codes need an enrolled TOTP (409 otherwise), and a fresh proof by password then needs
  // the current code too. Enrolment spends the current step (SEC-68 replay protection), so the
  // fixture forgets the last used step each time it hands out the current code.
  "POST /auth/mfa/recovery-codes": async (caller) => {
    const email = caller.account!.email;
    let secret = enrolledTotpSecrets.get(email);
    if (!secret) {
      secret = (await enrolTotp(caller.client)).secret;
      enrolledTotpSecrets.set(email, secret);
    }
    await forgetLastTotpStep(await callerUserId(caller));
    return { code: totpCode(secret) };
  },
  // Another organization the caller belongs to (never active there), so the valid request switches.
  "POST /organizations/switch": async (caller) => {
    const { organizationId } = await insertUser({ role: "org_admin", passwordHash: null });
    await addMembership(await callerUserId(caller), organizationId, "member");
    return { organization_id: organizationId };
  },
  // No override: hostile cases whose hostile value is an acceptable description do create
  // endpoints, and an organization holds at most 10 (409 past that, the product's limit). Asked
  // again before the final valid request, this removes the caller's endpoints through the API so
  // that request meets the limit with room to spare.
  "POST /webhook-endpoints": async (caller) => {
    const list = await caller.client.get("/webhook-endpoints");
    expect(list.status, await list.clone().text()).toBe(200);
    for (const { id } of ((await list.json()) as { items: { id: string }[] }).items) {
      const removed = await caller.client.delete(`/webhook-endpoints/${id}`);
      expect(removed.status, await removed.clone().text()).toBeLessThan(300);
    }
    return {};
  },
  "POST /billing/credit-packs/verify": async (caller) => {
    const response = await caller.client.post("/billing/credit-packs/checkout", {
      pack_id: "tokens_5m",
      return_base_url: "/billing",
    });
    expect(response.status, await response.clone().text()).toBe(200);
    return { session_id: ((await response.json()) as { session_id: string }).session_id };
  },
};

export function validBodyForCaller(
  route: RegisteredRoute,
  caller: Caller,
  params: Record<string, string> = {},
): Record<string, unknown> {
  const body = { ...validBodyFor(route, params), ...caller.bodyOverrides };
  // The only field whose valid value is a secret the caller holds: the current password.
  if (caller.account && "current_password" in body) body.current_password = caller.account.password;
  return body;
}
