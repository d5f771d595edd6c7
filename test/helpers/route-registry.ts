// The app's own route list, read from its OpenAPI registry, so route-driven tests cover new
// routes without anyone editing a hand-written list.
import type { ZodType } from "zod";
import { app } from "../../src/app";
import { listRoutes } from "../../src/platform/openapi/route-table";
import { API_KEY_SCOPE_EXTENSION } from "../../src/platform/openapi/define-route";
import { ROLES } from "../../src/lib/roles";
import { API_KEY_SCOPES } from "../../src/lib/api-key-scopes";
import { DAY_MS } from "../../src/lib/time";
import { findSettingDefinition, listSettingKeys } from "../../src/features/settings/definitions";
import { GOOD_PASSWORD, uniqueEmail } from "./accounts";
import { samplePlanFeatures, uniqueStripeProductId } from "./plans";

export interface RegisteredRoute {
  method: string;
  /** OpenAPI form, e.g. /auth/sessions/{id}. */
  path: string;
  access: string;
  /** Fields of the JSON body schema, or null when the route takes no body. */
  bodyFields: Record<string, ZodType> | null;
  queryFields: Record<string, ZodType>;
  pathParams: string[];
  /** The statuses /openapi.json documents for this route. */
  documentedStatuses: Set<number>;
  /** The scope an organization API key needs here (x-api-key-scope), or null: no key accepted. */
  apiKeyScope: string | null;
}

function shapeOf(schema: unknown): Record<string, ZodType> | null {
  if (schema && typeof schema === "object" && "shape" in schema) {
    return (schema as { shape: Record<string, ZodType> }).shape;
  }
  return null;
}

export function registeredRoutes(): RegisteredRoute[] {
  const accessByKey = new Map(listRoutes(app).map((entry) => [`${entry.method} ${entry.path}`, entry.access]));
  return app.openAPIRegistry.definitions.flatMap((definition) => {
    if (definition.type !== "route") return [];
    const route = definition.route;
    const method = route.method.toUpperCase();
    const mediaType = route.request?.body?.content?.["application/json"];
    const bodySchema = mediaType && "schema" in mediaType ? mediaType.schema : undefined;
    return [
      {
        method,
        path: route.path,
        access: accessByKey.get(`${method} ${route.path}`)!,
        bodyFields: bodySchema ? (shapeOf(bodySchema) ?? {}) : null,
        queryFields: shapeOf(route.request?.query) ?? {},
        pathParams: [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!),
        documentedStatuses: new Set(Object.keys(route.responses).map(Number)),
        apiKeyScope: ((route as Record<string, unknown>)[API_KEY_SCOPE_EXTENSION] as string | undefined) ?? null,
      },
    ];
  });
}

export function isRoleAccess(access: string): boolean {
  return (ROLES as readonly string[]).includes(access);
}

export function routeLabel(route: { method: string; path: string }): string {
  return `${route.method} ${route.path}`;
}

/**
 * Percent-encodes one path segment or query value. Unlike encodeURIComponent it does not throw on
 * a lone surrogate: it sends the surrogate's WTF-8 bytes, as a hostile client would.
 */
export function encodeHostileComponent(value: string): string {
  let encoded = "";
  for (let index = 0; index < value.length; index++) {
    const unit = value.charCodeAt(index);
    const isHigh = unit >= 0xd800 && unit <= 0xdbff;
    const next = value.charCodeAt(index + 1);
    if (isHigh && next >= 0xdc00 && next <= 0xdfff) {
      encoded += encodeURIComponent(value.slice(index, index + 2));
      index++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      encoded += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join("");
    } else {
      encoded += encodeURIComponent(value[index]!);
    }
  }
  return encoded;
}

/** The route's path with each {param} replaced by its (encoded) value. */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeHostileComponent(values[name] ?? "x"));
}

const SETTINGS_PATH = /^\/settings\/(user|organization|system)\/\{key\}$/;

/** The settings scope of a /settings/{scope}/{key} route, or null for any other route. */
function settingScopeOf(route: { path: string }): "user" | "organization" | "system" | null {
  const match = SETTINGS_PATH.exec(route.path);
  return match ? (match[1] as "user" | "organization" | "system") : null;
}

/**
 * Path parameters the route's own logic accepts without a fixture: {key} of a settings route is
 * the scope's first declared key. {id} has no such value (it names a row); it stays "x" unless
 * `overrides` give a real one, and the service answers 404 NOT_FOUND for it.
 */
export function sampleParams(route: { path: string }, overrides: Record<string, string> = {}): Record<string, string> {
  const params: Record<string, string> = {};
  const scope = settingScopeOf(route);
  if (scope) params.key = listSettingKeys(scope)[0]!;
  return { ...params, ...overrides };
}

