// SEC-80: refunds and disputes of credit purchases take those credits back exactly once, and an
// open dispute freezes the organization's credit spending. Events are signed by the real SDK and
// delivered to POST /webhooks/stripe like Stripe's.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signedInAccount } from "../../helpers/accounts";
import { readOutbox } from "../../helpers/accounts";
import { buyCredits, createAIOrganization, readLedger as readAILedger, readText, setPlan } from "../../helpers/ai";
import { auditRows, countStripeEvents, customerOf, deliverStripeEvent, readLedger } from "../../helpers/billing";
import { fakeStripe } from "../../helpers/fake-stripe";
import { chargeFixture, disputeFixture, eventFixture, stripeId } from "../../helpers/stripe-fixtures";

async function balanceOf(organizationId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT credit_balance_tokens AS balance FROM organization WHERE id = ?")
    .bind(organizationId)
    .first<{ balance: number }>();
  return row!.balance;
}

function refundEvent(paymentIntent: string | null, amountRefunded: number, amount = 3_900) {
  return eventFixture("charge.refunded", chargeFixture({ paymentIntent, amount, amountRefunded }));
}

describe("SEC-80 refunds of credit purchases", () => {
  it("SEC-80 a refunded credit pack is debited its refunded share exactly once: partial then full, replays, duplicates at once and a late partial", async () => {
    const account = await signedInAccount();
    const { id: organizationId } = (await (await account.client.get("/organization")).json()) as { id: string };
    await customerOf(organizationId);
    const started = await account.client.post("/billing/credit-packs/checkout", {
      pack_id: "tokens_5m",
      return_base_url: "/billing",
    });
    const { session_id: sessionId } = (await started.json()) as { session_id: string };
    const paymentIntent = fakeStripe.payCheckoutSession(sessionId).payment_intent as string;
    expect((await deliverStripeEvent(fakeStripe.checkoutCompletedEvent(sessionId))).body.result).toBe("applied");
    expect(await balanceOf(organizationId)).toBe(5_000_000);

    // Half refunded ($19.50 of $39): 2.5M tokens back, once, whatever Stripe's retries and races do.
    const half = refundEvent(paymentIntent, 1_950);
    const deliveries = await Promise.all([
      deliverStripeEvent(half),
      deliverStripeEvent(half),
      deliverStripeEvent(half),
    ]);
    expect(deliveries.map((delivery) => delivery.status)).toEqual([200, 200, 200]);
    expect(deliveries.map((delivery) => delivery.body.result).sort()).toEqual([
      "already_processed",
      "already_processed",
      "applied",
    ]);
    expect(await balanceOf(organizationId)).toBe(2_500_000);
    expect(await countStripeEvents(half.id)).toBe(1);

    // The rest refunded: charge.refunded carries the cumulative amount_refunded.
    expect((await deliverStripeEvent(refundEvent(paymentIntent, 3_900))).body.result).toBe("applied");
    expect(await balanceOf(organizationId)).toBe(0);
    // A partial refund delivered late (another event id, an older cumulative amount): nothing left to take.
    expect((await deliverStripeEvent(refundEvent(paymentIntent, 1_950))).body.result).toBe("unchanged");
    expect(await balanceOf(organizationId)).toBe(0);

    expect((await readLedger(organizationId)).map((row) => [row.kind, row.tokens])).toEqual([
      ["purchase", 5_000_000],
      ["refund", -2_500_000],
      ["refund", -2_500_000],
    ]);
    expect(await auditRows("credits_refunded", organizationId)).toHaveLength(2);
  });

  it("SEC-80 a refund of credits already spent leaves the balance negative, and credit spending stops until it is positive again", async () => {
    const org = await createAIOrganization();
    await setPlan(org.id, { token_limit: 0, enable_ai: true });
    const paymentIntent = stripeId("pi");
    await buyCredits(org.id, 3 * org.worstCase, paymentIntent);
    const spent = await org.client.post(`/notes/${org.noteId}/copilot/improve`, {});
    expect(spent.status).toBe(200);
    await readText(spent);
    const used = (await readAILedger(org.id)).credits_logged;
    expect(used).toBeGreaterThan(0);

    expect((await deliverStripeEvent(refundEvent(paymentIntent, 3_900))).body.result).toBe("applied");
    expect(await balanceOf(org.id)).toBe(-used);
    const refused = await org.client.post(`/notes/${org.noteId}/copilot/improve`, {});
    expect(refused.status).toBe(402);

    // A new pack that only brings it back to 0 is not enough; one that lifts it past a call is.
    await buyCredits(org.id, used);
    expect((await org.client.post(`/notes/${org.noteId}/copilot/improve`, {})).status).toBe(402);
    await buyCredits(org.id, org.worstCase);
    const served = await org.client.post(`/notes/${org.noteId}/copilot/improve`, {});
    expect(served.status).toBe(200);
    await readText(served);
  });
});

