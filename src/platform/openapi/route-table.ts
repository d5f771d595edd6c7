// The route × access table (SEC-33), read back from the OpenAPI registry that defineRoute fills.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Env } from "hono";
import { ACCESS_EXTENSION } from "./define-route";

export interface RouteTableEntry {
  /** Upper case, as on the wire: "GET", "POST", ... */
  method: string;
  /** OpenAPI form: "/auth/sessions/{id}". */
  path: string;
  /** "public", "cron-secret" or the minimum role; "undeclared" if a route skipped defineRoute. */
  access: string;
}

/** Label of a registered route that carries no access rule; tests treat it as a failure. */
export const UNDECLARED_ACCESS = "undeclared";

/** Every documented route with its access rule, in registration order. */
export function listRoutes<E extends Env>(app: OpenAPIHono<E>): RouteTableEntry[] {
  return app.openAPIRegistry.definitions.flatMap((definition) => {
    if (definition.type !== "route") return [];
    const { method, path } = definition.route;
    const access = (definition.route as Record<string, unknown>)[ACCESS_EXTENSION];
    return [
      {
        method: method.toUpperCase(),
        path,
        access: typeof access === "string" ? access : UNDECLARED_ACCESS,
      },
    ];
  });
}
