// The access gate alone (src/middleware/access.ts), in Hono's middleware-test style: a tiny app with
// just the gate in front of a handler that counts its calls, the attacker's request, the refusal,
// and a handler that never ran. The whole-app matrix over every route is test/http/tenant-isolation.
import { env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { requireConfig } from "../../src/config";
import { createDB } from "../../src/db/client";
import type { AppEnv, Env } from "../../src/env";
import type { Role } from "../../src/lib/roles";
import { CRON_SECRET, type GatedAccess, minRole, requireAccess } from "../../src/middleware/access";
import { handleError } from "../../src/middleware/error-handler";
import { insertUser } from "../helpers/factories";
import { signIn } from "../helpers/orgs";

const CRON_TOKEN = `Bearer ${env.CRON_SECRET}`;

/** The gate in front of one handler; the context it reads is what requestContext would set. */
function buildApp(access: GatedAccess, bindings: Env = env) {
  const calls = { count: 0 };
  const app = new Hono<AppEnv>();
  app.use(async function stubRequestContext(c, next) {
    c.set("config", requireConfig(c.env));
    c.set("db", createDB(c.env.DB));
    await next();
  });
  app.post("/target", requireAccess(access), (c) => {
    calls.count++;
    return c.json({ role: c.get("session")?.user.role ?? null });
  });
  app.onError(handleError);
  const send = (headers: Record<string, string> = {}): Promise<Response> =>
    Promise.resolve(app.request("/target", { method: "POST", headers }, bindings));
  return { calls, send };
}

/** The Cookie header of a fresh signed-in user of `role`, and the user's id. */
async function sessionOf(role: Role): Promise<{ cookie: string; userId: string }> {
  const user = await insertUser({ role });
  const client = await signIn(user);
  return { cookie: client.cookieHeader(), userId: user.id };
}

async function errorCodeOf(response: Response): Promise<string | undefined> {
  return ((await response.json()) as { error?: { code?: string } }).error?.code;
}

describe("requireAccess(minRole)", () => {
  it("SEC-33: no session cookie is 401 UNAUTHENTICATED, and the handler never runs", async () => {
    const { calls, send } = buildApp(minRole("readonly"));
    const response = await send();
    expect(response.status).toBe(401);
    expect(await errorCodeOf(response)).toBe("UNAUTHENTICATED");
    expect(calls.count).toBe(0);
  });

  it("SEC-20: a forged, empty or malformed session cookie is 401, never a 500, and the handler never runs", async () => {
    const { calls, send } = buildApp(minRole("readonly"));
    const { cookie } = await sessionOf("member");
    const name = cookie.slice(0, cookie.indexOf("="));
    for (const forged of [
      `${name}=${"A".repeat(43)}`,
      `${name}=`,
      `${name}=%E0%A4%A`,
      `${name}=${"a".repeat(10_000)}`,
    ]) {
      const response = await send({ cookie: forged });
      expect({ forged: forged.slice(0, 40), status: response.status }).toEqual({
        forged: forged.slice(0, 40),
        status: 401,
      });
    }
    expect(calls.count).toBe(0);
  });

  it("SEC-33, SEC-34: a role below the minimum is 403 FORBIDDEN, and the handler never runs", async () => {
    const { calls, send } = buildApp(minRole("org_admin"));
    for (const role of ["readonly", "member"] as const) {
      const response = await send({ cookie: (await sessionOf(role)).cookie });
      expect(response.status).toBe(403);
      expect(await errorCodeOf(response)).toBe("FORBIDDEN");
    }
    expect(calls.count).toBe(0);
  });

  it("SEC-33: the minimum role and any higher one pass, with the session in the context", async () => {
    const { calls, send } = buildApp(minRole("member"));
    for (const role of ["member", "org_admin", "sys_admin"] as const) {
      const response = await send({ cookie: (await sessionOf(role)).cookie });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ role });
    }
    expect(calls.count).toBe(3);
  });

  it("SEC-24: a role lowered in D1 applies on the very next request with the same cookie", async () => {
    const { calls, send } = buildApp(minRole("org_admin"));
    const { cookie, userId } = await sessionOf("org_admin");
    expect((await send({ cookie })).status).toBe(200);
    await env.DB.prepare(`UPDATE membership SET role = 'member' WHERE user_id = ?`).bind(userId).run();
    expect((await send({ cookie })).status).toBe(403);
    expect(calls.count).toBe(1);
  });
});

describe("requireAccess(CRON_SECRET)", () => {
  it("SEC-33: a missing, wrong or session-borne credential is 401, and the handler never runs", async () => {
    const { calls, send } = buildApp(CRON_SECRET);
    const { cookie } = await sessionOf("sys_admin");
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `${CRON_TOKEN}x` },
      { authorization: `${env.CRON_SECRET}` },
      { cookie },
    ];
    for (const headers of attempts) {
      const response = await send(headers);
      expect(response.status).toBe(401);
      expect(await errorCodeOf(response)).toBe("UNAUTHENTICATED");
    }
    expect(calls.count).toBe(0);
  });

  it("is 503 MISCONFIGURED when CRON_SECRET is not set, even for the old token, and the handler never runs", async () => {
    const { calls, send } = buildApp(CRON_SECRET, { ...env, CRON_SECRET: "" });
    const response = await send({ authorization: CRON_TOKEN });
    expect(response.status).toBe(503);
    expect(await errorCodeOf(response)).toBe("MISCONFIGURED");
    expect(calls.count).toBe(0);
  });

  it("lets the right bearer token through", async () => {
    const { calls, send } = buildApp(CRON_SECRET);
    expect((await send({ authorization: CRON_TOKEN })).status).toBe(200);
    expect(calls.count).toBe(1);
  });
});
