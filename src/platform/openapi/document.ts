// GET /openapi.json: the OpenAPI 3.1 document generated from the routes' own declarations.
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { PUBLIC } from "../../middleware/access";
import { defineRoute } from "./define-route";

const documentRoute = defineRoute(
  { access: PUBLIC },
  {
    method: "get",
    path: "/openapi.json",
    tags: ["Service"],
    summary: "This OpenAPI 3.1 document",
    responses: {
      200: {
        description: "The document",
        content: { "application/json": { schema: z.record(z.string(), z.unknown()).openapi("OpenAPIDocument") } },
      },
    },
  },
);

const DOCUMENT_INFO = {
  openapi: "3.1.0",
  info: {
    title: "Rampart API",
    version: "0.1.0",
    description:
      "A secure SaaS backend on Cloudflare Workers. Every error has one body: {error:{code,message,details?}}. " +
      "Each operation's x-min-role says who may call it: public, cron-secret, or the minimum role; " +
      "operations that also accept an organization API key list the apiKey scheme and name its scope in x-api-key-scope.",
  },
} as const;

/** Registers the security schemes and the route; the document is built once per isolate. */
export function serveOpenAPIDocument(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "sessionCookie", {
    type: "apiKey",
    in: "cookie",
    name: "session_id",
    description: "The HttpOnly session cookie set by POST /auth/login (name configurable: SESSION_COOKIE_NAME).",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "rk_…",
    description:
      "An organization API key (POST /api-keys), on the operations that list this scheme; the key needs the scope in x-api-key-scope.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "cronBearer", {
    type: "http",
    scheme: "bearer",
    description: "CRON_SECRET, for POST /cron/run only.",
  });
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.openapi(documentRoute, (c) => {
    document ??= app.getOpenAPI31Document(DOCUMENT_INFO);
    // The generator's OpenAPIObject type has no index signature; the JSON is the same object.
    return c.json(document as unknown as Record<string, unknown>, 200);
  });
}
