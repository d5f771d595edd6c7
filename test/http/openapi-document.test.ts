// /openapi.json is complete: every route of the table is in it with its access rule, every error
// it declares uses the shared Error schema, rate-limited routes document 429, the streamed copilot
// routes document text/plain, and each description states the access rule.
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { listRoutes } from "../../src/platform/openapi/route-table";
import { ACCESS_EXTENSION } from "../../src/platform/openapi/define-route";
import { ERRORS } from "../../src/errors";
import { createClient } from "../helpers/client";
import { routeLabel } from "../helpers/route-registry";

interface Operation {
  description?: string;
  responses: Record<string, { description: string; content?: Record<string, { schema?: { $ref?: string } }> }>;
  [key: string]: unknown;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { properties?: Record<string, { properties?: Record<string, { enum?: string[] }> }> }>;
  };
}

const TABLE = listRoutes(app);
const ERROR_REF = "#/components/schemas/Error";
/** The responses streamed as text, not JSON (SEC-52 copilot): pinned so a new one is reviewed. */
const STREAMED = ["POST /notes/{id}/copilot/improve", "POST /notes/{id}/copilot/summarize"];

/** The names of middleware/rate-limit.ts's two middlewares, as app.routes lists them. */
const RATE_LIMIT_MIDDLEWARE = new Set(["rateLimit", "rateLimitOverlapped"]);

/**
 * Routes that run a rate-limit middleware (defineRoute's `rateLimit`), read from the handlers the
 * app serves (a route's own middleware is registered under its method and path), not from the
 * document under test.
 */
const RATE_LIMITED = [
  ...new Set(
    app.routes
      .filter((route) => route.method !== "ALL" && RATE_LIMIT_MIDDLEWARE.has(route.handler.name))
      .map((route) => routeLabel({ method: route.method, path: route.path.replace(/:([^/]+)/g, "{$1}") })),
  ),
];

/** A readiness probe answers 503 with its own body ({status, db}), as load balancers expect. */
const NON_ERROR_BODIES = new Set(["GET /health 503"]);

let document: Document;

function operationOf(route: { method: string; path: string }): Operation | undefined {
  return document.paths[route.path]?.[route.method.toLowerCase()];
}

beforeAll(async () => {
  const response = await createClient().get("/openapi.json");
  expect(response.status).toBe(200);
  document = (await response.json()) as Document;
});

