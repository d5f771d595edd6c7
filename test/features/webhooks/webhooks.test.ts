// Outbound webhooks (docs/webhooks.md): endpoints, the outbox, the Queue consumer and URL safety.
// The Queue binding is a capturing fake in most tests, and the test hands its messages to the
// worker's own queue() handler (createMessageBatch), redelivering what it retries with one more
// attempt, as the Queue would after the delay; one test goes through the real local Queue.
import type { AssignableRole } from "../../../src/lib/roles";
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import fc from "fast-check";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { runMaintenance } from "../../../src/cron/maintenance";
import { createDB } from "../../../src/db/client";
import type { Env, WebhookDeliveryMessage } from "../../../src/env";
import worker from "../../../src/index";
import { checkOutboundURL } from "../../../src/lib/outbound-url";
import { eventStatement } from "../../../src/platform/outbox";
import { fulfilCreditPurchase } from "../../../src/features/billing/credit-fulfilment";
import { readOutbox } from "../../helpers/accounts";
import { createClient, type TestClient } from "../../helpers/client";
import { insertMembershipStatement, insertUser, type InsertedUser } from "../../helpers/factories";
import { testServiceContext } from "../../helpers/service-context";
import { CapturingQueue, installReceiver, receiver } from "./receiver";

installReceiver();

const SEED = inject("fastCheckSeed");
const queue = new CapturingQueue<WebhookDeliveryMessage>();
const queueEnv = { WEBHOOK_QUEUE: queue as unknown as Queue<WebhookDeliveryMessage> };

interface Setup {
  admin: InsertedUser;
  client: TestClient;
  memberId: string;
}

let setup: Setup;

async function insertMember(organizationId: string, role = "member"): Promise<string> {
  const id = crypto.randomUUID();
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO "user" (id, email, password_hash, email_verified_at, created_at, updated_at)
       VALUES (?, ?, NULL, ?, ?, ?)`,
    ).bind(id, `${id}@example.com`, now, now, now),
    insertMembershipStatement({ userId: id, organizationId, role: role as AssignableRole, now }),
  ]);
  return id;
}

async function signedInAdmin(): Promise<{ admin: InsertedUser; client: TestClient }> {
  const admin = await insertUser({ role: "org_admin" });
  const client = createClient({ env: queueEnv });
  const login = await client.post("/auth/login", { email: admin.email, password: admin.password });
  expect(login.status).toBe(200);
  return { admin, client };
}

async function registerEndpoint(
  client: TestClient,
  path: string,
  options: { events?: string[]; behaviour?: Parameters<typeof receiver.listen>[2] } = {},
): Promise<{ id: string; secret: string }> {
  const url = `https://hooks.test${path}`;
  const response = await client.post("/webhook-endpoints", { url, events: options.events ?? ["member.role_changed"] });
  expect(response.status).toBe(201);
  const created = (await response.json()) as { id: string; secret: string };
  receiver.listen(path, created.secret, options.behaviour);
  return created;
}

/** The worker's queue() handler, as the Queue calls it. */
function consume(batch: MessageBatch<WebhookDeliveryMessage>, ctx: ExecutionContext): Promise<void> {
  const handler = worker as ExportedHandler<Env, WebhookDeliveryMessage>;
  return Promise.resolve(handler.queue?.(batch, { ...env, ...queueEnv }, ctx));
}

/** Hands the messages to queue() until none is retried; returns how many retries it asked for. */
async function deliver(bodies: WebhookDeliveryMessage[]): Promise<number> {
  let retries = 0;
  let pending = bodies.map((body, index) => ({ id: `m${index}`, timestamp: Date.now(), attempts: 1, body }));
  while (pending.length > 0) {
    const batch = createMessageBatch<WebhookDeliveryMessage>("rampart-dev-webhooks", pending);
    const ctx = createExecutionContext();
    await consume(batch, ctx);
    const result = await getQueueResult(batch, ctx);
    const retried = new Set(result.retryMessages.map((message) => message.msgId));
    retries += retried.size;
    pending = pending
      .filter((message) => retried.has(message.id))
      .map((message) => ({ ...message, attempts: message.attempts + 1 }));
  }
  return retries;
}

async function changeRole(client: TestClient, userId: string, role: string): Promise<void> {
  const response = await client.patch(`/organization/users/${userId}`, { role });
  expect(response.status).toBe(204);
}

beforeAll(async () => {
  const { admin, client } = await signedInAdmin();
  setup = { admin, client, memberId: await insertMember(admin.organizationId) };
});

