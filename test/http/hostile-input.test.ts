// Every route answers hostile input with the JSON error body of API.md and changes nothing:
// malformed JSON 400, non-JSON 415, unknown or mistyped fields 422, over 64 KiB 413, bad cookies
// 401, unknown routes 404, wrong methods 405, and no input at all produces a 500.
// The routes come from the app's own OpenAPI registry, so a new route is covered without edits
// (a new {id} route needs one line in ID_FIXTURES, and says so when it is missing). A nested
// object field (a plan's features) gets the corpus in each of its own fields as well.
// "Signed in" always means a caller holding exactly the route's minimum role (x-min-role), so
// the access gate lets the request through and the hostile values meet validation and the service.
import { beforeAll, describe, expect, it } from "vitest";
import { BODY_LIMIT_BYTES, BODY_LIMIT_OVERRIDES } from "../../src/platform/body-limits";
import { getPasswordHashingStats } from "../../src/lib/password";
import type { Role } from "../../src/lib/roles";
import { createClient, type TestClient } from "../helpers/client";
import { createOrganization, createSysAdmin } from "../helpers/orgs";
import { readDBState } from "../helpers/db-state";
import { restoreSeededDefaultPlan } from "../helpers/plans";
import {
  encodeHostileComponent,
  fillPath,
  isRoleAccess,
  registeredRoutes,
  routeLabel,
  routePattern,
  sampleParams,
  validBodyFor,
  validPathFor,
  type RegisteredRoute,
} from "../helpers/route-registry";
import {
  BODY_FIXTURES,
  REMADE_ID_FIXTURES,
  type Caller,
  describeChange,
  inspectAnswer,
  probe,
  realParams,
  sendFromFreshIP,
  signedInCaller,
  validBodyForCaller,
} from "../helpers/route-matrix";

// ---------------------------------------------------------------------------------------------
// The corpus

interface HostileValue {
  label: string;
  /** A JSON value (serialized with JSON.stringify, which escapes lone surrogates)... */
  value?: unknown;
  /** ...or raw JSON text, for what JSON.stringify cannot produce (1e999, an own __proto__ key). */
  rawJSON?: string;
}

const TEN_KB = 10 * 1024;
/**
 * The corpus is a few hundred requests per route, and on the password routes each valid-shaped one
 * runs Argon2 (~20 ms of CPU, far more on a loaded 2-core machine): past the 30 s default there.
 */
const CORPUS_TIMEOUT_MS = 120_000;

const HOSTILE_STRINGS: HostileValue[] = [
  { label: "SQL tautology", value: "' OR '1'='1" },
  { label: "SQL stacked query", value: `'; DROP TABLE "user"; --` },
  { label: "SQL union", value: "' UNION SELECT token_hash, user_id FROM session --" },
  { label: "SQL wildcard and comment", value: "%' OR 1=1 /*" },
  { label: "SQL quote inside a valid email", value: "o'brien'--@example.com" },
  { label: "quotes and backslashes", value: `\\"\\'\\\\"'` },
  { label: "NUL byte", value: "\u0000" },
  { label: "NUL inside an email", value: "ada\u0000@example.com" },
  { label: "NUL inside a passphrase", value: "correct horse\u0000battery" },
  { label: "10 KB ASCII string", value: "A".repeat(TEN_KB) },
  { label: "10 KB of emoji", value: "😀".repeat(TEN_KB / 4) },
  { label: "lone high surrogate", value: "\ud800" },
  { label: "lone low surrogate inside text", value: "abcdef\udfffghijkl" },
  { label: "reversed surrogate pair", value: "\udc00\ud800 reversed pair" },
  { label: "RTL override", value: "\u202egpj.exe\u202c invoice" },
  { label: "zero-width characters only", value: "\u200b\u200c\u200d\u2060\ufeff" },
  { label: "zero-width inside an email", value: "ada\u200b@example.com" },
  { label: "stacked combining marks", value: `Z${"\u0336\u0301\u0327".repeat(100)}` },
  { label: "emoji ZWJ sequences", value: "👩‍👩‍👧‍👦🏳️‍🌈 family" },
  { label: "fullwidth look-alike email", value: "ａｄａ@ｅｘａｍｐｌｅ.ｃｏｍ" },
  { label: "Cyrillic look-alike email", value: "аda@example.com" },
  { label: "empty string", value: "" },
  { label: "whitespace only", value: " \t\n\r " },
  { label: "CRLF header injection", value: "x\r\nSet-Cookie: session_id=evil" },
  { label: "HTML", value: "<script>alert(1)</script>" },
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the payload is the literal text an injection probe sends
  { label: "template expressions", value: "${7*7}{{7*7}}#{7*7}" },
  { label: "path traversal", value: "../../../etc/passwd" },
  { label: "the word __proto__", value: "__proto__" },
  { label: "percent-encoding, some of it broken", value: "%00%2e%2e%2f%E0%A4%A" },
];