describe("SEC-80 disputes of credit purchases", () => {
  it("SEC-80 an open dispute freezes credit spending and emails the org_admins; won, it unfreezes and takes nothing", async () => {
    const org = await createAIOrganization({ role: "org_admin" });
    await setPlan(org.id, { token_limit: 0, enable_ai: true });
    const paymentIntent = stripeId("pi");
    await buyCredits(org.id, 5 * org.worstCase, paymentIntent);
    const dispute = disputeFixture({ paymentIntent, amount: 3_900, status: "needs_response" });

    expect((await deliverStripeEvent(eventFixture("charge.dispute.created", dispute))).body.result).toBe("applied");
    const frozen = await org.client.post(`/notes/${org.noteId}/copilot/improve`, {});
    expect(frozen.status).toBe(402);
    const emails = await readOutbox(org.client, org.email);
    expect(emails.map((email) => email.subject)).toContain("A credit purchase is disputed: AI credits are frozen");
    expect(await auditRows("credits_dispute_opened", org.id)).toHaveLength(1);

    const won = eventFixture("charge.dispute.closed", { ...dispute, status: "won" });
    expect((await deliverStripeEvent(won)).body.result).toBe("applied");
    expect(await balanceOf(org.id)).toBe(5 * org.worstCase);
    const served = await org.client.post(`/notes/${org.noteId}/copilot/improve`, {});
    expect(served.status).toBe(200);
    await readText(served);
    expect(await auditRows("credits_dispute_closed", org.id)).toHaveLength(1);
  });

  it("SEC-80 a lost dispute debits what is left of the purchase exactly once; a close delivered before its open never freezes", async () => {
    const org = await createAIOrganization();
    const paymentIntent = stripeId("pi");
    await buyCredits(org.id, 5_000_000, paymentIntent);
    expect((await deliverStripeEvent(refundEvent(paymentIntent, 780))).body.result).toBe("applied");
    expect(await balanceOf(org.id)).toBe(4_000_000);

    const dispute = disputeFixture({ paymentIntent, amount: 3_120, status: "lost" });
    const lost = eventFixture("charge.dispute.closed", dispute);
    const results = await Promise.all([deliverStripeEvent(lost), deliverStripeEvent(lost)]);
    expect(results.map((result) => result.body.result).sort()).toEqual(["already_processed", "applied"]);
    expect(await balanceOf(org.id)).toBe(0);
    // The open, delivered late: the dispute stays closed and nothing is frozen or taken again.
    const late = eventFixture("charge.dispute.created", { ...dispute, status: "needs_response" });
    expect((await deliverStripeEvent(late)).body.result).toBe("unchanged");
    const open = await env.DB.prepare(
      "SELECT count(*) AS n FROM credit_dispute WHERE organization_id = ? AND status = 'open'",
    )
      .bind(org.id)
      .first<{ n: number }>();
    expect(open!.n).toBe(0);
    expect((await readLedger(org.id)).map((row) => [row.kind, row.tokens])).toEqual([
      ["purchase", 5_000_000],
      ["refund", -1_000_000],
      ["dispute_lost", -4_000_000],
    ]);
  });

  it("refund and dispute events for charges that bought no credits are 200 and change nothing", async () => {
    const org = await createAIOrganization();
    await buyCredits(org.id, 1_000, stripeId("pi"));
    const unknown = stripeId("pi");
    const events = [
      refundEvent(unknown, 3_900),
      refundEvent(null, 3_900),
      eventFixture(
        "charge.dispute.created",
        disputeFixture({ paymentIntent: unknown, amount: 1, status: "needs_response" }),
      ),
      eventFixture("charge.dispute.closed", disputeFixture({ paymentIntent: unknown, amount: 1, status: "lost" })),
    ];
    for (const event of events) {
      expect(await deliverStripeEvent(event)).toEqual({ status: 200, body: { received: true, result: "unchanged" } });
    }
    expect(await balanceOf(org.id)).toBe(1_000);
    const disputes = await env.DB.prepare("SELECT count(*) AS n FROM credit_dispute WHERE organization_id = ?")
      .bind(org.id)
      .first<{ n: number }>();
    expect(disputes!.n).toBe(0);
  });
});
