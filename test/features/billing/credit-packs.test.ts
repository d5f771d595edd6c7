// Credit packs: Checkout with inline price data, and exactly one credit per paid session, whether
// the webhook or verify (or both at once, or Stripe's retries) fulfils it.
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type Stripe from "stripe";
import { applySubscriptionEvent } from "../../../src/features/billing/subscription-events";
import { isStripeEventReplay } from "../../../src/features/billing/stripe-event-repo";
import { createClient } from "../../helpers/client";
import { testServiceContext } from "../../helpers/service-context";
import { signedInAccount, type Account } from "../../helpers/accounts";
import { createSysAdmin } from "../../helpers/orgs";
import { fakeStripe } from "../../helpers/fake-stripe";
import { eventFixture, nowSeconds, stripeId, subscriptionFixture } from "../../helpers/stripe-fixtures";
import {
  auditRows,
  countStripeEvents,
  customerOf,
  deliverStripeEvent,
  readLedger,
  readOrganizationBilling,
} from "../../helpers/billing";

interface Buyer {
  account: Account;
  organizationId: string;
  customerId: string;
}

async function newBuyer(options: { env?: Record<string, string> } = {}): Promise<Buyer> {
  const account = await signedInAccount(options.env ? { client: { env: options.env } } : {});
  const { id } = (await (await account.client.get("/organization")).json()) as { id: string };
  return { account, organizationId: id, customerId: await customerOf(id) };
}

async function startCheckout(buyer: Buyer, packId = "tokens_5m"): Promise<string> {
  const response = await buyer.account.client.post("/billing/credit-packs/checkout", {
    pack_id: packId,
    return_base_url: "/billing",
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { session_id: string }).session_id;
}

async function verify(buyer: Buyer, sessionId: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await buyer.account.client.post("/billing/credit-packs/verify", { session_id: sessionId });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

afterEach(() => {
  fakeStripe.outage = "up";
});

describe("GET /billing/credit-packs and POST /billing/credit-packs/checkout", () => {
  it("lists the default packs: 5M / 10M / 25M tokens at $39 / $69 / $149", async () => {
    const buyer = await newBuyer();
    const response = await buyer.account.client.get("/billing/credit-packs");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      organization_id: buyer.organizationId,
      credit_balance_tokens: 0,
      packs: [
        { id: "tokens_5m", name: "5M tokens", tokens: 5_000_000, price_cents: 3_900, currency: "usd" },
        { id: "tokens_10m", name: "10M tokens", tokens: 10_000_000, price_cents: 6_900, currency: "usd" },
        { id: "tokens_25m", name: "25M tokens", tokens: 25_000_000, price_cents: 14_900, currency: "usd" },
      ],
    });
  });

  it("creates a payment-mode Checkout Session on the organization's customer, with inline price data and our metadata", async () => {
    const buyer = await newBuyer();
    const response = await buyer.account.client.post("/billing/credit-packs/checkout", {
      pack_id: "tokens_10m",
      return_base_url: "http://localhost:5173/settings/billing?tab=credits#top",
    });
    expect(response.status).toBe(200);
    const { url, session_id: sessionId } = (await response.json()) as { url: string; session_id: string };
    expect(url).toBe(fakeStripe.checkoutSessions.get(sessionId)!.url);
    const [sent] = fakeStripe.requestsTo("POST", "/v1/checkout/sessions").slice(-1);
    expect(sent!.params).toEqual({
      mode: "payment",
      customer: buyer.customerId,
      client_reference_id: buyer.organizationId,
      line_items: [
        {
          quantity: "1",
          price_data: {
            currency: "usd",
            unit_amount: "6900",
            product_data: { name: "10M tokens", metadata: { pack_id: "tokens_10m", tokens: "10000000" } },
          },
        },
      ],
      metadata: {
        kind: "credit_pack",
        organization_id: buyer.organizationId,
        pack_id: "tokens_10m",
        tokens: "10000000",
      },
      payment_intent_data: {
        metadata: {
          kind: "credit_pack",
          organization_id: buyer.organizationId,
          pack_id: "tokens_10m",
          tokens: "10000000",
        },
      },
      success_url:
        "http://localhost:5173/settings/billing?tab=credits&credit_pack=success&session_id={CHECKOUT_SESSION_ID}",
      cancel_url: "http://localhost:5173/settings/billing?tab=credits&credit_pack=canceled",
    });
  });

  it("refuses a return_base_url outside the web app (422) and an unknown pack (404) before calling Stripe", async () => {
    const buyer = await newBuyer();
    const calls = fakeStripe.requestsTo("POST", "/v1/checkout/sessions").length;
    for (const returnBaseURL of ["https://evil.example/billing", "//evil.example/billing", "javascript:alert(1)"]) {
      const response = await buyer.account.client.post("/billing/credit-packs/checkout", {
        pack_id: "tokens_5m",
        return_base_url: returnBaseURL,
      });
      expect.soft(response.status, returnBaseURL).toBe(422);
    }
    const unknown = await buyer.account.client.post("/billing/credit-packs/checkout", {
      pack_id: "tokens_1b",
      return_base_url: "/billing",
    });
    expect(unknown.status).toBe(404);
    expect(fakeStripe.requestsTo("POST", "/v1/checkout/sessions").length).toBe(calls);
  });

  it("sells the packs of CREDIT_PACKS_JSON, unless a sys_admin stored the credit_packs setting, which wins", async () => {
    const packs = [{ id: "starter", name: "Starter", tokens: 1_000_000, price_cents: 900, currency: "eur" }];
    const buyer = await newBuyer({ env: { CREDIT_PACKS_JSON: JSON.stringify(packs) } });
    expect(await (await buyer.account.client.get("/billing/credit-packs")).json()).toMatchObject({ packs });
    const sessionId = await startCheckout(buyer, "starter");
    expect(fakeStripe.checkoutSessions.get(sessionId)).toMatchObject({ amount_total: 900, currency: "eur" });

    const admin = await createSysAdmin();
    const stored = [{ id: "bulk", name: "Bulk", tokens: 100_000_000, price_cents: 49_900, currency: "usd" }];
    expect((await admin.client.put("/settings/system/credit_packs", { value: stored })).status).toBe(200);
    expect(await (await buyer.account.client.get("/billing/credit-packs")).json()).toMatchObject({ packs: stored });
    expect((await admin.client.put("/settings/system/credit_packs", { value: [{ id: "x" }] })).status).toBe(422);
    await env.DB.prepare("DELETE FROM setting WHERE scope = 'system' AND key = 'credit_packs'").run();
  });

  it("an invalid CREDIT_PACKS_JSON is 503 MISCONFIGURED naming it, on the billing routes only", async () => {
    // A billing problem turns billing off until it is fixed: no Stripe customer is created either.
    const { client } = await signedInAccount({ client: { env: { CREDIT_PACKS_JSON: '[{"id":"free","tokens":-5}]' } } });
    for (const response of [
      await client.get("/billing/credit-packs"),
      await client.post("/subscription/manage", { return_url: "/billing" }),
    ]) {
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({
        error: { code: "MISCONFIGURED", details: { settings: ["CREDIT_PACKS_JSON"] } },
      });
    }
    expect((await client.get("/users/me")).status).toBe(200);
  });
});

