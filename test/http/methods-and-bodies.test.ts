// Safe and unsupported methods (SEC-46) and closed request bodies (SEC-47) through the whole app.
import { describe, expect, it } from "vitest";
import { createClient } from "../helpers/client";
import { signedInAccount } from "../helpers/accounts";
import { dumpDatabase } from "../helpers/db-state";
import { fillPath, registeredRoutes } from "../helpers/route-registry";

describe("HTTP layer", () => {
  describe("SEC-46: safe methods and unsupported methods", () => {
    const GET_ROUTES = registeredRoutes().filter((route) => route.method === "GET");

    it("GET and HEAD on every GET route change nothing in D1, signed in or not", async () => {
      const reader = await signedInAccount();
      const before = await dumpDatabase();
      for (const route of GET_ROUTES) {
        const query = Object.keys(route.queryFields)
          .map((field) => `${field}=${encodeURIComponent("' OR 1=1 --")}`)
          .join("&");
        const path = `${fillPath(route.path, {})}${query ? `?${query}` : ""}`;
        for (const client of [reader.client, createClient()]) {
          for (const method of ["GET", "HEAD"]) {
            const response = await client.request(method, path);
            expect.soft(response.status, `${method} ${path}`).toBeLessThan(500);
            await response.body?.cancel();
          }
        }
      }
      expect(await dumpDatabase()).toBe(before);
    });

    it("GET on a state-changing route is 405 and does not run it (GET /auth/logout keeps the session)", async () => {
      const target = await signedInAccount();
      const before = await dumpDatabase();
      for (const route of registeredRoutes().filter((candidate) => candidate.method !== "GET")) {
        const path = fillPath(route.path, {});
        if (GET_ROUTES.some((get) => get.path === route.path)) continue;
        const response = await target.client.get(path);
        expect.soft({ path, status: response.status }).toEqual({ path, status: 405 });
      }
      expect(await dumpDatabase()).toBe(before);
      expect((await target.client.get("/users/me")).status).toBe(200);
    });

    it("unusual methods (TRACE, PROPFIND, PURGE) are 405 with an Allow header", async () => {
      for (const method of ["TRACE", "PROPFIND", "PURGE"]) {
        const response = await createClient().request(method, "/ping");
        expect.soft({ method, status: response.status, allow: response.headers.get("allow") }).toEqual({
          method,
          status: 405,
          allow: "GET, HEAD",
        });
      }
    });
  });

  it("SEC-47: every request body in /openapi.json is a closed object: unknown fields are refused by the schema itself", async () => {
    const document = (await (await createClient().get("/openapi.json")).json()) as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>
      >;
      components: { schemas: Record<string, Record<string, unknown>> };
    };
    const resolve = (schema: Record<string, unknown>) =>
      typeof schema.$ref === "string" ? document.components.schemas[schema.$ref.split("/").pop()!]! : schema;
    const bodies = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, operation]) =>
        operation.requestBody
          ? [{ route: `${method.toUpperCase()} ${path}`, content: operation.requestBody.content }]
          : [],
      ),
    );
    expect(bodies.length).toBeGreaterThan(5);
    for (const { route, content } of bodies) {
      expect.soft(Object.keys(content), route).toEqual(["application/json"]);
      const schema = resolve(content["application/json"]!.schema);
      expect.soft({ route, type: schema.type, additionalProperties: schema.additionalProperties }).toEqual({
        route,
        type: "object",
        additionalProperties: false,
      });
    }
  });
});
