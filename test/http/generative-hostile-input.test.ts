// Generative hostile input, beside the fixed corpus of hostile-input.test.ts: for every route of the
// registry, fast-check generates the body (the valid one with fields replaced, dropped or added;
// any JSON; text that is not JSON), its Content-Type, the query string, request headers and
// cookies, and sends them anonymously or as a caller holding exactly the route's minimum role.
// Whatever it sends: never a 5xx, a refusal carries API.md's JSON error body with a status the
// route documents, and a refusal leaves D1 as it was (readDBState's fingerprint, the fixed corpus's
// measure: accounts, sessions, tokens, roles, suspensions, invitations, notes, settings, plans and
// usage; not the audit log or the dev outbox, which refusals may write).
// The run is bounded (RUNS_PER_ROUTE per route) and seeded: the seed is in the describe title, and
// a failure prints fast-check's seed and path. Replay one with RAMPART_FC_SEED=<seed> npx vitest
// run test/http/generative-hostile-input.test.ts (test/node/fast-check-seed.setup.ts passes it in).
import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import type { Role } from "../../src/lib/roles";
import { createClient, type TestClient } from "../helpers/client";
import { readDBState } from "../helpers/db-state";
import { restoreSeededDefaultPlan } from "../helpers/plans";
import {
  encodeHostileComponent,
  fillPath,
  isRoleAccess,
  registeredRoutes,
  routeLabel,
  type RegisteredRoute,
} from "../helpers/route-registry";
import {
  BODY_FIXTURES,
  type Caller,
  describeChange,
  inspectAnswer,
  realParams,
  sendFromFreshIP,
  signedInCaller,
  validBodyForCaller,
} from "../helpers/route-matrix";

const SEED = inject("fastCheckSeed");
const RUNS_PER_ROUTE = 10;

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Snippets a generator rarely finds on its own: SQL, NUL, lone surrogates, RTL, a JSON-looking text. */
const NASTY_SNIPPETS = ["' OR '1'='1", "\u0000", "\ud800", "\udfff", "\u202e", "%00", "../", "{}", "[]", "__proto__"];

/** Any text, including lone surrogates and the snippets above, at most 200 code units. */
const hostileText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: "grapheme", maxLength: 50 }),
  fc.array(fc.constantFrom(...NASTY_SNIPPETS), { minLength: 1, maxLength: 4 }).map((parts) => parts.join("")),
);

/** JSON values of every type, nested a few levels, with hostile strings in them. */
const hostileJSON: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hostileText },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 1.5, 2 ** 53 + 2, -(2 ** 63), 1e308, true, null, [], {}) },
);

/** Header values must be byte strings without CR, LF or NUL (the Headers constructor refuses them). */
const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  maxLength: 120,
});

/** Headers a client controls that the app or its middleware reads (the cookie is generated apart). */
const HEADER_NAMES = [
  "accept",
  "accept-encoding",
  "accept-language",
  "authorization",
  "content-encoding",
  "content-language",
  "origin",
  "referer",
  "sec-fetch-site",
  "user-agent",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-org-id",
  "x-organization-id",
  "x-request-id",
];
const hostileHeaders = fc.dictionary(fc.constantFrom(...HEADER_NAMES), headerValue, { maxKeys: 4 });

/** A cookie value may not hold ";" (it would start another cookie): the rest is fair game. */
const COOKIE_NAMES = ["session_id", "__Host-session_id", "oauth_state", "oauth_pkce", "rampart_device", "x"];
const hostileCookies = fc
  .array(
    fc.tuple(
      fc.constantFrom(...COOKIE_NAMES),
      headerValue.map((value) => value.replaceAll(";", "")),
    ),
    {
      maxLength: 3,
    },
  )
  .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join("; "));

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
];
const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constant("application/json") },
  { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES, null) },
);

const KEEP = Symbol("keep the valid value");
const DROP = Symbol("drop the field");

/**
 * Bodies for a route: mostly its valid body with each field kept, dropped or replaced and a few
 * undeclared fields added (so generated values reach the service and D1), else any JSON or text.
 */
function bodyArbitrary(route: RegisteredRoute, valid: () => Record<string, unknown>): fc.Arbitrary<string | undefined> {
  if (["GET", "HEAD"].includes(route.method)) return fc.constant(undefined);
  if (route.bodyFields === null) return fc.option(fc.json({ maxDepth: 2 }), { nil: undefined });
  const fieldChoices = Object.fromEntries(
    Object.keys(route.bodyFields).map((field) => [
      field,
      fc.oneof(
        { weight: 3, arbitrary: fc.constant<typeof KEEP>(KEEP) },
        { weight: 1, arbitrary: fc.constant<typeof DROP>(DROP) },
        { weight: 3, arbitrary: hostileJSON },
      ),
    ]),
  );
  const mutated = fc
    .tuple(fc.record(fieldChoices), fc.dictionary(fc.string({ maxLength: 20 }), hostileJSON, { maxKeys: 2 }))
    .map(([choices, extra]) => {
      const body: Record<string, unknown> = { ...extra, ...valid() };
      for (const [field, choice] of Object.entries(choices)) {
        if (choice === DROP) delete body[field];
        else if (choice !== KEEP) body[field] = choice;
      }
      return JSON.stringify(body);
    });
  return fc.oneof(
    { weight: 6, arbitrary: mutated },
    { weight: 1, arbitrary: hostileJSON.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: hostileText },
  );
}