describe("webhook endpoints", () => {
  it("SEC-75: the signing secret is shown once and stored encrypted", async () => {
    const { id, secret } = await registerEndpoint(setup.client, "/secret-once");
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const list = (await (await setup.client.get("/webhook-endpoints")).json()) as { items: Record<string, unknown>[] };
    const listed = list.items.find((item) => item.id === id);
    expect(listed).toMatchObject({ url: "https://hooks.test/secret-once", events: ["member.role_changed"] });
    expect(JSON.stringify(list)).not.toContain(secret.slice(6));
    const row = await env.DB.prepare("SELECT * FROM webhook_endpoint WHERE id = ?").bind(id).first();
    expect(JSON.stringify(row)).not.toContain(secret.slice(6));
  });

  it("SEC-75: endpoint URLs with credentials or private, loopback or link-local IP literals are refused", async () => {
    const refused = [
      "https://user:pass@hooks.test/x",
      "https://127.0.0.1/x",
      "https://2130706433/x",
      "https://0x7f000001/x",
      "https://10.1.2.3/x",
      "https://169.254.169.254/latest/meta-data",
      "https://[::1]/x",
      "https://[::ffff:127.0.0.1]/x",
      "https://[fe80::1]/x",
      "https://[fd00::1]/x",
      "ftp://hooks.test/x",
      "not a url",
    ];
    for (const url of refused) {
      const response = await setup.client.post("/webhook-endpoints", { url, events: ["member.added"] });
      expect(response.status, url).toBe(422);
      const body = (await response.json()) as { error: { details: { fields: { field: string }[] } } };
      expect(body.error.details.fields[0]?.field, url).toBe("url");
    }
    const rows = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM webhook_endpoint WHERE url NOT LIKE 'https://hooks.test/%'",
    ).first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });

  it("SEC-75: outside dev only https is allowed, and no localhost name", () => {
    const strict = { allowInsecure: false };
    expect(checkOutboundURL("https://hooks.example.com/rampart", strict)).toBeNull();
    expect(checkOutboundURL("http://hooks.example.com/rampart", strict)).toBe("scheme");
    expect(checkOutboundURL("https://localhost/x", strict)).toBe("local_hostname");
    expect(checkOutboundURL("https://api.localhost./x", strict)).toBe("local_hostname");
    expect(checkOutboundURL("http://localhost:4000/x", { allowInsecure: true })).toBeNull();
    expect(checkOutboundURL("http://127.0.0.1:4000/x", { allowInsecure: true })).toBe("private_address");
  });

  describe(`outbound URL checks, generative (seed ${SEED})`, () => {
    const privateV4 = fc.oneof(
      fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(127), fc.nat(255), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(169), fc.constant(254), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(192), fc.constant(168), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(100), fc.integer({ min: 64, max: 127 }), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(0), fc.nat(255), fc.nat(255), fc.nat(255)),
    );
    const spellings = (octets: number[]) => {
      const value = octets.reduce((sum, octet) => sum * 256 + octet, 0);
      const hex = octets.map((octet) => octet.toString(16).padStart(2, "0"));
      return [
        octets.join("."),
        String(value),
        `0x${value.toString(16)}`,
        octets.map((octet) => `0${octet.toString(8)}`).join("."),
        `[::ffff:${octets.join(".")}]`,
        `[::ffff:${hex[0]}${hex[1]}:${hex[2]}${hex[3]}]`,
      ];
    };

    it("SEC-75: every spelling of a private, loopback or link-local IPv4 address is refused in every environment", () => {
      fc.assert(
        fc.property(privateV4, fc.boolean(), (octets, allowInsecure) => {
          for (const host of spellings(octets)) {
            expect(checkOutboundURL(`https://${host}/hook`, { allowInsecure }), host).not.toBeNull();
          }
        }),
        { seed: SEED, numRuns: 200 },
      );
    });
  });
});