describe("/openapi.json completeness", () => {
  it("documents every route of the table with the same x-min-role", () => {
    expect(TABLE.length).toBeGreaterThan(50);
    const problems = TABLE.flatMap((route) => {
      const operation = operationOf(route);
      if (!operation) return [`${routeLabel(route)}: missing`];
      if (operation[ACCESS_EXTENSION] !== route.access) {
        return [`${routeLabel(route)}: x-min-role ${String(operation[ACCESS_EXTENSION])}, table says ${route.access}`];
      }
      return [];
    });
    expect(problems).toEqual([]);
  });

  it("states the access rule in each operation's description", () => {
    const problems = TABLE.filter(
      (route) => !operationOf(route)?.description?.includes(`Access: ${route.access}.`),
    ).map(routeLabel);
    expect(problems).toEqual([]);
  });

  it("has the shared Error schema, {error:{code,message,details?}}", () => {
    const error = document.components.schemas.Error;
    expect(error?.properties).toHaveProperty("error");
  });

  it("documents every 4xx (and 5xx) an operation declares with the shared Error schema, as JSON", () => {
    const problems = TABLE.flatMap((route) =>
      Object.entries(operationOf(route)?.responses ?? {})
        .filter(([status]) => Number(status) >= 400 && !NON_ERROR_BODIES.has(`${routeLabel(route)} ${status}`))
        .filter(([, response]) => response.content?.["application/json"]?.schema?.$ref !== ERROR_REF)
        .map(([status]) => `${routeLabel(route)} ${status}`),
    );
    expect(problems).toEqual([]);
  });

  it("names each error response's codes with the status the error table (src/errors.ts) gives them", () => {
    expect(document.components.schemas.Error?.properties?.error?.properties?.code?.enum).toEqual(Object.keys(ERRORS));
    const problems = TABLE.flatMap((route) =>
      Object.entries(operationOf(route)?.responses ?? {})
        .filter(([status]) => Number(status) >= 400 && !NON_ERROR_BODIES.has(`${routeLabel(route)} ${status}`))
        .flatMap(([status, response]) => {
          const codes = [...response.description.matchAll(/(?:^|; )([A-Z][A-Z_]+): /g)].map((match) => match[1]!);
          if (codes.length === 0) return [`${routeLabel(route)} ${status}: names no code`];
          return codes
            .filter((code) => ERRORS[code as keyof typeof ERRORS]?.status !== Number(status))
            .map((code) => `${routeLabel(route)} ${status}: ${code}`);
        }),
    );
    expect(problems).toEqual([]);
  });

  it("documents 401 and 403 on every role-gated route, and 422 on every route that validates input", () => {
    const problems = TABLE.flatMap((route) => {
      const operation = operationOf(route)!;
      const statuses = Object.keys(operation.responses);
      const missing: string[] = [];
      if (!["public", "cron-secret"].includes(route.access) && !route.access.endsWith("-signature")) {
        for (const status of ["401", "403"])
          if (!statuses.includes(status)) missing.push(`${routeLabel(route)} ${status}`);
      }
      const takesInput =
        route.path.includes("{") || operation.parameters !== undefined || operation.requestBody !== undefined;
      if (takesInput && !statuses.includes("422")) missing.push(`${routeLabel(route)} 422`);
      return missing;
    });
    expect(problems).toEqual([]);
  });

  it("SEC-45: documents 403 (the Origin check) on every unsafe route but the server-to-server ones", () => {
    const unsafe = TABLE.filter((route) => !["GET", "HEAD"].includes(route.method));
    const checked = unsafe.filter((route) => route.access !== "cron-secret" && !route.access.endsWith("-signature"));
    expect(checked.length).toBeGreaterThan(10);
    const missing = checked.filter((route) => !Object.keys(operationOf(route)!.responses).includes("403"));
    expect(missing.map(routeLabel)).toEqual([]);
  });

  it("documents 429 RATE_LIMITED with the Error schema on every rate-limited route", () => {
    expect(RATE_LIMITED.length).toBeGreaterThan(5);
    expect(RATE_LIMITED).toContain("POST /auth/login");
    const problems = RATE_LIMITED.filter((label) => {
      const [method, path] = label.split(" ") as [string, string];
      const response = operationOf({ method, path })?.responses["429"];
      return (
        !response ||
        !/RATE_LIMITED/.test(response.description) ||
        response.content?.["application/json"]?.schema?.$ref !== ERROR_REF
      );
    });
    expect(problems).toEqual([]);
  });

  it("documents the streamed copilot responses as text/plain", () => {
    for (const label of STREAMED) {
      const [method, path] = label.split(" ") as [string, string];
      const ok = operationOf({ method, path })?.responses["200"];
      expect(Object.keys(ok?.content ?? {}), label).toEqual(["text/plain"]);
    }
    // And they are the only text/plain responses: a new streamed route joins STREAMED in review.
    const textual = TABLE.filter((route) =>
      Object.values(operationOf(route)?.responses ?? {}).some((response) => "text/plain" in (response.content ?? {})),
    ).map(routeLabel);
    expect(textual.sort()).toEqual([...STREAMED].sort());
  });

  it("documents the session cookie security scheme on role-gated routes", () => {
    const schemes = (document as unknown as { components: { securitySchemes: Record<string, { in?: string }> } })
      .components.securitySchemes;
    expect(schemes.sessionCookie).toMatchObject({ type: "apiKey", in: "cookie" });
    const roleRoutes = TABLE.filter(
      (route) => !["public", "cron-secret"].includes(route.access) && !route.access.endsWith("-signature"),
    );
    const problems = roleRoutes
      .filter((route) => !JSON.stringify(operationOf(route)?.security ?? []).includes("sessionCookie"))
      .map(routeLabel);
    expect(problems).toEqual([]);
  });
});