/** The query string: the route's declared fields and a made-up one, each present or not. */
function queryArbitrary(route: RegisteredRoute): fc.Arbitrary<string> {
  const names = [...Object.keys(route.queryFields), "organization_id"];
  return fc.dictionary(fc.constantFrom(...names), hostileText, { maxKeys: names.length }).map((query) =>
    Object.entries(query)
      .map(([name, value]) => `${name}=${encodeHostileComponent(value)}`)
      .join("&"),
  );
}

/**
 * A segment "." or ".." is removed by the client's URL parser before the request is sent
 * (https://url.spec.whatwg.org/#single-dot-path-segment), so `/admin/plans/./default` reaches
 * `/admin/plans/default`: another route, whose 405 is right. No client can put a dot segment into
 * this route's parameter, so the generator does not try. (A generated "%2E" is no dot segment:
 * encodeHostileComponent sends its "%" as %25.)
 */
const hostileSegment = hostileText.filter((text) => text !== "." && text !== "..");

/** Each path parameter: the real value (so the request reaches the route's own logic) or generated text. */
function paramsArbitrary(route: RegisteredRoute, real: Record<string, string>): fc.Arbitrary<Record<string, string>> {
  return fc.record(
    Object.fromEntries(
      route.pathParams.map((name) => [
        name,
        fc.oneof({ weight: 2, arbitrary: fc.constant(real[name] ?? "x") }, { weight: 1, arbitrary: hostileSegment }),
      ]),
    ),
  );
}

interface GeneratedRequest {
  signedIn: boolean;
  params: Record<string, string>;
  query: string;
  body: string | undefined;
  contentType: string | null;
  headers: Record<string, string>;
  cookies: string;
}

// ---------------------------------------------------------------------------------------------
// The property

/** What breaks the guarantees for one generated request, or [] when it holds. */
async function violationsOf(route: RegisteredRoute, client: TestClient, request: GeneratedRequest): Promise<string[]> {
  const query = request.query === "" ? "" : `?${request.query}`;
  const path = `${fillPath(route.path, request.params)}${query}`;
  // A signed-in caller's session cookie first, the generated ones after it (a second session_id too).
  const cookie = [client.cookieHeader(), request.cookies].filter((part) => part !== "").join("; ");
  const headers = cookie === "" ? request.headers : { ...request.headers, cookie };
  const label = `${route.method} ${path.slice(0, 200)}`;
  const before = await readDBState();
  const response = await sendFromFreshIP(client, route.method, path, {
    body: request.body,
    contentType: request.contentType,
    headers,
  });
  const { violations } = await inspectAnswer(route, label, response);
  if (response.status >= 400) {
    const changes = describeChange(before, await readDBState());
    if (changes.length > 0)
      violations.push(`${label}: refused with ${response.status} but changed ${changes.join(", ")}`);
  }
  return violations;
}

/** The caller of a role-gated route: a fresh account of exactly the minimum role, with the rows its {id} and body name. */
async function prepareCaller(route: RegisteredRoute): Promise<{ caller: Caller; params: Record<string, string> }> {
  if (!isRoleAccess(route.access)) return { caller: { client: createClient() }, params: {} };
  const caller = await signedInCaller(route.access as Role, { unlimited: route.documentedStatuses.has(402) });
  const params = await realParams(route, caller);
  caller.bodyOverrides = await BODY_FIXTURES[routeLabel(route)]?.(caller);
  await caller.demote();
  return { caller, params };
}

describe(`generative hostile input (fast-check seed ${SEED}, ${RUNS_PER_ROUTE} runs per route)`, () => {
  const routes = registeredRoutes();

  it("covers every route of the registry", () => {
    expect(routes.length).toBeGreaterThan(10);
  });

  for (const route of routes) {
    it(`${routeLabel(route)}: generated bodies, queries, headers and cookies get no 5xx, the JSON error body on refusal, and a refusal changes nothing`, async () => {
      const { caller, params } = await prepareCaller(route);
      const anonymous = createClient();
      const request = fc.record({
        signedIn: isRoleAccess(route.access) ? fc.boolean() : fc.constant(false),
        params: paramsArbitrary(route, params),
        query: queryArbitrary(route),
        body: bodyArbitrary(route, () => validBodyForCaller(route, caller, params)),
        contentType,
        headers: hostileHeaders,
        cookies: hostileCookies,
      });
      try {
        await fc.assert(
          fc.asyncProperty(request, async (generated) => {
            const violations = await violationsOf(route, generated.signedIn ? caller.client : anonymous, generated);
            expect(violations).toEqual([]);
          }),
          { seed: SEED, numRuns: RUNS_PER_ROUTE },
        );
      } finally {
        // A generated request may make a throwaway plan the default: plan_free is again for the rest.
        await restoreSeededDefaultPlan();
      }
    });
  }
});