/** The route's path filled with sampleParams(route, overrides). */
export function validPathFor(route: { path: string }, overrides: Record<string, string> = {}): string {
  return fillPath(route.path, sampleParams(route, overrides));
}

/** The values of an enum or literal schema (through optional, nullable and default), else []. */
function enumValues(schema: ZodType): unknown[] {
  const def = (schema as unknown as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
  if (!def) return [];
  if (def.type === "enum" && def.entries && typeof def.entries === "object") return Object.values(def.entries);
  if (def.type === "literal" && Array.isArray(def.values)) return def.values;
  if (def.innerType) return enumValues(def.innerType as ZodType);
  return [];
}

/**
 * A value the field's own schema accepts, so a test can make one field hostile and keep the rest
 * valid (the request then gets past validation and reaches the service and D1). Emails are fresh
 * each call so that signups do not collide and logins do not share a back-off bucket. An enum
 * yields its first value (a role field: "readonly", the least an org_admin may grant).
 * The plan body's fields come next, so no other field's value changes: a Stripe product id (fresh
 * each call: it is unique across plans) and a features object built from the declared
 * PlanFeatures (integers >= -1 for quotas, booleans for flags). A webhook endpoint subscribes to
 * member.added and points at a public https URL; an API key gets a list of one scope and a
 * timestamp a day ahead (an expiry).
 */
export function validValueFor(field: string, schema: ZodType): unknown {
  // A webhook endpoint's url: any string passes the schema, the service wants a public https URL.
  if (field === "url") return "https://hooks.example.com/rampart";
  const candidates: unknown[] = [
    ...enumValues(schema),
    // The signed-in account's own password, so a fresh proof (current_password) holds.
    ...(/password/i.test(field) ? [GOOD_PASSWORD] : []),
    "Ada Lovelace",
    uniqueEmail(field.replace(/[^a-z]/gi, "")),
    GOOD_PASSWORD,
    true,
    1,
    uniqueStripeProductId(),
    samplePlanFeatures(),
    "123456", // a TOTP code: six digits
    ["member.added"],
    sampleWebAuthnResponse(),
    // An API key's scopes (a list of one) and a date a day ahead (an expiry).
    [API_KEY_SCOPES[0]],
    new Date(Date.now() + DAY_MS).toISOString(),
  ];
  for (const candidate of candidates) {
    if (schema.safeParse(candidate).success) return candidate;
  }
  throw new Error(`no valid sample value for field "${field}": add a candidate to validValueFor()`);
}

/**
 * The schema a field's value must really satisfy. Only `value` of PUT /settings/{scope}/{key}
 * differs from the body schema (z.unknown() there): the service checks it against the key's
 * declaration, so a valid body uses the declared type of the key in the path.
 */
function effectiveSchema(
  route: { path: string },
  params: Record<string, string>,
  field: string,
  schema: ZodType,
): ZodType {
  const scope = settingScopeOf(route);
  if (scope && field === "value" && params.key !== undefined) {
    const definition = findSettingDefinition(scope, params.key);
    if (definition) return definition.schema as unknown as ZodType;
  }
  return schema;
}

/** A body the route's schema (and, for settings, the key's declaration) accepts. */
export function validBodyFor(route: RegisteredRoute, overrides: Record<string, string> = {}): Record<string, unknown> {
  const params = sampleParams(route, overrides);
  return Object.fromEntries(
    Object.entries(route.bodyFields ?? {}).map(([field, schema]) => [
      field,
      validValueFor(field, effectiveSchema(route, params, field, schema)),
    ]),
  );
}

/**
 * A WebAuthn credential as @simplewebauthn/browser sends it, well formed but signed by nothing:
 * it passes both the registration and the sign-in schema (the passkey routes' `response`), and
 * the service refuses it (there is no challenge it answers).
 */
function sampleWebAuthnResponse(): Record<string, unknown> {
  const id = "c2FtcGxlLWNyZWRlbnRpYWw";
  return {
    id,
    rawId: id,
    type: "public-key",
    response: {
      clientDataJSON: "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0",
      attestationObject: "oA",
      authenticatorData: "AAAA",
      signature: "AAAA",
    },
    clientExtensionResults: {},
  };
}

/** An OpenAPI path as a regular expression in which each {param} matches any one segment. */
export function routePattern(path: string): RegExp {
  const source = path
    .split(/\{[^}]+\}/)
    .map((literal) => literal.replace(/[.*+?^$()|[\]\\]/g, "\\$&"))
    .join("[^/]+");
  return new RegExp(`^${source}$`);
}
