// SEC-81: overage usage rows are billed as Stripe Billing meter events, one per row with the row
// id as Stripe's identifier, exactly once: across maintenance runs at the same time, and across a
// Stripe failure in the middle of a run (retried by the next run, never sent twice).
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { runMaintenance } from "../../../src/cron/maintenance";
import { meterEventIdentifier } from "../../../src/features/billing/overage-meter";
import { insertUser } from "../../helpers/factories";
import { fakeStripe } from "../../helpers/fake-stripe";
import { stripeId } from "../../helpers/stripe-fixtures";

const ROWS = 1_000;
const METER_EVENT_NAME = "rampart_ai_overage_tokens";

afterEach(() => {
  fakeStripe.meterEventFailures = 0;
  fakeStripe.meterEventFailuresAfter = 0;
});

/** An organization with a Stripe customer and `count` overage rows (tokens 1..count), plus allotment rows. */
async function seedOverage(count: number, createdAt = Date.now() - 60_000) {
  const user = await insertUser({ role: "org_admin", passwordHash: null });
  const customer = stripeId("cus");
  const batch = crypto.randomUUID().slice(0, 8);
  await env.DB.batch([
    env.DB.prepare("UPDATE organization SET stripe_customer_id = ? WHERE id = ?").bind(customer, user.organizationId),
    env.DB.prepare(
      `INSERT INTO llm_usage_log (organization_id, user_id, reservation_id, settlement_id, provider, model, bucket,
                                  tokens, input_tokens, output_tokens, cost_usd, period_start, created_at, reclaimed)
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       SELECT ?2, ?3, 'air_' || ?4 || '_' || i, 'ais_' || i, 'fake', 'fake-model', b.bucket, i, 0, i, 0, 0, ?5, 0
         FROM n, (SELECT 'overage' AS bucket UNION ALL SELECT 'allotment') b`,
    ).bind(count, user.organizationId, user.id, batch, createdAt),
  ]);
  return { organizationId: user.organizationId, customer };
}

async function readMeterState(organizationId: string) {
  return env.DB.prepare(
    `SELECT bucket, count(*) AS rows, sum(meter_reported_at IS NOT NULL) AS reported, sum(meter_claim = 'reported') AS stamped_reported,
            sum(tokens) AS tokens, min(id) AS first_id, max(id) AS last_id
       FROM llm_usage_log WHERE organization_id = ? GROUP BY bucket ORDER BY bucket`,
  )
    .bind(organizationId)
    .all<{
      bucket: string;
      rows: number;
      reported: number;
      stamped_reported: number;
      tokens: number;
      first_id: number;
      last_id: number;
    }>()
    .then((result) => Object.fromEntries(result.results.map((row) => [row.bucket, row])));
}