const HOSTILE_NON_STRINGS: HostileValue[] = [
  { label: "zero", value: 0 },
  { label: "negative number", value: -1 },
  { label: "float", value: 1.5 },
  { label: "huge number", value: 1e308 },
  { label: "number that overflows to Infinity", rawJSON: "1e999" },
  { label: "integer beyond 2^53", rawJSON: "123456789012345678901234567890" },
  { label: "true", value: true },
  { label: "false", value: false },
  { label: "null", value: null },
  { label: "empty array", value: [] },
  { label: "array of strings", value: ["ada@example.com", "correct horse battery"] },
  { label: "array of 1000 items", value: Array.from({ length: 1000 }, (_, index) => index) },
  { label: "empty object", value: {} },
  { label: "operator object", value: { $ne: null, $gt: "" } },
  { label: "own __proto__ key", rawJSON: `{"__proto__":{"role":"sys_admin","is_admin":true}}` },
  { label: "object nested 5000 deep", rawJSON: `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}` },
  { label: "array nested 20000 deep", rawJSON: `${"[".repeat(20000)}${"]".repeat(20000)}` },
];

const HOSTILE_VALUES = [...HOSTILE_STRINGS, ...HOSTILE_NON_STRINGS];

/** Path segments and query values are strings on the wire: the corpus, stringified. */
const HOSTILE_TEXT: HostileValue[] = [
  ...HOSTILE_STRINGS.filter((hostile) => hostile.value !== ""),
  ...HOSTILE_NON_STRINGS.map((hostile) => ({ label: hostile.label, value: toJSONText(hostile) })),
];

function toJSONText(hostile: HostileValue): string {
  return hostile.rawJSON ?? JSON.stringify(hostile.value);
}

const PLACEHOLDER = "\u0001hostile-placeholder\u0001";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The valid body with one field replaced by the hostile value (raw JSON spliced in); `nested`
 * names a field inside that field's object value (body.features.max_notes), the rest kept valid.
 */
function bodyWithField(valid: Record<string, unknown>, field: string, hostile: HostileValue, nested?: string): string {
  const inner = valid[field];
  const replaced =
    nested === undefined ? PLACEHOLDER : { ...(isPlainObject(inner) ? inner : {}), [nested]: PLACEHOLDER };
  // A replacer function, so "$&"-like sequences in the hostile text are not patterns.
  return JSON.stringify({ ...valid, [field]: replaced }).replace(JSON.stringify(PLACEHOLDER), () =>
    toJSONText(hostile),
  );
}

// ---------------------------------------------------------------------------------------------
// Sending and checking

const ROUTES = registeredRoutes();
const JSON_ROUTES = ROUTES.filter((route) => route.bodyFields !== null);
const UNSAFE_ROUTES = ROUTES.filter((route) => !["GET", "HEAD"].includes(route.method));
const ROLE_ROUTES = ROUTES.filter((route) => isRoleAccess(route.access));
const PASSWORD_FIELDS = JSON_ROUTES.flatMap((route) =>
  Object.keys(route.bodyFields!)
    .filter((field) => field.includes("password"))
    .map((field) => ({ route, field })),
);

interface HostileCase {
  label: string;
  request: () => Promise<Response>;
}

