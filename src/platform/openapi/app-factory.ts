// Every router is an OpenAPIHono that validates with the shared 422 hook.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { StaticPathRouter } from "./static-path-router";
import { validationHook } from "./validation-hook";

export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/** The root app, which every feature's router is mounted on: its routes are matched there alone. */
export function createAppRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook, router: new StaticPathRouter() });
}
