import { describe, expect, it } from "vitest";
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import { createDB } from "../../src/db/client";
import { PRUNE_BATCH_SIZE } from "../../src/cron/batches";
import { pruneExpired } from "../../src/cron/prune-expired";
import { enforceRetention } from "../../src/cron/retention";
import { requireConfig } from "../../src/config";
import { createClient } from "../helpers/client";
import { countRows, insertUser } from "../helpers/factories";
import { DAY_MS } from "../../src/lib/time";

async function insertSessions(
  user: { id: string; organizationId: string },
  count: number,
  expiresAt: number,
): Promise<void> {
  const statements = Array.from({ length: count }, () =>
    env.DB.prepare(
      "INSERT INTO session (id, token_hash, user_id, active_organization_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
    ).bind(crypto.randomUUID(), crypto.randomUUID(), user.id, user.organizationId, expiresAt - DAY_MS, expiresAt),
  );
  for (let i = 0; i < statements.length; i += 100) await env.DB.batch(statements.slice(i, i + 100));
}

const CRON_SECRET = "test-cron-secret-0123456789abcdef0123456789abcdef";

describe("maintenance job", () => {
  it("SEC-19 deletes only sessions expired past retention, in bounded batches", async () => {
    const user = await insertUser();
    const now = Date.now();
    await insertSessions(user, PRUNE_BATCH_SIZE + 20, now - 8 * DAY_MS); // past 7-day retention
    await insertSessions(user, 3, now - 1 * DAY_MS); // expired, still within retention
    await insertSessions(user, 2, now + DAY_MS); // live

    const report = await pruneExpired(createDB(env.DB), { sessionRetentionDays: 7, now });
    expect(report.sessions_deleted).toBe(PRUNE_BATCH_SIZE + 20);
    expect(report.incomplete).toBe(false);
    expect(await countRows("session", "user_id = ?", user.id)).toBe(5);
  });

  it("deletes used and expired email tokens past retention and is safe to run twice at once", async () => {
    const user = await insertUser();
    const now = Date.now();
    const old = now - 8 * DAY_MS;
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO email_token (id, token_hash, user_id, purpose, created_at, expires_at) VALUES (?, ?, ?, 'verify_email', ?, ?)",
      ).bind(crypto.randomUUID(), crypto.randomUUID(), user.id, old, old + 1000),
      env.DB.prepare(
        "INSERT INTO email_token (id, token_hash, user_id, purpose, created_at, expires_at) VALUES (?, ?, ?, 'reset_password', ?, ?)",
      ).bind(crypto.randomUUID(), crypto.randomUUID(), user.id, now, now + 3600_000),
    ]);
    const db = createDB(env.DB);
    const retention = requireConfig(env).retention;
    if ("problems" in retention) throw new Error("retention settings");
    const [first, second] = await Promise.all([
      enforceRetention(db, retention.config, { now }),
      enforceRetention(db, retention.config, { now }),
    ]);
    expect(first.email_tokens_deleted + second.email_tokens_deleted).toBe(1);
    expect(await countRows("email_token", "user_id = ?", user.id)).toBe(1);
  });

  it("runs from the Cron Trigger through the worker's scheduled handler", async () => {
    const user = await insertUser();
    await insertSessions(user, 2, Date.now() - 30 * DAY_MS);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/15 * * * *", scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await countRows("session", "user_id = ?", user.id)).toBe(0);
  });

  it("POST /cron/run runs the same job with the bearer secret and reports what it did", async () => {
    const response = await createClient({ origin: null }).post("/cron/run", undefined, {
      headers: { authorization: `Bearer ${CRON_SECRET}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ prune: { incomplete: false }, retention: { incomplete: false } });
  });

  it("POST /cron/run is 401 with a missing or wrong secret", async () => {
    for (const authorization of [undefined, "Bearer wrong", `Basic ${CRON_SECRET}`, `Bearer ${CRON_SECRET}x`]) {
      const response = await createClient({ origin: null }).post("/cron/run", undefined, {
        headers: authorization ? { authorization } : {},
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
    }
  });

  it("POST /cron/run is 503 MISCONFIGURED when no CRON_SECRET is set", async () => {
    const response = await createClient({ origin: null, env: { CRON_SECRET: undefined } }).post(
      "/cron/run",
      undefined,
      {
        headers: { authorization: "Bearer " },
      },
    );
    expect(response.status).toBe(503);
  });
});
