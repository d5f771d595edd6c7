// The app's own route list, read from its OpenAPI registry, so route-driven tests cover new
// routes without anyone editing a hand-written list.
import type { ZodType } from "zod";
import { app } from "../../src/app";
import { listRoutes } from "../../src/openapi/route-table";
import { ROLES } from "../../src/lib/roles";
import { GOOD_PASSWORD, uniqueEmail } from "./accounts";

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
        bodyFields: bodySchema ? shapeOf(bodySchema) ?? {} : null,
        queryFields: shapeOf(route.request?.query) ?? {},
        pathParams: [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!),
        documentedStatuses: new Set(Object.keys(route.responses).map(Number)),
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

/**
 * A value the field's own schema accepts, so a test can make one field hostile and keep the rest
 * valid (the request then gets past validation and reaches the service and D1). Emails are fresh
 * each call so that signups do not collide and logins do not share a back-off bucket.
 */
export function validValueFor(field: string, schema: ZodType): unknown {
  const candidates: unknown[] = ["Ada Lovelace", uniqueEmail(field.replace(/[^a-z]/gi, "")), GOOD_PASSWORD, true, 1];
  for (const candidate of candidates) {
    if (schema.safeParse(candidate).success) return candidate;
  }
  throw new Error(`no valid sample value for field "${field}": add a candidate to validValueFor()`);
}

export function validBodyFor(route: RegisteredRoute): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(route.bodyFields ?? {}).map(([field, schema]) => [field, validValueFor(field, schema)]),
  );
}