/** Every hostile value in every input slot of the route: body fields, whole body, query, path. */
function hostileCases(
  route: RegisteredRoute,
  caller: Caller,
  mode: string,
  params = sampleParams(route),
): HostileCase[] {
  const cases: HostileCase[] = [];
  const add = (slot: string, hostile: HostileValue, request: () => Promise<Response>) =>
    cases.push({ label: `${routeLabel(route)} ${slot} = ${hostile.label} (${mode})`, request });
  const validPath = fillPath(route.path, params);

  // Each body field, and each field of a body field whose valid value is an object (a plan's
  // features: every declared feature).
  const sample = route.bodyFields ? validBodyForCaller(route, caller, params) : {};
  const slots = Object.keys(route.bodyFields ?? {}).flatMap((field) => [
    { field, nested: undefined as string | undefined },
    ...Object.keys(isPlainObject(sample[field]) ? sample[field] : {}).map((nested) => ({ field, nested })),
  ]);
  for (const { field, nested } of slots) {
    for (const hostile of HOSTILE_VALUES) {
      add(nested === undefined ? `body.${field}` : `body.${field}.${nested}`, hostile, async () => {
        // Built when sent, so it uses the caller's current password.
        const body = bodyWithField(validBodyForCaller(route, caller, params), field, hostile, nested);
        const response = await sendFromFreshIP(caller.client, route.method, validPath, { body });
        const sent = JSON.parse(body) as Record<string, unknown>;
        if (caller.account && response.status < 300 && typeof sent.new_password === "string") {
          caller.account.password = sent.new_password;
        }
        return response;
      });
    }
  }
  if (route.bodyFields !== null) {
    for (const hostile of HOSTILE_VALUES) {
      add("whole body", hostile, () =>
        sendFromFreshIP(caller.client, route.method, validPath, { body: toJSONText(hostile) }),
      );
    }
  }
  for (const field of Object.keys(route.queryFields)) {
    for (const hostile of HOSTILE_TEXT) {
      const path = `${validPath}?${field}=${encodeHostileComponent(hostile.value as string)}`;
      add(`query ${field}`, hostile, () => sendFromFreshIP(caller.client, route.method, path));
    }
  }
  for (const param of route.pathParams) {
    for (const hostile of HOSTILE_TEXT) {
      const path = fillPath(route.path, { ...params, [param]: hostile.value as string });
      add(`path {${param}}`, hostile, () =>
        sendFromFreshIP(caller.client, route.method, path, {
          body: route.bodyFields ? JSON.stringify(validBodyForCaller(route, caller, params)) : undefined,
        }),
      );
    }
  }
  if (cases.length === 0) {
    // No declared input: an undeclared hostile query and body are ignored or refused, never a 500.
    const query = `?session_id=${encodeHostileComponent("' OR 1=1 --")}&${encodeHostileComponent("\ud800")}=%00`;
    const body = ["GET", "HEAD"].includes(route.method)
      ? undefined
      : JSON.stringify({ "' OR 1=1 --": "\u0000\ud800", role: "sys_admin" });
    add("undeclared input", { label: "hostile query and body" }, () =>
      sendFromFreshIP(caller.client, route.method, `${validPath}${query}`, { body }),
    );
  }
  return cases;
}

/**
 * Runs the cases a few at a time (password hashing dominates the runtime) and checks each answer.
 * D1 is compared around each batch; when a batch changed something and held a refusal, the
 * refusals are sent again one by one, so "a refusal changes nothing" is still checked per request.
 */
