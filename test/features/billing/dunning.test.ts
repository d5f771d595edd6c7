// Dunning: a failed invoice payment starts a grace period (BILLING_GRACE_DAYS, 7 in tests) and
// tells the org_admins; invoice.paid ends it; past it, the maintenance job moves the organization
// to the default plan and tells them. A deleted subscription keeps its plan to the end of the
// period Stripe says was paid. Events signed by the real SDK, delivered to POST /webhooks/stripe.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { runMaintenance } from "../../../src/cron/maintenance";
import { readOutbox, signedInAccount, type Account } from "../../helpers/accounts";
import { auditRows, customerOf, deliverStripeEvent, readOrganizationBilling } from "../../helpers/billing";
import { uniqueStripeProductId } from "../../helpers/plans";
import { eventFixture, invoiceFixture, nowSeconds, stripeId, subscriptionFixture } from "../../helpers/stripe-fixtures";

const DAY_MS = 86_400_000;
const PLAN_ID = `plan_dunning_${crypto.randomUUID()}`;
const PRODUCT = uniqueStripeProductId();

interface Customer {
  account: Account;
  organizationId: string;
  customerId: string;
}

async function newSubscriber(status: "active" | "past_due" = "active", periodEndSeconds = nowSeconds() + 20 * 86_400) {
  const account = await signedInAccount();
  const { id: organizationId } = (await (await account.client.get("/organization")).json()) as { id: string };
  const customer: Customer = { account, organizationId, customerId: await customerOf(organizationId) };
  const subscriptionId = stripeId("sub");
  await deliverSubscription(customer, "customer.subscription.created", { subscriptionId, status, periodEndSeconds });
  expect((await readOrganizationBilling(organizationId)).plan_id).toBe(PLAN_ID);
  return { ...customer, subscriptionId };
}

async function deliverSubscription(
  customer: Customer,
  type: "customer.subscription.created" | "customer.subscription.updated" | "customer.subscription.deleted",
  input: {
    subscriptionId: string;
    status: "active" | "past_due" | "canceled";
    periodEndSeconds: number;
    created?: number;
  },
) {
  const subscription = subscriptionFixture({
    id: input.subscriptionId,
    customer: customer.customerId,
    productId: PRODUCT,
    status: input.status,
    periodStart: input.periodEndSeconds - 30 * 86_400,
    periodEnd: input.periodEndSeconds,
  });
  return deliverStripeEvent(eventFixture(type, subscription, { created: input.created ?? nowSeconds() }));
}

function invoiceEvent(type: "invoice.payment_failed" | "invoice.paid", customerId: string, invoiceId: string) {
  return eventFixture(type, invoiceFixture({ id: invoiceId, customer: customerId }));
}

async function billingState(organizationId: string) {
  return env.DB.prepare(
    "SELECT plan_id, billing_grace_ends_at, billing_downgraded_at, plan_ends_at FROM organization WHERE id = ?",
  )
    .bind(organizationId)
    .first<{
      plan_id: string | null;
      billing_grace_ends_at: number | null;
      billing_downgraded_at: number | null;
      plan_ends_at: number | null;
    }>();
}

beforeAll(async () => {
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO plan (id, name, stripe_product_id, is_default, features, created_at, updated_at) VALUES (?, 'Dunning Pro', ?, 0, ?, ?, ?)",
  )
    .bind(PLAN_ID, PRODUCT, JSON.stringify({ max_notes: -1, token_limit: 1_000_000, enable_ai: true }), now, now)
    .run();
});

