// Liveness, readiness and the public configuration summary.
import { z } from "@hono/zod-openapi";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { PUBLIC } from "../../middleware/access";
import { serviceContextFrom } from "../../platform/service-context";
import { checkDatabaseHealth } from "./service";

const StatusSchema = z.object({ status: z.literal("ok") }).openapi("Ping");
const HealthSchema = z
  .object({ status: z.enum(["ok", "degraded"]), db: z.enum(["ok", "unavailable"]) })
  .openapi("Health");
const ConfigSchema = z
  .object({
    mode: z.enum(["b2c", "b2b"]),
    environment: z.enum(["dev", "staging", "prod"]),
    google_oauth: z.boolean(),
  })
  .openapi("PublicConfig");

const ping = defineRoute(
  { access: PUBLIC },
  {
    method: "get",
    path: "/ping",
    tags: ["Service"],
    summary: "Liveness check",
    responses: { 200: { description: "Alive", content: { "application/json": { schema: StatusSchema } } } },
  },
);

const health = defineRoute(
  { access: PUBLIC },
  {
    method: "get",
    path: "/health",
    tags: ["Service"],
    summary: "Readiness check: D1 answers",
    responses: {
      200: { description: "Ready", content: { "application/json": { schema: HealthSchema } } },
      503: { description: "D1 is unavailable", content: { "application/json": { schema: HealthSchema } } },
    },
  },
);

const config = defineRoute(
  { access: PUBLIC },
  {
    method: "get",
    path: "/config",
    tags: ["Service"],
    summary: "Public configuration a frontend needs",
    responses: { 200: { description: "Configuration", content: { "application/json": { schema: ConfigSchema } } } },
  },
);

export const systemRoutes = createRouter()
  .openapi(ping, (c) => c.json({ status: "ok" as const }, 200))
  .openapi(health, async (c) => {
    if ((await checkDatabaseHealth(serviceContextFrom(c))) === "ok") {
      return c.json({ status: "ok" as const, db: "ok" as const }, 200);
    }
    return c.json({ status: "degraded" as const, db: "unavailable" as const }, 503);
  })
  .openapi(config, (c) => {
    const { mode, environment, google } = c.get("config");
    // Google sign-in is optional: configured (GOOGLE_CLIENT_ID and _SECRET) or not.
    return c.json({ mode, environment, google_oauth: google !== null }, 200);
  });