describe("SEC-81 overage billed through Stripe meter events", () => {
  it("SEC-81 1,000 overage rows are reported exactly once across two concurrent maintenance runs and a Stripe failure in the middle", async () => {
    const { organizationId, customer } = await seedOverage(ROWS);
    const requestsBefore = fakeStripe.requestsTo("POST", "/v1/billing/meter_events").length;
    // After 300 accepted events, Stripe fails 40 requests (500 api_error; the SDK retries each once).
    fakeStripe.meterEventFailuresAfter = 300;
    fakeStripe.meterEventFailures = 40;

    const concurrent = await Promise.all([runMaintenance(env, "test-a"), runMaintenance(env, "test-b")]);
    const first = concurrent.map((report) => report.billing.overage);
    expect(first.every((report) => report.enabled)).toBe(true);
    expect(first.reduce((sum, report) => sum + report.failed, 0)).toBeGreaterThan(0);
    expect(first.reduce((sum, report) => sum + report.reported, 0)).toBeLessThan(ROWS);

    // Later runs pick up what failed and what the per-run bound left; each run is bounded.
    const later = [];
    for (let run = 0; run < 6; run++) {
      const report = (await runMaintenance(env, `test-${run}`)).billing.overage;
      later.push(report);
      expect(report.reported).toBeLessThanOrEqual(500);
      if (report.reported === 0 && !report.incomplete) break;
    }
    const all = [...first, ...later];
    console.info(
      `SEC-81 ${ROWS} overage rows: runs ${JSON.stringify(all.map((report) => [report.reported, report.failed]))} (reported, failed); ` +
        `meter event requests ${fakeStripe.requestsTo("POST", "/v1/billing/meter_events").length - requestsBefore}, duplicates refused ${fakeStripe.duplicateMeterEvents}`,
    );

    const state = await readMeterState(organizationId);
    expect(state.overage).toMatchObject({ rows: ROWS, reported: ROWS, stamped_reported: ROWS });
    // Only overage is billed: allotment rows are never claimed or sent.
    expect(state.allotment).toMatchObject({ rows: ROWS, reported: 0 });
    expect(all.reduce((sum, report) => sum + report.reported, 0)).toBe(ROWS);
    expect(all.reduce((sum, report) => sum + report.rejected, 0)).toBe(0);

    // Stripe's side: one event per row, in the meter's wire format, none sent a second time.
    expect(fakeStripe.duplicateMeterEvents).toBe(0);
    const ours = [...fakeStripe.meterEvents.values()].filter((event) => event.payload.stripe_customer_id === customer);
    expect(ours).toHaveLength(ROWS);
    const ids = Array.from({ length: ROWS }, (_, index) => state.overage!.first_id + index);
    expect(new Set(ours.map((event) => event.identifier))).toEqual(new Set(ids.map(meterEventIdentifier)));
    expect(ours.every((event) => event.event_name === METER_EVENT_NAME)).toBe(true);
    expect(ours.reduce((sum, event) => sum + Number(event.payload.value), 0)).toBe(state.overage!.tokens);
    const [sent] = fakeStripe.requestsTo("POST", "/v1/billing/meter_events").slice(-1);
    expect(Object.keys(sent!.params).sort()).toEqual(["event_name", "identifier", "payload", "timestamp"]);
  });

  it("SEC-81 an event Stripe already has (a report whose answer was lost) is counted reported, not sent as a second event", async () => {
    const { organizationId } = await seedOverage(3);
    const state = await readMeterState(organizationId);
    // Stripe recorded row 2 earlier, but the answer never came back: the row is still unreported here.
    const lostAnswer = meterEventIdentifier(state.overage!.first_id + 1);
    fakeStripe.meterEvents.set(lostAnswer, {
      object: "billing.meter_event",
      created: 0,
      event_name: METER_EVENT_NAME,
      identifier: lostAnswer,
      livemode: false,
      payload: {},
      timestamp: 0,
    });
    const duplicatesBefore = fakeStripe.duplicateMeterEvents;
    const report = (await runMaintenance(env, "test")).billing.overage;
    expect(report).toMatchObject({ reported: 3, rejected: 0, failed: 0 });
    expect(fakeStripe.duplicateMeterEvents - duplicatesBefore).toBe(1);
    expect((await readMeterState(organizationId)).overage).toMatchObject({ reported: 3 });
  });

  it("a row Stripe refuses for good (older than 35 days) is stamped rejected and logged, not retried forever", async () => {
    const { organizationId } = await seedOverage(2, Date.now() - 40 * 86_400_000);
    const report = (await runMaintenance(env, "test")).billing.overage;
    expect(report.rejected).toBe(2);
    const rows = await env.DB.prepare(
      "SELECT meter_claim FROM llm_usage_log WHERE organization_id = ? AND bucket = 'overage' AND meter_reported_at IS NOT NULL",
    )
      .bind(organizationId)
      .all<{ meter_claim: string }>();
    expect(rows.results.map((row) => row.meter_claim)).toEqual(["rejected", "rejected"]);
    expect((await runMaintenance(env, "test")).billing.overage.rejected).toBe(0);
  });
});
