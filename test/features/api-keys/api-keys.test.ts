import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../../src/errors";
import { createApiKey } from "../../../src/features/api-keys/service";
import { createDB } from "../../../src/db/client";
import { hashToken } from "../../../src/lib/crypto";
import { recordApiKeyUse } from "../../../src/platform/api-keys/service";
import { createKey, KeyClient } from "../../helpers/api-keys";
import { createClient } from "../../helpers/client";
import { insertUser } from "../../helpers/factories";
import { signIn, type Member } from "../../helpers/orgs";

type Admin = Member & { organizationId: string };
import { testServiceContext } from "../../helpers/service-context";

/** One organization (its org_admin signed in once) shared by the file; each test makes its own keys. */
let admin: Admin;
let other: Admin;

async function newAdmin(): Promise<Admin> {
  const user = await insertUser({ role: "org_admin" });
  return { ...user, role: "org_admin", client: await signIn(user) };
}

async function keyRow(id: string) {
  return env.DB.prepare("SELECT * FROM api_key WHERE id = ?").bind(id).first<Record<string, unknown>>();
}

async function countKeys(organizationId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM api_key WHERE organization_id = ?")
    .bind(organizationId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

beforeAll(async () => {
  [admin, other] = await Promise.all([newAdmin(), newAdmin()]);
});

describe("organization API keys", () => {
  it("SEC-73: a key is rk_ + 32 random bytes, shown once, stored only as its SHA-256, listed by prefix", async () => {
    const created = await createKey(admin.client, { role: "readonly", scopes: ["notes:read"] });
    expect(created.key).toMatch(/^rk_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    const row = await keyRow(created.id);
    expect(row?.key_hash).toBe(await hashToken(created.key));
    expect(JSON.stringify(row)).not.toContain(created.key.slice(3));

    const listed = await (await admin.client.get("/api-keys")).text();
    expect(listed).toContain(created.prefix);
    expect(listed).not.toContain(created.key);
    expect(listed).not.toContain(String(row?.key_hash));
  });

  it("SEC-73: a key acts in its organization only within its scopes (403 SCOPE_MISSING), under its role ceiling", async () => {
    const { key } = await createKey(admin.client, { role: "readonly", scopes: ["notes:read", "notes:write"] });
    const reader = new KeyClient(key);
    expect((await reader.get("/notes")).status).toBe(200);
    // notes:write is held, but the readonly ceiling is below POST /notes' member.
    const write = await reader.post("/notes", { title: "by a readonly key" });
    expect([write.status, await errorCode(write)]).toEqual([403, "FORBIDDEN"]);
    const usage = await reader.get("/plan");
    expect([usage.status, await errorCode(usage)]).toEqual([403, "SCOPE_MISSING"]);
  });

  it("SEC-73: a note written by a key is its creator's, and the audit row names the key", async () => {
    const created = await createKey(admin.client, { role: "member", scopes: ["notes:write"] });
    const response = await new KeyClient(created.key).post("/notes", { title: "by a key" });
    expect(response.status).toBe(201);
    const note = (await response.json()) as { id: string; created_by_user_id: string };
    expect(note.created_by_user_id).toBe(admin.id);
    const audit = await env.DB.prepare(
      "SELECT actor_user_id, details FROM audit_log WHERE target = ? AND action = 'note_created'",
    )
      .bind(note.id)
      .first<{ actor_user_id: string; details: string }>();
    expect(audit?.actor_user_id).toBe(admin.id);
    expect(JSON.parse(audit!.details)).toEqual({ api_key_id: created.id });
  });

  it("SEC-73: a revoked key is refused on its next use; revoking again or from another organization is 404", async () => {
    const { id, key } = await createKey(admin.client);
    const caller = new KeyClient(key);
    expect((await caller.get("/notes")).status).toBe(200);
    expect((await other.client.delete(`/api-keys/${id}`)).status).toBe(404);
    expect((await admin.client.delete(`/api-keys/${id}`)).status).toBe(204);
    const refused = await caller.get("/notes");
    expect([refused.status, await errorCode(refused)]).toEqual([401, "UNAUTHENTICATED"]);
    expect((await admin.client.delete(`/api-keys/${id}`)).status).toBe(404);
    const listed = (await (await admin.client.get("/api-keys")).json()) as { keys: { id: string }[] };
    expect(listed.keys.map((listedKey) => listedKey.id)).not.toContain(id);
  });

  it("SEC-73: an expired, malformed or unknown key is 401, and a key of a suspended organization too", async () => {
    const expiring = await createKey(admin.client);
    await env.DB.prepare("UPDATE api_key SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, expiring.id)
      .run();
    const unknown = `rk_${"A".repeat(43)}`;
    for (const key of [expiring.key, unknown, "rk_short", `${expiring.key}x`, "not-a-key"]) {
      expect((await new KeyClient(key).get("/notes")).status, key).toBe(401);
    }
    const suspendedAdmin = await newAdmin();
    const suspended = await createKey(suspendedAdmin.client);
    await env.DB.prepare("UPDATE organization SET suspended_at = ? WHERE id = ?")
      .bind(Date.now(), suspendedAdmin.organizationId)
      .run();
    expect((await new KeyClient(suspended.key).get("/notes")).status).toBe(401);
  });

  it("SEC-73: an expiry in the past is refused at creation", async () => {
    const response = await admin.client.post("/api-keys", {
      name: "late",
      role: "member",
      scopes: ["notes:read"],
      expires_at: new Date(Date.now() - 1000).toISOString(),
    });
    expect([response.status, await errorCode(response)]).toEqual([422, "VALIDATION_ERROR"]);
  });

  it("SEC-73: keys never manage members, keys, settings or billing (routes that do not accept keys answer 401)", async () => {
    const { key } = await createKey(admin.client);
    const caller = new KeyClient(key);
    for (const [method, path, body] of [
      ["GET", "/api-keys"],
      ["POST", "/api-keys", { name: "child", role: "readonly", scopes: ["notes:read"] }],
      ["GET", "/organization/users"],
      ["POST", "/invitations", { email: "x@example.com", role: "readonly" }],
      ["PUT", "/settings/user/theme", { value: "dark" }],
      ["POST", "/subscription/manage"],
      ["POST", "/auth/token"],
    ] as const) {
      expect((await caller.request(method, path, body)).status, `${method} ${path}`).toBe(401);
    }
  });

  it("SEC-73: a key's role is at most its creator's", async () => {
    const ctx = testServiceContext();
    const fresh = { authenticatedAt: Date.now() };
    const input = {
      name: "x",
      role: "member" as const,
      scopes: ["notes:read" as const],
      expiresAt: null,
      rateLimitPerMinute: null,
      aiTokenLimit: null,
    };
    await expect(
      createApiKey(ctx, { userId: admin.id, organizationId: admin.organizationId, role: "readonly" }, input, fresh),
    ).rejects.toThrow(AppError);
    await expect(
      createApiKey(
        ctx,
        {
          userId: admin.id,
          organizationId: admin.organizationId,
          role: "org_admin",
          apiKey: { id: "k", aiTokenLimit: null },
        },
        input,
        fresh,
      ),
    ).rejects.toThrow("An API key cannot create API keys.");
  });

  it("SEC-69: creating a key needs a fresh proof: a sign-in in the last 10 minutes, or the current password", async () => {
    const stale = await newAdmin();
    await env.DB.prepare(`UPDATE session SET authenticated_at = ? WHERE user_id = ?`)
      .bind(Date.now() - 11 * 60_000, stale.id)
      .run();
    const body = { name: "ci", role: "readonly", scopes: ["notes:read"] };
    const refused = await stale.client.post("/api-keys", body);
    expect([refused.status, await errorCode(refused)]).toEqual([401, "REAUTH_REQUIRED"]);
    const wrong = await stale.client.post("/api-keys", { ...body, current_password: "not it at all" });
    expect(wrong.status).toBe(422);
    expect(await countKeys(stale.organizationId)).toBe(0);
    expect((await stale.client.post("/api-keys", { ...body, current_password: stale.password })).status).toBe(201);
  });

  it("SEC-73: a request with both a session cookie and a key is 400 AMBIGUOUS_CREDENTIALS", async () => {
    const { key } = await createKey(admin.client);
    const response = await admin.client.get("/notes", { headers: { authorization: `Bearer ${key}` } });
    expect([response.status, await errorCode(response)]).toEqual([400, "AMBIGUOUS_CREDENTIALS"]);
  });

  it("SEC-45: a cookieless bearer request is exempt from the Origin check; with a cookie it is not", async () => {
    const { key } = await createKey(admin.client);
    const foreign = createClient({ origin: "https://evil.example" });
    const keyed = await new KeyClient(key, foreign).post("/notes", { title: "from a script" });
    expect(keyed.status).toBe(201);
    foreign.cookies.set("unrelated", "1");
    expect((await new KeyClient(key, foreign).post("/notes", { title: "with a cookie" })).status).toBe(403);
  });

  it("SEC-73: each key has its own exact rate limit, answered 429 with Retry-After, never 401", async () => {
    const { key } = await createKey(admin.client, { rate_limit_per_minute: 2, scopes: ["notes:read"] });
    const caller = new KeyClient(key);
    expect((await caller.get("/notes")).status).toBe(200);
    // A scope refusal spends the budget too.
    expect((await caller.get("/plan")).status).toBe(403);
    const limited = await caller.get("/notes");
    expect([limited.status, await errorCode(limited)]).toEqual([429, "RATE_LIMITED"]);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another key of the same organization has a budget of its own.
    expect((await new KeyClient((await createKey(admin.client)).key).get("/notes")).status).toBe(200);
  });

  it("SEC-73: last use is written at most once a minute, never on every request", async () => {
    const { id, key } = await createKey(admin.client);
    const caller = new KeyClient(key);
    expect((await caller.get("/notes")).status).toBe(200);
    const first = (await keyRow(id))?.last_used_at as number;
    expect(first).toBeGreaterThan(0);
    // Within the minute: the request reads a fresh value and writes nothing.
    const recent = first - 30_000;
    await env.DB.prepare("UPDATE api_key SET last_used_at = ? WHERE id = ?").bind(recent, id).run();
    expect((await caller.get("/notes")).status).toBe(200);
    expect((await keyRow(id))?.last_used_at).toBe(recent);
    // The write itself is conditional: another isolate's write in the same minute changes nothing.
    const db = createDB(env.DB);
    await recordApiKeyUse(db, id, first);
    expect((await keyRow(id))?.last_used_at).toBe(recent);
    await env.DB.prepare("UPDATE api_key SET last_used_at = ? WHERE id = ?")
      .bind(first - 61_000, id)
      .run();
    await recordApiKeyUse(db, id, first);
    expect((await keyRow(id))?.last_used_at).toBe(first);
  });
});