describe("failed payments (dunning)", () => {
  it("invoice.payment_failed starts a 7-day grace period once and emails the org_admins; invoice.paid ends it; the plan never moves", async () => {
    const customer = await newSubscriber();
    const invoiceId = stripeId("in");
    const before = Date.now();
    expect(
      (await deliverStripeEvent(invoiceEvent("invoice.payment_failed", customer.customerId, invoiceId))).body.result,
    ).toBe("applied");
    const started = await billingState(customer.organizationId);
    expect(started!.billing_grace_ends_at).toBeGreaterThanOrEqual(before + 7 * DAY_MS);
    expect(started!.billing_grace_ends_at).toBeLessThanOrEqual(Date.now() + 7 * DAY_MS);
    expect(started!.plan_id).toBe(PLAN_ID);
    const emails = await readOutbox(customer.account.client, customer.account.email);
    expect(emails.map((email) => email.subject)).toContain("A payment failed: update your payment method");

    // Stripe retries the charge: a second failure of the same invoice does not restart the clock.
    expect(
      (await deliverStripeEvent(invoiceEvent("invoice.payment_failed", customer.customerId, invoiceId))).body.result,
    ).toBe("unchanged");
    expect((await billingState(customer.organizationId))!.billing_grace_ends_at).toBe(started!.billing_grace_ends_at);

    expect((await deliverStripeEvent(invoiceEvent("invoice.paid", customer.customerId, invoiceId))).body.result).toBe(
      "applied",
    );
    expect(await billingState(customer.organizationId)).toMatchObject({
      plan_id: PLAN_ID,
      billing_grace_ends_at: null,
    });
    expect(await auditRows("payment_failed", customer.organizationId)).toHaveLength(1);
    expect(await auditRows("payment_recovered", customer.organizationId)).toHaveLength(1);
  });

  it("an invoice.paid delivered before the invoice.payment_failed of the same invoice: no grace period starts", async () => {
    const customer = await newSubscriber();
    const invoiceId = stripeId("in");
    expect((await deliverStripeEvent(invoiceEvent("invoice.paid", customer.customerId, invoiceId))).body.result).toBe(
      "unchanged",
    );
    expect(
      (await deliverStripeEvent(invoiceEvent("invoice.payment_failed", customer.customerId, invoiceId))).body.result,
    ).toBe("unchanged");
    expect((await billingState(customer.organizationId))!.billing_grace_ends_at).toBeNull();
  });

  it("past the grace period the maintenance job moves the organization to the default plan once and tells its org_admins; paying brings the plan back", async () => {
    const customer = await newSubscriber();
    const invoiceId = stripeId("in");
    await deliverStripeEvent(invoiceEvent("invoice.payment_failed", customer.customerId, invoiceId));
    await deliverSubscription(customer, "customer.subscription.updated", {
      subscriptionId: customer.subscriptionId,
      status: "past_due",
      periodEndSeconds: nowSeconds() + 20 * 86_400,
    });
    expect((await billingState(customer.organizationId))!.plan_id).toBe(PLAN_ID);
    // The grace period runs out (moved into the past rather than waiting 7 days).
    await env.DB.prepare("UPDATE organization SET billing_grace_ends_at = ? WHERE id = ?")
      .bind(Date.now() - 1, customer.organizationId)
      .run();
    const note = await customer.account.client.post("/notes", { title: "kept", content: "data stays" });
    expect(note.status).toBe(201);

    await runMaintenance(env, "test");
    expect(await billingState(customer.organizationId)).toMatchObject({ plan_id: null });
    expect((await billingState(customer.organizationId))!.billing_downgraded_at).not.toBeNull();
    expect(((await (await customer.account.client.get("/plan")).json()) as { plan: { name: string } }).plan.name).toBe(
      "Free",
    );
    expect((await customer.account.client.get("/notes")).status).toBe(200);
    const subjects = (await readOutbox(customer.account.client, customer.account.email)).map((email) => email.subject);
    expect(subjects.filter((subject) => subject === "Your organization moved to the free plan")).toHaveLength(1);
    await runMaintenance(env, "test");
    expect(await auditRows("plan_downgraded_unpaid", customer.organizationId)).toHaveLength(1);

    // Stripe still retries the charge (past_due): that does not hand the paid plan back.
    await deliverSubscription(customer, "customer.subscription.updated", {
      subscriptionId: customer.subscriptionId,
      status: "past_due",
      periodEndSeconds: nowSeconds() + 20 * 86_400,
      created: nowSeconds() + 1,
    });
    expect((await billingState(customer.organizationId))!.plan_id).toBeNull();
    // Paid at last: the grace period ends, and Stripe's active subscription brings the plan back.
    await deliverStripeEvent(invoiceEvent("invoice.paid", customer.customerId, invoiceId));
    await deliverSubscription(customer, "customer.subscription.updated", {
      subscriptionId: customer.subscriptionId,
      status: "active",
      periodEndSeconds: nowSeconds() + 20 * 86_400,
      created: nowSeconds() + 2,
    });
    expect(await billingState(customer.organizationId)).toMatchObject({
      plan_id: PLAN_ID,
      billing_grace_ends_at: null,
      billing_downgraded_at: null,
    });
  });

  it("customer.subscription.deleted keeps the plan until the end of the period Stripe gives, then the maintenance job ends it", async () => {
    const periodEnd = nowSeconds() + 10 * 86_400;
    const customer = await newSubscriber("active", periodEnd);
    const deleted = await deliverSubscription(customer, "customer.subscription.deleted", {
      subscriptionId: customer.subscriptionId,
      status: "canceled",
      periodEndSeconds: periodEnd,
      created: nowSeconds() + 1,
    });
    expect(deleted.body.result).toBe("applied");
    expect(await billingState(customer.organizationId)).toMatchObject({
      plan_id: PLAN_ID,
      plan_ends_at: periodEnd * 1000,
    });
    await runMaintenance(env, "test");
    expect((await billingState(customer.organizationId))!.plan_id).toBe(PLAN_ID);

    await env.DB.prepare("UPDATE organization SET plan_ends_at = ? WHERE id = ?")
      .bind(Date.now() - 1, customer.organizationId)
      .run();
    expect((await runMaintenance(env, "test")).billing.dunning.plans_ended).toBeGreaterThanOrEqual(1);
    expect(await readOrganizationBilling(customer.organizationId)).toMatchObject({
      plan_id: null,
      current_period_start: null,
      current_period_end: null,
    });
  });
});