async function runCases(
  route: RegisteredRoute,
  cases: HostileCase[],
  options: { concurrency: number; caller: Caller },
): Promise<{ violations: string[]; outcomes: string[] }> {
  const { concurrency, caller } = options;
  const violations: string[] = [];
  const outcomes: string[] = [];
  for (let index = 0; index < cases.length; index += concurrency) {
    const batch = cases.slice(index, index + concurrency);
    const before = await readDBState();
    const results = await Promise.all(
      batch.map(async (item) => {
        let response = await item.request();
        let renewed = false;
        if (response.status === 429 && caller.renew) {
          // Per-IP limits cannot trigger (each request has its own IP); this is a per-account one.
          await response.body?.cancel();
          await caller.renew();
          renewed = true;
          response = await item.request();
        }
        return { item, status: response.status, renewed, ...(await inspectAnswer(route, item.label, response)) };
      }),
    );
    const changes = describeChange(before, await readDBState());
    for (const result of results) {
      violations.push(...result.violations);
      outcomes.push(result.body ? `${result.status} ${result.body.error.code}` : String(result.status));
    }
    const refusals = results.filter((result) => result.status >= 400);
    // A new account's own rows are not the request's doing: check its refusals one by one.
    const renewed = results.some((result) => result.renewed);
    if (refusals.length === 0 || (changes.length === 0 && !renewed)) continue;
    if (refusals.length === results.length && batch.length === 1 && !renewed) {
      violations.push(`${batch[0]!.label}: refused with ${refusals[0]!.status} but changed ${changes.join(", ")}`);
      continue;
    }
    for (const { item } of refusals) {
      const again = await probe(route, item.label, item.request);
      violations.push(...again.violations.filter((violation) => violation.includes("but changed")));
    }
  }
  return { violations, outcomes };
}

/**
 * Refusals that come before the route's own logic: if every answer is one, the corpus proved
 * little. FORBIDDEN is the role gate's answer; a signed-in caller holds the route's minimum role,
 * so it proves nothing either way and does not count as the route answering.
 */
const GATE_CODES = new Set([
  "VALIDATION_ERROR",
  "BAD_REQUEST",
  "UNSUPPORTED_MEDIA_TYPE",
  "PAYLOAD_TOO_LARGE",
  "RATE_LIMITED",
  "UNAUTHENTICATED",
  "FORBIDDEN",
]);

function reachedTheRoute(outcomes: string[]): boolean {
  return outcomes.some((outcome) => !GATE_CODES.has(outcome.split(" ")[1] ?? ""));
}

/**
 * True when validation must refuse every case of the corpus: the route's only input is a JSON body
 * whose fields are all required and reject every hostile value (POST /auth/mfa/totp/confirm takes
 * one field, six digits), so no hostile value fits a field and no hostile whole body (an array, a
 * number, an object of other keys) carries a required field. There the corpus can only prove the
 * refusals are clean; the final valid request shows the route's own logic is reachable.
 */
function refusesEveryHostileValue(route: RegisteredRoute): boolean {
  if (route.bodyFields === null || route.pathParams.length > 0 || Object.keys(route.queryFields).length > 0)
    return false;
  const values = HOSTILE_VALUES.map((hostile) =>
    hostile.rawJSON === undefined ? hostile.value : JSON.parse(hostile.rawJSON),
  );
  const fields = Object.entries(route.bodyFields);
  const wholeBodyKeys = new Set(values.filter(isPlainObject).flatMap((value) => Object.keys(value)));
  return (
    fields.length > 0 &&
    fields.every(
      ([field, schema]) =>
        !wholeBodyKeys.has(field) &&
        !schema.safeParse(undefined).success &&
        values.every((value) => !schema.safeParse(value).success),
    )
  );
}

// ---------------------------------------------------------------------------------------------
// Tests

