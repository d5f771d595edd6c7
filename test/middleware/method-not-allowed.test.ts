// The app's not-found handler alone (src/middleware/method-not-allowed.ts), in Hono's middleware-test
// style: a tiny app whose handlers count their calls. The whole app's 405s are in
// test/http/methods-and-bodies.test.ts.
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../src/env";
import { answerUnmatched } from "../../src/middleware/method-not-allowed";

function buildApp() {
  const calls = { count: 0 };
  const app = new Hono<AppEnv>();
  app.use(async (_c, next) => {
    await next();
  });
  app.get("/notes/:id", (c) => {
    calls.count++;
    return c.json({ ok: true });
  });
  app.delete("/notes/:id", (c) => {
    calls.count++;
    return c.json({ ok: true });
  });
  app.post("/notes", (c) => {
    calls.count++;
    return c.json({ ok: true });
  });
  app.notFound(answerUnmatched(app));
  return { app, calls };
}

async function errorOf(response: Response) {
  return { status: response.status, code: ((await response.json()) as { error: { code: string } }).error.code };
}

describe("answerUnmatched", () => {
  it("answers 405 with every method the path has, HEAD with GET, and runs no handler", async () => {
    const { app, calls } = buildApp();
    const response = await app.request("/notes/n1", { method: "PATCH" });
    expect(await errorOf(response)).toEqual({ status: 405, code: "METHOD_NOT_ALLOWED" });
    expect(response.headers.get("Allow")).toBe("GET, HEAD, DELETE");
    expect(calls.count).toBe(0);
  });

  it("answers 405 to a method no route uses at all", async () => {
    const { app } = buildApp();
    const response = await app.request("/notes", { method: "PURGE" });
    expect(await errorOf(response)).toEqual({ status: 405, code: "METHOD_NOT_ALLOWED" });
    expect(response.headers.get("Allow")).toBe("POST");
  });

  it("answers 404 to a path with no route, whatever the method", async () => {
    const { app, calls } = buildApp();
    for (const method of ["GET", "POST", "PURGE"]) {
      expect(await errorOf(await app.request("/nothing/here", { method }))).toEqual({ status: 404, code: "NOT_FOUND" });
    }
    expect(calls.count).toBe(0);
  });

  it("leaves a route's own answer alone", async () => {
    const { app, calls } = buildApp();
    expect((await app.request("/notes/n1")).status).toBe(200);
    expect(calls.count).toBe(1);
  });
});