describe("fulfilment: exactly one credit per paid Checkout Session", () => {
  it("end to end: checkout, pending, paid, webhook credits, verify confirms, a second purchase by verify first; the ledger is exact", async () => {
    const buyer = await newBuyer();
    const first = await startCheckout(buyer, "tokens_5m");
    expect(await verify(buyer, first)).toEqual({
      status: 200,
      body: { status: "pending", tokens: 5_000_000, credit_balance_tokens: 0 },
    });

    fakeStripe.payCheckoutSession(first);
    const completed = fakeStripe.checkoutCompletedEvent(first);
    expect(await deliverStripeEvent(completed)).toEqual({ status: 200, body: { received: true, result: "applied" } });
    expect(await verify(buyer, first)).toEqual({
      status: 200,
      body: { status: "fulfilled", tokens: 5_000_000, credit_balance_tokens: 5_000_000 },
    });
    // Stripe's retry of the same event, and a verify again: nothing moves.
    expect((await deliverStripeEvent(completed)).body.result).toBe("already_processed");
    expect((await verify(buyer, first)).body.credit_balance_tokens).toBe(5_000_000);

    const second = await startCheckout(buyer, "tokens_25m");
    fakeStripe.payCheckoutSession(second);
    expect(await verify(buyer, second)).toEqual({
      status: 200,
      body: { status: "fulfilled", tokens: 25_000_000, credit_balance_tokens: 30_000_000 },
    });
    // The webhook arrives after verify: recorded, no second credit.
    const late = fakeStripe.checkoutCompletedEvent(second);
    expect((await deliverStripeEvent(late)).body.result).toBe("unchanged");
    expect(await countStripeEvents(late.id)).toBe(1);

    expect(await readLedger(buyer.organizationId)).toEqual([
      { organization_id: buyer.organizationId, tokens: 5_000_000, kind: "purchase", payment_reference: first },
      { organization_id: buyer.organizationId, tokens: 25_000_000, kind: "purchase", payment_reference: second },
    ]);
    expect((await readOrganizationBilling(buyer.organizationId)).credit_balance_tokens).toBe(30_000_000);
    const audited = await auditRows("credits_purchased", buyer.organizationId);
    expect(audited.map((row) => [row.target, JSON.parse(row.details!).via])).toEqual([
      [first, "webhook"],
      [second, "verify"],
    ]);
  });

  it("webhook and verify racing for the same purchase (with Stripe's duplicate deliveries) credit it exactly once", async () => {
    const buyer = await newBuyer();
    const sessionId = await startCheckout(buyer, "tokens_10m");
    fakeStripe.payCheckoutSession(sessionId);
    const event = fakeStripe.checkoutCompletedEvent(sessionId);
    // A second event for the same session (checkout.session.async_payment_succeeded after a delay).
    const asyncEvent = eventFixture("checkout.session.async_payment_succeeded", structuredClone(event.data.object));
    const outcomes = await Promise.all([
      deliverStripeEvent(event),
      verify(buyer, sessionId),
      deliverStripeEvent(event),
      verify(buyer, sessionId),
      deliverStripeEvent(asyncEvent),
      verify(buyer, sessionId),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await readLedger(buyer.organizationId)).toHaveLength(1);
    expect((await readOrganizationBilling(buyer.organizationId)).credit_balance_tokens).toBe(10_000_000);
    expect(await auditRows("credits_purchased", buyer.organizationId)).toHaveLength(1);
  });

  it("Stripe API down during verify: 502 UPSTREAM_UNAVAILABLE, nothing credited; verify succeeds once Stripe is back", async () => {
    const buyer = await newBuyer();
    const sessionId = await startCheckout(buyer);
    fakeStripe.payCheckoutSession(sessionId);
    for (const outage of ["network", "error"] as const) {
      fakeStripe.outage = outage;
      const response = await verify(buyer, sessionId);
      expect
        .soft(response, outage)
        .toEqual({ status: 502, body: { error: { code: "UPSTREAM_UNAVAILABLE", message: expect.any(String) } } });
    }
    expect(await readLedger(buyer.organizationId)).toEqual([]);
    fakeStripe.outage = "up";
    expect((await verify(buyer, sessionId)).body).toMatchObject({
      status: "fulfilled",
      credit_balance_tokens: 5_000_000,
    });
  });

  it("another organization's session is 404, like a missing one, and credits nobody", async () => {
    const owner = await newBuyer();
    const intruder = await newBuyer();
    const sessionId = await startCheckout(owner);
    fakeStripe.payCheckoutSession(sessionId);
    const calls = fakeStripe.requestsTo("GET", `/v1/checkout/sessions/${sessionId}`).length;
    const foreign = await verify(intruder, sessionId);
    const missing = await verify(intruder, "cs_test_doesNotExist0000000000");
    expect(foreign).toEqual({
      status: 404,
      body: { error: { code: "NOT_FOUND", message: "No such checkout session." } },
    });
    expect(missing).toEqual(foreign);
    expect(fakeStripe.requestsTo("GET", `/v1/checkout/sessions/${sessionId}`).length).toBe(calls + 1);
    expect(await readLedger(owner.organizationId)).toEqual([]);
    expect(await readLedger(intruder.organizationId)).toEqual([]);
  });

  it("a malformed session id is 404 without asking Stripe", async () => {
    const buyer = await newBuyer();
    const calls = fakeStripe.requests.length;
    for (const sessionId of ["../v1/customers", "cs_test_a/../../x", "pi_123", "cs_test_"]) {
      expect.soft((await verify(buyer, sessionId)).status, sessionId).toBe(404);
    }
    expect(fakeStripe.requests.length).toBe(calls);
  });

  it("a completed but unpaid session (asynchronous payment) waits for async_payment_succeeded", async () => {
    const buyer = await newBuyer();
    const sessionId = await startCheckout(buyer);
    fakeStripe.payCheckoutSession(sessionId, { paymentStatus: "unpaid" });
    const completed = fakeStripe.checkoutCompletedEvent(sessionId);
    expect((await deliverStripeEvent(completed)).body.result).toBe("unchanged");
    expect((await verify(buyer, sessionId)).body).toMatchObject({ status: "pending", credit_balance_tokens: 0 });

    fakeStripe.payCheckoutSession(sessionId);
    const succeeded = eventFixture(
      "checkout.session.async_payment_succeeded",
      structuredClone(fakeStripe.checkoutSessions.get(sessionId)!),
    );
    expect((await deliverStripeEvent(succeeded)).body.result).toBe("applied");
    expect((await readOrganizationBilling(buyer.organizationId)).credit_balance_tokens).toBe(5_000_000);
  });

  it("credits the tokens sold at checkout, even if the pack was redefined before verify", async () => {
    const sold = [{ id: "starter", name: "Starter", tokens: 1_000_000, price_cents: 900, currency: "usd" }];
    const buyer = await newBuyer({ env: { CREDIT_PACKS_JSON: JSON.stringify(sold) } });
    const sessionId = await startCheckout(buyer, "starter");
    fakeStripe.payCheckoutSession(sessionId);
    // The deployment now sells "starter" as 2M tokens; this purchase was 1M.
    const redefined = [{ ...sold[0]!, tokens: 2_000_000 }];
    const client = createClient({ env: { CREDIT_PACKS_JSON: JSON.stringify(redefined) } });
    expect(
      (await client.post("/auth/login", { email: buyer.account.email, password: buyer.account.password })).status,
    ).toBe(200);
    const response = await client.post("/billing/credit-packs/verify", { session_id: sessionId });
    expect(await response.json()).toEqual({ status: "fulfilled", tokens: 1_000_000, credit_balance_tokens: 1_000_000 });
  });

  it("checkouts that are not credit packs of ours are recorded and change nothing; ours with bad metadata are audited failures", async () => {
    const buyer = await newBuyer();
    const sessionId = await startCheckout(buyer);
    const paid = fakeStripe.payCheckoutSession(sessionId);

    const foreign: Stripe.Checkout.Session = { ...structuredClone(paid), id: stripeId("cs_test"), metadata: {} };
    const foreignEvent = eventFixture("checkout.session.completed", foreign);
    expect((await deliverStripeEvent(foreignEvent)).body.result).toBe("unchanged");
    expect(await countStripeEvents(foreignEvent.id)).toBe(1);

    const forged: Stripe.Checkout.Session = {
      ...structuredClone(paid),
      id: stripeId("cs_test"),
      metadata: { ...paid.metadata, tokens: "-5" },
    };
    expect((await deliverStripeEvent(eventFixture("checkout.session.completed", forged))).body.result).toBe("failed");

    const otherCustomer: Stripe.Checkout.Session = {
      ...structuredClone(paid),
      id: stripeId("cs_test"),
      customer: stripeId("cus"),
    };
    expect((await deliverStripeEvent(eventFixture("checkout.session.completed", otherCustomer))).body.result).toBe(
      "failed",
    );
    expect(await readLedger(buyer.organizationId)).toEqual([]);
    const reasons = (await auditRows("stripe_webhook_failed", buyer.organizationId)).map(
      (row) => JSON.parse(row.details!).reason,
    );
    expect(reasons).toEqual(["customer_mismatch"]);
  });
});

describe("SEC-51 the event id is the batch's first statement", () => {
  it("applying an event whose id is already recorded fails the whole batch with the replay error, and changes nothing", async () => {
    const buyer = await newBuyer();
    const now = nowSeconds();
    const event = eventFixture(
      "customer.subscription.created",
      subscriptionFixture({
        customer: buyer.customerId,
        productId: stripeId("prod"),
        status: "canceled",
        periodStart: now,
        periodEnd: now + 60,
      }),
      { created: now },
    );
    await env.DB.prepare("INSERT INTO stripe_event (id, type, object_created_at, processed_at) VALUES (?, ?, ?, ?)")
      .bind(event.id, event.type, now * 1000, Date.now())
      .run();
    await env.DB.prepare("UPDATE plan SET stripe_product_id = ? WHERE id = 'plan_premium'")
      .bind(event.data.object.items.data[0]!.price.product as string)
      .run();
    const before = await readOrganizationBilling(buyer.organizationId);
    const error = await applySubscriptionEvent(testServiceContext(), event).catch((caught: unknown) => caught);
    expect(isStripeEventReplay(error)).toBe(true);
    expect(await readOrganizationBilling(buyer.organizationId)).toEqual(before);
    expect(await auditRows("subscription_changed", buyer.organizationId)).toEqual([]);
    await env.DB.prepare("UPDATE plan SET stripe_product_id = NULL WHERE id = 'plan_premium'").run();
  });
});