describe("hostile input", () => {
  /** One signed-in client per role, for the tests that send one request per route and refuse it. */
  let clients: Record<Role, TestClient>;

  beforeAll(async () => {
    const [organization, sysAdmin] = await Promise.all([createOrganization(), createSysAdmin()]);
    clients = {
      readonly: organization.members.readonly.client,
      member: organization.members.member.client,
      org_admin: organization.admin.client,
      sys_admin: sysAdmin.client,
    };
  });

  /** A client holding exactly the route's minimum role (anonymous for public routes): past the gate. */
  function clientFor(route: RegisteredRoute): TestClient {
    return isRoleAccess(route.access) ? clients[route.access as Role] : createClient();
  }

  it("reads a non-empty route list from the registry", () => {
    expect(ROUTES.length).toBeGreaterThan(10);
    expect(JSON_ROUTES.length).toBeGreaterThan(5);
    expect(PASSWORD_FIELDS.length).toBeGreaterThanOrEqual(5);
  });

  it("SEC-47: malformed JSON is 400 BAD_REQUEST on every JSON route, and nothing changes", async () => {
    const malformed = [
      `{"email":`,
      `{'email': 'ada@example.com'}`,
      `{"a":1,}`,
      "NaN",
      "undefined",
      "\u0000",
      "",
      `{"email":"\ud800`,
    ];
    const violations: string[] = [];
    for (const route of JSON_ROUTES) {
      for (const text of malformed) {
        const label = `${routeLabel(route)} body ${JSON.stringify(text)}`;
        const {
          violations: found,
          response,
          body,
        } = await probe(route, label, () =>
          sendFromFreshIP(clientFor(route), route.method, validPathFor(route), { body: text }),
        );
        violations.push(...found);
        if (response.status !== 400 || body?.error.code !== "BAD_REQUEST") {
          violations.push(`${label}: ${response.status} ${body?.error.code}, expected 400 BAD_REQUEST`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("SEC-45, SEC-47: a non-JSON body is 415 UNSUPPORTED_MEDIA_TYPE on every JSON route, and nothing changes", async () => {
    const contentTypes: (string | null)[] = [
      "text/plain",
      "text/plain;charset=UTF-8",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=xyz",
      "text/json",
      "application/jsonx",
      "application/xml",
      null,
    ];
    const violations: string[] = [];
    for (const route of JSON_ROUTES) {
      for (const contentType of contentTypes) {
        const label = `${routeLabel(route)} as ${contentType ?? "no Content-Type"}`;
        const body = JSON.stringify(validBodyFor(route));
        const {
          violations: found,
          response,
          body: error,
        } = await probe(route, label, () =>
          sendFromFreshIP(clientFor(route), route.method, validPathFor(route), { body, contentType }),
        );
        violations.push(...found);
        if (response.status !== 415 || error?.error.code !== "UNSUPPORTED_MEDIA_TYPE") {
          violations.push(`${label}: ${response.status} ${error?.error.code}, expected 415 UNSUPPORTED_MEDIA_TYPE`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("SEC-37, SEC-47: unknown fields are 422 VALIDATION_ERROR naming each one, on every JSON route, and nothing changes", async () => {
    const massAssignment = `"organization_id":"00000000-0000-0000-0000-000000000000","role":"sys_admin","email_verified":true,"id":"x","is_admin":true,"__proto__":{"role":"sys_admin"},"constructor":{"prototype":{}}`;
    const injected = ["organization_id", "role", "email_verified", "id", "is_admin", "__proto__", "constructor"];
    const violations: string[] = [];
    for (const route of JSON_ROUTES) {
      // A field the route declares is no mass assignment there (organization_id of POST
      // /organizations/switch): its value is checked by its schema, not refused as unknown.
      const expected = injected.filter((field) => !Object.hasOwn(route.bodyFields!, field));
      const valid = JSON.stringify(validBodyFor(route));
      const body = valid === "{}" ? `{${massAssignment}}` : `${valid.slice(0, -1)},${massAssignment}}`;
      const label = `${routeLabel(route)} with mass-assignment fields`;
      const {
        violations: found,
        response,
        body: error,
      } = await probe(route, label, () =>
        sendFromFreshIP(clientFor(route), route.method, validPathFor(route), { body }),
      );
      violations.push(...found);
      const fields = ((error?.error.details?.fields ?? []) as { field: string }[]).map((item) => item.field);
      if (response.status !== 422 || error?.error.code !== "VALIDATION_ERROR") {
        violations.push(`${label}: ${response.status} ${error?.error.code}, expected 422 VALIDATION_ERROR`);
      } else if (!expected.every((field) => fields.includes(field))) {
        violations.push(`${label}: details.fields lists ${fields.join(", ")}; expected all of ${expected.join(", ")}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("SEC-47: a body over 64 KiB (over its own limit for the Stripe webhook) is 413 PAYLOAD_TOO_LARGE on every POST, PUT, PATCH and DELETE route, declared body or not, before any access check", async () => {
    const violations: string[] = [];
    for (const route of UNSAFE_ROUTES) {
      const limit = BODY_LIMIT_OVERRIDES[fillPath(route.path, {})] ?? BODY_LIMIT_BYTES;
      const oversized = JSON.stringify({ padding: "x".repeat(limit) });
      const label = `${routeLabel(route)} with ${oversized.length} bytes (anonymous)`;
      const {
        violations: found,
        response,
        body,
      } = await probe(route, label, () =>
        sendFromFreshIP(createClient(), route.method, validPathFor(route), { body: oversized }),
      );
      violations.push(...found);
      if (response.status !== 413 || body?.error.code !== "PAYLOAD_TOO_LARGE") {
        violations.push(`${label}: ${response.status} ${body?.error.code}, expected 413 PAYLOAD_TOO_LARGE`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("SEC-4: a 1 MB password is a 413 before any hashing on every route that takes a password, never a 500, and nothing changes", async () => {
    const megabyte = "p".repeat(1024 * 1024);
    for (const { route, field } of PASSWORD_FIELDS) {
      const body = JSON.stringify({ ...validBodyFor(route), [field]: megabyte });
      const before = await readDBState();
      const hashingBefore = getPasswordHashingStats().operations;
      const response = await sendFromFreshIP(clientFor(route), route.method, validPathFor(route), { body });
      const argon2Runs = getPasswordHashingStats().operations - hashingBefore;
      expect.soft({ route: routeLabel(route), field, status: response.status, body: await response.json() }).toEqual({
        route: routeLabel(route),
        field,
        status: 413,
        body: { error: { code: "PAYLOAD_TOO_LARGE", message: expect.any(String) } },
      });
      // "Fast" means refused before any Argon2 work, which a counter proves without a clock.
      expect.soft(argon2Runs, `${routeLabel(route)} ran Argon2 ${argon2Runs} times`).toBe(0);
      expect.soft(await readDBState()).toEqual(before);
    }
  });

  it("SEC-4: a 1 MB password streamed without Content-Length is still 413", async () => {
    const { route, field } = PASSWORD_FIELDS[0]!;
    const bytes = new TextEncoder().encode(
      JSON.stringify({ ...validBodyFor(route), [field]: "p".repeat(1024 * 1024) }),
    );
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < bytes.length; offset += 16 * 1024)
          controller.enqueue(bytes.slice(offset, offset + 16 * 1024));
        controller.close();
      },
    });
    const before = await readDBState();
    const response = await sendFromFreshIP(clientFor(route), route.method, validPathFor(route), { body: stream });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: { code: "PAYLOAD_TOO_LARGE", message: expect.any(String) } });
    expect(await readDBState()).toEqual(before);
  });

  it("SEC-2, SEC-4: a 10 KB password is 422 naming the field on every route that takes a password, and nothing changes", async () => {
    const violations: string[] = [];
    for (const { route, field } of PASSWORD_FIELDS) {
      const body = JSON.stringify({ ...validBodyFor(route), [field]: "p".repeat(TEN_KB) });
      const label = `${routeLabel(route)} ${field} of 10 KB`;
      const {
        violations: found,
        response,
        body: error,
      } = await probe(route, label, () =>
        sendFromFreshIP(clientFor(route), route.method, validPathFor(route), { body }),
      );
      violations.push(...found);
      const fields = ((error?.error.details?.fields ?? []) as { field: string }[]).map((item) => item.field);
      if (response.status !== 422 || !fields.includes(field)) {
        violations.push(
          `${label}: ${response.status} ${error?.error.code} fields=${fields.join(",")}, expected 422 naming ${field}`,
        );
      }
    }
    expect(violations).toEqual([]);
  });

  it("SEC-20: malformed, oversized or forged session cookies are 401 UNAUTHENTICATED on every session route, never a 500", async () => {
    const cookies: Record<string, string> = {
      "empty value": "session_id=",
      "10 KB value": `session_id=${"a".repeat(TEN_KB)}`,
      "bad percent-encoding": "session_id=%E0%A4%A",
      "percent-encoded NUL": "session_id=%00",
      "forged well-formed token": `session_id=${"A".repeat(43)}`,
      "SQL in the value": "session_id=' OR '1'='1",
      "no value at all": "session_id",
      "separators only": ";;;==;",
      "two forged session_id cookies": `session_id=${"B".repeat(43)}; session_id=${"C".repeat(43)}`,
    };
    const violations: string[] = [];
    for (const route of ROLE_ROUTES) {
      for (const [name, cookie] of Object.entries(cookies)) {
        const label = `${routeLabel(route)} with cookie: ${name}`;
        const body = route.bodyFields ? JSON.stringify(validBodyFor(route)) : undefined;
        const {
          violations: found,
          response,
          body: error,
        } = await probe(route, label, () =>
          sendFromFreshIP(createClient(), route.method, validPathFor(route), { body, headers: { cookie } }),
        );
        violations.push(...found);
        if (response.status !== 401 || error?.error.code !== "UNAUTHENTICATED") {
          violations.push(`${label}: ${response.status} ${error?.error.code}, expected 401 UNAUTHENTICATED`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("unknown routes are 404 NOT_FOUND with the error body, for every method", async () => {
    const paths = [
      "/nope",
      "/auth/nope",
      "/users/me/extra",
      "/auth/sessions/x/y",
      "/ping/",
      "/%00",
      "/..%2f..%2fetc%2fpasswd",
      `/${"a".repeat(TEN_KB)}`,
    ];
    for (const path of paths) {
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) {
        const response = await sendFromFreshIP(createClient(), method, path);
        expect.soft({ method, path: path.slice(0, 40), status: response.status, body: await response.json() }).toEqual({
          method,
          path: path.slice(0, 40),
          status: 404,
          body: { error: { code: "NOT_FOUND", message: expect.any(String) } },
        });
      }
    }
  });

  it("SEC-46: a wrong method is 405 METHOD_NOT_ALLOWED with an Allow header listing the right ones", async () => {
    // What a request path may be sent with is every route whose pattern matches it, parameters
    // as wildcards: /invitations/accept is also DELETE /invitations/{id} with id "accept".
    const patterns = ROUTES.map((route) => ({ route, pattern: routePattern(route.path) }));
    const matching = (path: string) => patterns.filter(({ pattern }) => pattern.test(path)).map(({ route }) => route);
    let checked = 0;
    let viaParameter = 0;
    for (const concrete of new Set(ROUTES.map((route) => validPathFor(route)))) {
      const routes = matching(concrete);
      const allowed = new Set(routes.map((route) => route.method));
      if (allowed.has("GET")) allowed.add("HEAD");
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) {
        const before = await readDBState();
        if (allowed.has(method)) {
          // Served only because a parameter matched: that route's own answer, never a 405. A
          // caller of its minimum role gets past the gate, so the service decides (404 NOT_FOUND
          // for DELETE /invitations/accept: no invitation has the id "accept").
          const route = routes.find((candidate) => candidate.method === method)!;
          if (validPathFor(route) === concrete) continue;
          const { violations, response, body } = await probe(
            route,
            `${method} ${concrete} as ${routeLabel(route)}`,
            () => sendFromFreshIP(clientFor(route), method, concrete),
          );
          expect.soft(violations).toEqual([]);
          expect
            .soft({ method, concrete, code: body?.error.code })
            .not.toEqual({ method, concrete, code: "METHOD_NOT_ALLOWED" });
          expect
            .soft([401, 403, 405], `${method} ${concrete} answered ${response.status}`)
            .not.toContain(response.status);
          viaParameter++;
          continue;
        }
        const response = await sendFromFreshIP(createClient(), method, concrete);
        const allow = new Set((response.headers.get("allow") ?? "").split(",").map((item) => item.trim()));
        expect.soft({ method, concrete, status: response.status, allow, body: await response.json() }).toEqual({
          method,
          concrete,
          status: 405,
          allow,
          body: { error: { code: "METHOD_NOT_ALLOWED", message: expect.any(String) } },
        });
        expect.soft([...allow].sort(), `Allow of ${method} ${concrete}`).toEqual([...allowed].sort());
        expect.soft(await readDBState()).toEqual(before);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(viaParameter, "DELETE /invitations/accept is DELETE /invitations/{id}").toBeGreaterThanOrEqual(1);
  });

  describe("the corpus of hostile values (SQL metacharacters, NUL, 10 KB strings, unicode edge cases, wrong JSON types)", () => {
    for (const route of ROUTES) {
      it(
        `${routeLabel(route)} answers every hostile value without a 500, with a documented status and the error body, and a refusal changes nothing (anonymous)`,
        async () => {
          const caller: Caller = { client: createClient() };
          const { violations, outcomes } = await runCases(route, hostileCases(route, caller, "anonymous"), {
            concurrency: 4,
            caller,
          });
          expect(violations).toEqual([]);
          // A signed route (the Stripe webhook) refuses an unsigned body with its own 400.
          if (route.access.endsWith("-signature")) expect(new Set(outcomes)).toEqual(new Set(["400 BAD_REQUEST"]));
          else if (route.access !== "public") expect(new Set(outcomes)).toEqual(new Set(["401 UNAUTHENTICATED"]));
          else
            expect(
              reachedTheRoute(outcomes),
              `every answer was a gate refusal: ${[...new Set(outcomes)].join(", ")}`,
            ).toBe(true);
        },
        CORPUS_TIMEOUT_MS,
      );
      if (isRoleAccess(route.access)) {
        it(
          `${routeLabel(route)} answers every hostile value without a 500, with a documented status and the error body, and a refusal changes nothing (signed in as ${route.access})`,
          async () => {
            // A route that documents 402 meters a quota (POST /notes: max_notes, 10 a month on the
            // default plan). Its caller's organization is on an unlimited plan, so every hostile
            // value meets validation and the write rather than the quota (the quota itself is
            // tested in test/features/plans); no answer may then be 402.
            const metered = route.documentedStatuses.has(402);
            const caller = await signedInCaller(route.access as Role, { unlimited: metered });
            const params = await realParams(route, caller);
            caller.bodyOverrides = await BODY_FIXTURES[routeLabel(route)]?.(caller);
            await caller.demote();
            try {
              // One at a time: a successful password change must reach the next request's body.
              const cases = hostileCases(route, caller, `signed in as ${route.access}`, params);
              const { violations, outcomes } = await runCases(route, cases, { concurrency: 1, caller });
              expect(violations).toEqual([]);
              // A route whose only input is a numeric query (GET /admin/stats?days) refuses every
              // hostile text with 422; the valid request below shows the gate lets the role through.
              const isQueryOnly = route.bodyFields === null && route.pathParams.length === 0;
              const allValidationRefusals = outcomes.every((outcome) => outcome === "422 VALIDATION_ERROR");
              expect(
                reachedTheRoute(outcomes) ||
                  ((isQueryOnly || refusesEveryHostileValue(route)) && allValidationRefusals),
                `every answer was a gate refusal: ${[...new Set(outcomes)].join(", ")}`,
              ).toBe(true);
              if (metered) expect(outcomes.filter((outcome) => outcome.startsWith("402 "))).toEqual([]);
              // Last (it may sign out or delete the fixture): the valid request succeeds for the
              // minimum role, so the refusals above were the hostile values' doing. A case that
              // succeeded may have signed the caller out (POST /auth/logout): then a fresh one sends it.
              if ((await caller.client.get("/users/me")).status === 401) await caller.renew();
              // A single-use fixture (a WebAuthn registration) may have been spent by a case above.
              caller.bodyOverrides = await BODY_FIXTURES[routeLabel(route)]?.(caller);
              const validParams = REMADE_ID_FIXTURES.has(route.path) ? await realParams(route, caller) : params;
              const body = route.bodyFields
                ? JSON.stringify(validBodyForCaller(route, caller, validParams))
                : undefined;
              const valid = await probe(route, `${routeLabel(route)} valid request`, () =>
                sendFromFreshIP(caller.client, route.method, fillPath(route.path, validParams), { body }),
              );
              expect(valid.violations).toEqual([]);
              expect(
                valid.response.status,
                `${routeLabel(route)} valid request: ${valid.body?.error.code}`,
              ).toBeLessThan(300);
            } finally {
              // POST /admin/plans/{id}/default moves the default to the throwaway plan: the seeded
              // plan_free is the default again for the rest of the file (a no-op for other routes).
              await restoreSeededDefaultPlan();
            }
          },
          CORPUS_TIMEOUT_MS,
        );
      }
    }
  });
});
