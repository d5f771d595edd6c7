import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { createClient } from "../../helpers/client";
import { signedInAccount } from "../../helpers/accounts";
import { auditActions, countRows } from "../../helpers/factories";
import { hashToken } from "../../../src/lib/crypto";

async function loginAgain(email: string, password: string) {
  const client = createClient();
  expect((await client.post("/auth/login", { email, password })).status).toBe(200);
  return client;
}

describe("sessions", () => {
  it("SEC-18 logout deletes the session row and clears the cookie; the old token is 401 at once", async () => {
    const { client } = await signedInAccount();
    const token = client.cookies.get("session_id")!;
    const response = await client.post("/auth/logout");
    expect(response.status).toBe(204);
    expect(response.headers.get("set-cookie")).toMatch(/^session_id=;.*Max-Age=0/);
    expect(await countRows("session", "token_hash = ?", await hashToken(token))).toBe(0);

    const replay = createClient();
    replay.cookies.set("session_id", token);
    expect((await replay.get("/users/me")).status).toBe(401);
  });

  it("SEC-19 enforces expiry when the session is validated, whatever the cron job has pruned", async () => {
    const { client } = await signedInAccount();
    const tokenHash = await hashToken(client.cookies.get("session_id")!);
    await env.DB.prepare("UPDATE session SET expires_at = ? WHERE token_hash = ?")
      .bind(Date.now() - 1, tokenHash)
      .run();
    expect(await countRows("session", "token_hash = ?", tokenHash)).toBe(1);
    const response = await client.get("/users/me");
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
  });

  it("SEC-21 sends Cache-Control: no-store on responses that depend on a session", async () => {
    const { client } = await signedInAccount();
    expect((await client.get("/users/me")).headers.get("cache-control")).toBe("no-store");
    expect((await client.get("/auth/sessions")).headers.get("cache-control")).toBe("no-store");
  });

  it("SEC-24 SEC-25 a suspension applies on the very next request", async () => {
    const { client, email } = await signedInAccount();
    expect((await client.get("/users/me")).status).toBe(200);
    await env.DB.prepare(`UPDATE "user" SET suspended_at = ? WHERE email = ?`).bind(Date.now(), email).run();
    expect((await client.get("/users/me")).status).toBe(401);
  });

  it("lists the caller's active sessions with the current one marked", async () => {
    const { client, email, password } = await signedInAccount();
    await loginAgain(email, password);
    const response = await client.get("/auth/sessions", { headers: { "user-agent": "ignored-here" } });
    expect(response.status).toBe(200);
    const { sessions } = (await response.json()) as {
      sessions: { id: string; current: boolean; expires_at: string }[];
    };
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((session) => session.current)).toHaveLength(1);
    expect(Date.parse(sessions[0]!.expires_at)).toBeGreaterThan(Date.now());
  });

  it("revokes one of the caller's own sessions, and answers 404 for anyone else's", async () => {
    const owner = await signedInAccount();
    const other = await loginAgain(owner.email, owner.password);
    const { sessions } = (await (await owner.client.get("/auth/sessions")).json()) as {
      sessions: { id: string; current: boolean }[];
    };
    const otherSession = sessions.find((session) => !session.current)!;

    const stranger = await signedInAccount();
    const foreign = await stranger.client.delete(`/auth/sessions/${otherSession.id}`);
    expect(foreign.status).toBe(404);
    expect((await other.get("/users/me")).status).toBe(200);

    expect((await owner.client.delete(`/auth/sessions/${otherSession.id}`)).status).toBe(204);
    expect((await other.get("/users/me")).status).toBe(401);
    expect((await owner.client.get("/users/me")).status).toBe(200);
  });

  it("SEC-49 records a revocation once, in the batch that deletes the session, and nothing for a refused one", async () => {
    const owner = await signedInAccount();
    await loginAgain(owner.email, owner.password);
    const { sessions } = (await (await owner.client.get("/auth/sessions")).json()) as {
      sessions: { id: string; current: boolean }[];
    };
    const otherSession = sessions.find((session) => !session.current)!;
    const revocations = () => countRows("audit_log", "action = 'session_revoked' AND target = ?", otherSession.id);

    const stranger = await signedInAccount();
    expect((await stranger.client.delete(`/auth/sessions/${otherSession.id}`)).status).toBe(404);
    expect(await revocations()).toBe(0);

    expect((await owner.client.delete(`/auth/sessions/${otherSession.id}`)).status).toBe(204);
    expect((await owner.client.delete(`/auth/sessions/${otherSession.id}`)).status).toBe(404);
    expect(await revocations()).toBe(1);
  });

  it("clears the cookie when the caller revokes its current session", async () => {
    const { client } = await signedInAccount();
    const { sessions } = (await (await client.get("/auth/sessions")).json()) as { sessions: { id: string }[] };
    const response = await client.delete(`/auth/sessions/${sessions[0]!.id}`);
    expect(response.status).toBe(204);
    expect(response.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    expect((await client.get("/users/me")).status).toBe(401);
  });

  it("SEC-49 records login, logout and revocation in the audit log", async () => {
    const { client, email } = await signedInAccount();
    await client.post("/auth/logout");
    const user = await env.DB.prepare(`SELECT id FROM "user" WHERE email = ?`).bind(email).first<{ id: string }>();
    expect(await auditActions(user!.id)).toEqual(["signup", "email_verified", "login_succeeded", "logout"]);
  });
});