describe("delivery", () => {
  it("SEC-76: each role change arrives once per event id, in order, with the same webhook-id across retries", async () => {
    const { admin, client } = await signedInAdmin();
    const memberId = await insertMember(admin.organizationId);
    const { id: endpointId } = await registerEndpoint(client, "/flaky", { behaviour: { failFirst: 2 } });
    queue.take();
    await changeRole(client, memberId, "readonly");
    await changeRole(client, memberId, "member");
    await changeRole(client, memberId, "readonly");
    const messages = queue.take();
    expect(messages).toHaveLength(3);
    expect(new Set(messages.map((message) => message.endpointId))).toEqual(new Set([endpointId]));

    expect(await deliver(messages)).toBe(6);
    const received = receiver.receivedAt("/flaky");
    expect(received.map((item) => item.data.to)).toEqual(["readonly", "member", "readonly"]);
    expect(received.every((item) => item.type === "member.role_changed" && item.data.user_id === memberId)).toBe(true);
    expect(new Set(received.map((item) => item.id)).size).toBe(3);
    for (const item of received) expect(receiver.attempts.get(item.id)).toBe(3);
    expect(receiver.rejectedSignatures).toEqual([]);

    const log = (await (await client.get(`/webhook-endpoints/${endpointId}/deliveries?limit=5`)).json()) as {
      items: { outcome: string; attempt: number; next_retry_at: string | null; delivered_at: string | null }[];
      has_more: boolean;
    };
    expect(log.has_more).toBe(true);
    expect(log.items[0]).toMatchObject({ outcome: "succeeded", attempt: 3, next_retry_at: null });
    expect(log.items[0]?.delivered_at).not.toBeNull();
    const all = await env.DB.prepare(
      "SELECT outcome, COUNT(*) AS n FROM webhook_delivery WHERE endpoint_id = ? GROUP BY outcome ORDER BY outcome",
    )
      .bind(endpointId)
      .all<{ outcome: string; n: number }>();
    expect(all.results).toEqual([
      { outcome: "retrying", n: 6 },
      { outcome: "succeeded", n: 3 },
    ]);
    // Exponential back-off: the first retry after 30 s, the second after 2 min.
    const backoff = await env.DB.prepare(
      "SELECT attempt, (next_retry_at - attempted_at) / 1000 AS delay FROM webhook_delivery WHERE endpoint_id = ? AND outcome = 'retrying' ORDER BY id",
    )
      .bind(endpointId)
      .all<{ attempt: number; delay: number }>();
    expect(backoff.results.map((row) => [row.attempt, row.delay])).toEqual([
      [1, 30],
      [1, 30],
      [1, 30],
      [2, 120],
      [2, 120],
      [2, 120],
    ]);
  });

  it("SEC-76: a removed member arrives as member.removed, once", async () => {
    const { admin, client } = await signedInAdmin();
    const memberId = await insertMember(admin.organizationId, "readonly");
    await registerEndpoint(client, "/removed", { events: ["member.removed"] });
    queue.take();
    expect((await client.delete(`/organization/users/${memberId}`)).status).toBe(204);
    expect((await client.delete(`/organization/users/${memberId}`)).status).toBe(404);
    await deliver(queue.take());
    expect(receiver.receivedAt("/removed").map((item) => [item.type, item.data])).toEqual([
      ["member.removed", { user_id: memberId, role: "readonly", reason: "removed" }],
    ]);
  });

  it("SEC-76: a member who leaves arrives as member.removed, once, and a refused leave sends nothing", async () => {
    const { admin, client } = await signedInAdmin();
    await registerEndpoint(client, "/left", { events: ["member.removed"] });
    const member = await insertUser({ role: "org_admin" });
    await env.DB.batch([
      insertMembershipStatement({ userId: member.id, organizationId: admin.organizationId, role: "member" }),
    ]);
    const memberClient = createClient({ env: queueEnv });
    expect((await memberClient.post("/auth/login", { email: member.email, password: member.password })).status).toBe(
      200,
    );
    // Acting in their own organization, whose last org_admin they are: refused, nothing emitted.
    const own = await memberClient.post("/organizations/switch", { organization_id: member.organizationId });
    expect(own.status).toBe(200);
    queue.take();
    expect((await memberClient.delete("/organization/membership")).status).toBe(409);
    expect(queue.take()).toEqual([]);

    const switched = await memberClient.post("/organizations/switch", { organization_id: admin.organizationId });
    expect(switched.status).toBe(200);
    expect((await memberClient.delete("/organization/membership")).status).toBe(200);
    await deliver(queue.take());
    expect(receiver.receivedAt("/left").map((item) => [item.type, item.data])).toEqual([
      ["member.removed", { user_id: member.id, role: "member", reason: "left" }],
    ]);
  });

  it("SEC-76: a member who deletes their account arrives as member.removed in each organization that goes on", async () => {
    const { admin, client } = await signedInAdmin();
    await registerEndpoint(client, "/account-deleted", { events: ["member.removed"] });
    const member = await insertUser({ role: "org_admin" }); // alone in their own organization, deleted with them
    await env.DB.batch([
      insertMembershipStatement({ userId: member.id, organizationId: admin.organizationId, role: "readonly" }),
    ]);
    const memberClient = createClient({ env: queueEnv });
    expect((await memberClient.post("/auth/login", { email: member.email, password: member.password })).status).toBe(
      200,
    );
    queue.take();
    const deleted = await memberClient.delete("/users/me", { json: { current_password: member.password } });
    expect(deleted.status).toBe(204);
    await deliver(queue.take());
    expect(receiver.receivedAt("/account-deleted").map((item) => [item.type, item.data])).toEqual([
      ["member.removed", { user_id: member.id, role: "readonly", reason: "account_deleted" }],
    ]);
    const ownOrganizationEvents = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM webhook_event WHERE organization_id = ?",
    )
      .bind(member.organizationId)
      .first<{ n: number }>();
    expect(ownOrganizationEvents?.n).toBe(0);
  });

  it("a role change that does not happen emits no event", async () => {
    const count = async () =>
      (
        await env.DB.prepare("SELECT COUNT(*) AS n FROM webhook_event WHERE organization_id = ?")
          .bind(setup.admin.organizationId)
          .first<{ n: number }>()
      )?.n;
    const before = await count();
    await changeRole(setup.client, setup.memberId, "member"); // already member: a no-op
    expect((await setup.client.patch(`/organization/users/${setup.admin.id}`, { role: "member" })).status).toBe(403);
    expect(await count()).toBe(before);
  });

  it("SEC-75: a redirect is not followed and at most 1 KiB of the answer is kept", async () => {
    const { client } = await signedInAdmin();
    const big = "x".repeat(5000);
    const { id } = await registerEndpoint(client, "/redirects", {
      behaviour: {
        respond: () => new Response(big, { status: 302, headers: { location: "http://169.254.169.254/latest" } }),
      },
    });
    queue.take();
    expect((await client.post(`/webhook-endpoints/${id}/test`)).status).toBe(202);
    const [message] = queue.take();
    const batch = createMessageBatch<WebhookDeliveryMessage>("rampart-dev-webhooks", [
      { id: "r1", timestamp: Date.now(), attempts: 1, body: message! },
    ]);
    const ctx = createExecutionContext();
    await consume(batch, ctx);
    expect((await getQueueResult(batch, ctx)).retryMessages).toHaveLength(1);
    expect(receiver.attempts.get(message!.eventId)).toBe(1);
    const row = await env.DB.prepare(
      "SELECT status_code, outcome, response_excerpt FROM webhook_delivery WHERE endpoint_id = ?",
    )
      .bind(id)
      .first<{ status_code: number; outcome: string; response_excerpt: string }>();
    expect(row).toMatchObject({ status_code: 302, outcome: "retrying" });
    expect(row!.response_excerpt.length).toBe(1024);
  });

  it("SEC-76: an endpoint failing for a day is disabled and its org_admins are emailed", async () => {
    const { admin, client } = await signedInAdmin();
    const { id } = await registerEndpoint(client, "/dead", { behaviour: { failFirst: 1000 } });
    await env.DB.prepare("UPDATE webhook_endpoint SET failing_since = ? WHERE id = ?")
      .bind(Date.now() - 25 * 60 * 60 * 1000, id)
      .run();
    queue.take();
    expect((await client.post(`/webhook-endpoints/${id}/test`)).status).toBe(202);
    expect(await deliver(queue.take())).toBe(0);
    const list = (await (await client.get("/webhook-endpoints")).json()) as {
      items: { id: string; disabled_at: string | null }[];
    };
    expect(list.items.find((item) => item.id === id)?.disabled_at).not.toBeNull();
    const emails = await readOutbox(client, admin.email);
    expect(emails.map((email) => email.subject)).toContain("A webhook endpoint was disabled");
    expect((await client.post(`/webhook-endpoints/${id}/test`)).status).toBe(409);
  });

  it("a deleted endpoint receives nothing more, and its log goes with it", async () => {
    const { client } = await signedInAdmin();
    const { id } = await registerEndpoint(client, "/deleted");
    queue.take();
    expect((await client.post(`/webhook-endpoints/${id}/test`)).status).toBe(202);
    const pending = queue.take();
    expect((await client.delete(`/webhook-endpoints/${id}`)).status).toBe(204);
    expect(await deliver(pending)).toBe(0);
    expect(receiver.receivedAt("/deleted")).toEqual([]);
    expect((await client.get(`/webhook-endpoints/${id}/deliveries`)).status).toBe(404);
  });

  it("another organization's endpoint is not found", async () => {
    const { id } = await registerEndpoint(setup.client, "/private");
    const { client: other } = await signedInAdmin();
    expect((await other.get(`/webhook-endpoints/${id}/deliveries`)).status).toBe(404);
    expect((await other.post(`/webhook-endpoints/${id}/test`)).status).toBe(404);
    expect((await other.delete(`/webhook-endpoints/${id}`)).status).toBe(404);
  });

  it("SEC-76: the maintenance job publishes events a dead Worker left behind, and reclaims a lapsed claim", async () => {
    const { admin, client } = await signedInAdmin();
    const { id: endpointId } = await registerEndpoint(client, "/leftover", { events: ["member.added"] });
    const db = createDB(env.DB);
    // The change's batch committed, then the Worker died before its producer step ran.
    await eventStatement(db, { organizationId: admin.organizationId, type: "member.added", data: { user_id: "u1" } });
    await eventStatement(db, { organizationId: admin.organizationId, type: "member.added", data: { user_id: "u2" } });
    await env.DB.prepare("UPDATE webhook_event SET claimed_until = ? WHERE organization_id = ? AND data LIKE '%u2%'")
      .bind(Date.now() - 1, admin.organizationId)
      .run();
    queue.take();
    const report = await runMaintenance({ ...env, ...queueEnv }, "test");
    expect(report.webhooks.messages).toBeGreaterThanOrEqual(2);
    const mine = queue.take().filter((message) => message.endpointId === endpointId);
    expect(mine).toHaveLength(2);
    await deliver(mine);
    expect(receiver.receivedAt("/leftover").map((item) => item.data.user_id)).toEqual(["u1", "u2"]);
    const unpublished = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM webhook_event WHERE published_at IS NULL",
    ).first<{ n: number }>();
    expect(unpublished?.n).toBe(0);
  });

  it("the producer sends a backlog larger than one claim, oldest first", async () => {
    const { admin, client } = await signedInAdmin();
    const { id: endpointId } = await registerEndpoint(client, "/backlog", { events: ["member.added"] });
    const db = createDB(env.DB);
    const backlog = Array.from({ length: 230 }, (_, index) =>
      eventStatement(db, { organizationId: admin.organizationId, type: "member.added", data: { n: index } }),
    );
    await db.batch(backlog as unknown as Parameters<typeof db.batch>[0]);
    queue.take();
    await runMaintenance({ ...env, ...queueEnv }, "test");
    const mine = queue.take().filter((message) => message.endpointId === endpointId);
    expect(mine).toHaveLength(230);
    const ids = await env.DB.prepare("SELECT id FROM webhook_event WHERE organization_id = ? ORDER BY sequence")
      .bind(admin.organizationId)
      .all<{ id: string }>();
    expect(mine.map((message) => message.eventId)).toEqual(ids.results.map((row) => row.id));
  });

  it("a ping goes through the real local Queue to the receiver", async () => {
    const admin = await insertUser({ role: "org_admin" });
    const consumed = (env as unknown as { WEBHOOK_QUEUE_CONSUMED: Queue<WebhookDeliveryMessage> })
      .WEBHOOK_QUEUE_CONSUMED;
    const client = createClient({ env: { WEBHOOK_QUEUE: consumed } });
    expect((await client.post("/auth/login", { email: admin.email, password: admin.password })).status).toBe(200);
    const { id } = await registerEndpoint(client, "/real-queue", { events: ["member.added"] });
    const response = await client.post(`/webhook-endpoints/${id}/test`);
    expect(response.status).toBe(202);
    const { event_id } = (await response.json()) as { event_id: string };
    await vi.waitFor(() => expect(receiver.receivedAt("/real-queue").map((item) => item.id)).toEqual([event_id]), {
      timeout: 15_000,
      interval: 100,
    });
  });
});

describe("events of other features", () => {
  it("SEC-76: credits granted twice for one payment emit one credits.granted event", async () => {
    const { admin } = await signedInAdmin();
    const ctx = testServiceContext();
    const input = {
      sessionId: `cs_test_${crypto.randomUUID()}`,
      paymentIntentId: null,
      metadata: { organizationId: admin.organizationId, packId: "tokens_5m", tokens: 5_000_000 },
      actorUserId: null,
    };
    const results = await Promise.all([fulfilCreditPurchase(ctx, input), fulfilCreditPurchase(ctx, input)]);
    expect(results.filter((result) => result.credited)).toHaveLength(1);
    const events = await env.DB.prepare("SELECT type, data FROM webhook_event WHERE organization_id = ?")
      .bind(admin.organizationId)
      .all<{ type: string; data: string }>();
    expect(events.results.map((row) => [row.type, JSON.parse(row.data)])).toEqual([
      ["credits.granted", { tokens: 5_000_000, pack_id: "tokens_5m" }],
    ]);
  });
});
