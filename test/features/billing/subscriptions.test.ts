// Subscription webhooks drive the organization's plan (SEC-51): once per event, never backwards.
import { beforeAll, describe, expect, it } from "vitest";
import type Stripe from "stripe";
import { signedInAccount, type Account } from "../../helpers/accounts";
import { createSysAdmin, type Member } from "../../helpers/orgs";
import { eventFixture, nowSeconds, stripeId, subscriptionFixture } from "../../helpers/stripe-fixtures";
import {
  auditRows,
  countStripeEvents,
  customerOf,
  deliverStripeEvent,
  readOrganizationBilling,
} from "../../helpers/billing";

type SubscriptionEventType =
  | "customer.subscription.created"
  | "customer.subscription.updated"
  | "customer.subscription.deleted";

interface Customer {
  account: Account;
  organizationId: string;
  customerId: string;
}

let sysAdmin: Member;
const PRODUCT = { professional: stripeId("prod"), premium: stripeId("prod") };
const DAY = 24 * 60 * 60;

/** Maps a seeded plan to a Stripe product through the admin API, as an operator would. */
async function mapProduct(planId: string, productId: string | null): Promise<void> {
  const current = (await (await sysAdmin.client.get(`/admin/plans/${planId}`)).json()) as {
    name: string;
    features: Record<string, unknown>;
  };
  const response = await sysAdmin.client.put(`/admin/plans/${planId}`, {
    name: current.name,
    stripe_product_id: productId,
    features: current.features,
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

async function newCustomer(): Promise<Customer> {
  const account = await signedInAccount();
  const { id } = (await (await account.client.get("/organization")).json()) as { id: string };
  return { account, organizationId: id, customerId: await customerOf(id) };
}

function subscriptionEvent(
  type: SubscriptionEventType,
  input: {
    customer: string;
    subscriptionId: string;
    productId: string;
    status?: Stripe.Subscription.Status;
    created: number;
    period?: [number, number];
  },
) {
  // A deleted subscription's period is the one that just ran out (Stripe cancels at period end);
  // dunning.test.ts covers one deleted while its paid period still runs.
  const [periodStart, periodEnd] =
    input.period ??
    (type === "customer.subscription.deleted"
      ? [input.created - 30 * DAY, input.created]
      : [input.created - DAY, input.created + 29 * DAY]);
  const subscription = subscriptionFixture({
    id: input.subscriptionId,
    customer: input.customer,
    productId: input.productId,
    status: input.status ?? (type === "customer.subscription.deleted" ? "canceled" : "active"),
    periodStart,
    periodEnd,
  });
  return eventFixture(type, subscription, { created: input.created });
}

async function planOf(
  customer: Customer,
): Promise<{ name: string | null; source: string; start: string; end: string; subscription: unknown }> {
  const response = await customer.account.client.get("/plan");
  expect(response.status).toBe(200);
  const body = (await response.json()) as {
    plan: { name: string } | null;
    period: { start: string; end: string; source: string };
    subscription: unknown;
  };
  return { name: body.plan?.name ?? null, ...body.period, subscription: body.subscription };
}

beforeAll(async () => {
  sysAdmin = await createSysAdmin();
  await mapProduct("plan_professional", PRODUCT.professional);
  await mapProduct("plan_premium", PRODUCT.premium);
});

describe("a subscription's lifecycle", () => {
  it("created → updated to another plan → deleted: Professional, then Premium, then the default plan again", async () => {
    const customer = await newCustomer();
    const subscriptionId = stripeId("sub");
    const t0 = nowSeconds() - 120;
    expect((await planOf(customer)).name).toBe("Free");

    const created = subscriptionEvent("customer.subscription.created", {
      customer: customer.customerId,
      subscriptionId,
      productId: PRODUCT.professional,
      created: t0,
      period: [t0, t0 + 30 * DAY],
    });
    expect(await deliverStripeEvent(created)).toEqual({ status: 200, body: { received: true, result: "applied" } });
    expect(await readOrganizationBilling(customer.organizationId)).toMatchObject({
      plan_id: "plan_professional",
      stripe_subscription_id: subscriptionId,
      subscription_status: "active",
      current_period_start: t0 * 1000,
      current_period_end: (t0 + 30 * DAY) * 1000,
    });
    expect(await planOf(customer)).toMatchObject({
      name: "Professional",
      source: "subscription",
      start: new Date(t0 * 1000).toISOString(),
      end: new Date((t0 + 30 * DAY) * 1000).toISOString(),
    });

    const upgraded = subscriptionEvent("customer.subscription.updated", {
      customer: customer.customerId,
      subscriptionId,
      productId: PRODUCT.premium,
      created: t0 + 60,
      period: [t0, t0 + 30 * DAY],
    });
    expect((await deliverStripeEvent(upgraded)).body.result).toBe("applied");
    expect((await planOf(customer)).name).toBe("Premium");

    const deleted = subscriptionEvent("customer.subscription.deleted", {
      customer: customer.customerId,
      subscriptionId,
      productId: PRODUCT.premium,
      created: t0 + 90,
    });
    expect((await deliverStripeEvent(deleted)).body.result).toBe("applied");
    expect(await readOrganizationBilling(customer.organizationId)).toMatchObject({
      plan_id: null,
      stripe_subscription_id: subscriptionId,
      subscription_status: "canceled",
      current_period_start: null,
      current_period_end: null,
    });
    expect(await planOf(customer)).toMatchObject({ name: "Free", source: "calendar_month" });

    const audited = await auditRows("subscription_changed", customer.organizationId);
    expect(audited.map((row) => JSON.parse(row.details!).event_type)).toEqual([
      "customer.subscription.created",
      "customer.subscription.updated",
      "customer.subscription.deleted",
    ]);
    for (const event of [created, upgraded, deleted]) expect(await countStripeEvents(event.id)).toBe(1);
  });

  it("a subscription that is not paid yet (incomplete) keeps the default plan until it becomes active", async () => {
    const customer = await newCustomer();
    const subscriptionId = stripeId("sub");
    const t0 = nowSeconds() - 60;
    const base = { customer: customer.customerId, subscriptionId, productId: PRODUCT.professional };
    await deliverStripeEvent(
      subscriptionEvent("customer.subscription.created", { ...base, status: "incomplete", created: t0 }),
    );
    expect(await readOrganizationBilling(customer.organizationId)).toMatchObject({
      plan_id: null,
      subscription_status: "incomplete",
    });
    await deliverStripeEvent(
      subscriptionEvent("customer.subscription.updated", { ...base, status: "active", created: t0 + 5 }),
    );
    expect((await readOrganizationBilling(customer.organizationId)).plan_id).toBe("plan_professional");
  });
});

describe("SEC-51 each event once, and never backwards", () => {
  it("a replayed event is 200 already_processed and changes nothing, even after later events", async () => {
    const customer = await newCustomer();
    const subscriptionId = stripeId("sub");
    const t0 = nowSeconds() - 60;
    const created = subscriptionEvent("customer.subscription.created", {
      customer: customer.customerId,
      subscriptionId,
      productId: PRODUCT.professional,
      created: t0,
    });
    expect((await deliverStripeEvent(created)).body.result).toBe("applied");
    const applied = await readOrganizationBilling(customer.organizationId);
    expect(await deliverStripeEvent(created)).toEqual({
      status: 200,
      body: { received: true, result: "already_processed" },
    });
    expect(await readOrganizationBilling(customer.organizationId)).toEqual(applied);

    const upgraded = subscriptionEvent("customer.subscription.updated", {
      customer: customer.customerId,
      subscriptionId,
      productId: PRODUCT.premium,
      created: t0 + 10,
    });
    await deliverStripeEvent(upgraded);
    expect((await deliverStripeEvent(created)).body.result).toBe("already_processed");
    expect((await readOrganizationBilling(customer.organizationId)).plan_id).toBe("plan_premium");
    expect(await countStripeEvents(created.id)).toBe(1);
    expect(await auditRows("subscription_changed", customer.organizationId)).toHaveLength(2);
  });

  it("the same event delivered five times at once is applied once", async () => {
    const customer = await newCustomer();
    const event = subscriptionEvent("customer.subscription.created", {
      customer: customer.customerId,
      subscriptionId: stripeId("sub"),
      productId: PRODUCT.professional,
      created: nowSeconds() - 10,
    });
    const deliveries = await Promise.all(Array.from({ length: 5 }, () => deliverStripeEvent(event)));
    expect(deliveries.map((delivery) => delivery.status)).toEqual([200, 200, 200, 200, 200]);
    expect(deliveries.map((delivery) => delivery.body.result).sort()).toEqual([
      "already_processed",
      "already_processed",
      "already_processed",
      "already_processed",
      "applied",
    ]);
    expect(await countStripeEvents(event.id)).toBe(1);
    expect(await auditRows("subscription_changed", customer.organizationId)).toHaveLength(1);
  });

  it("an older updated event delivered after a newer one is recorded and changes nothing", async () => {
    const customer = await newCustomer();
    const subscriptionId = stripeId("sub");
    const t0 = nowSeconds() - 300;
    const base = { customer: customer.customerId, subscriptionId };
    const older = subscriptionEvent("customer.subscription.updated", {
      ...base,
      productId: PRODUCT.professional,
      created: t0,
    });
    const newer = subscriptionEvent("customer.subscription.updated", {
      ...base,
      productId: PRODUCT.premium,
      created: t0 + 60,
    });

    expect((await deliverStripeEvent(newer)).body.result).toBe("applied");
    const state = await readOrganizationBilling(customer.organizationId);
    expect(await deliverStripeEvent(older)).toEqual({ status: 200, body: { received: true, result: "unchanged" } });
    expect(await readOrganizationBilling(customer.organizationId)).toEqual(state);
    expect(state.plan_id).toBe("plan_premium");
    // Recorded: a redelivery of the stale event is a replay, not a second evaluation.
    expect(await countStripeEvents(older.id)).toBe(1);
  });

  it("an old deleted event cannot cancel the subscription that replaced it", async () => {
    const customer = await newCustomer();
    const t0 = nowSeconds() - 300;
    const first = stripeId("sub");
    const second = stripeId("sub");
    await deliverStripeEvent(
      subscriptionEvent("customer.subscription.created", {
        customer: customer.customerId,
        subscriptionId: second,
        productId: PRODUCT.premium,
        created: t0 + 100,
      }),
    );
    // The first subscription's end, delivered late (and even if it were newer): not the one followed.
    const lateEnd = subscriptionEvent("customer.subscription.deleted", {
      customer: customer.customerId,
      subscriptionId: first,
      productId: PRODUCT.professional,
      created: t0 + 200,
    });
    expect((await deliverStripeEvent(lateEnd)).body.result).toBe("unchanged");
    expect(await readOrganizationBilling(customer.organizationId)).toMatchObject({
      plan_id: "plan_premium",
      stripe_subscription_id: second,
      subscription_status: "active",
    });
  });

  it("within one second, updated beats created and deleted beats both, whatever the delivery order", async () => {
    const customer = await newCustomer();
    const subscriptionId = stripeId("sub");
    const second = nowSeconds() - 30;
    const base = { customer: customer.customerId, subscriptionId, created: second };
    const created = subscriptionEvent("customer.subscription.created", {
      ...base,
      productId: PRODUCT.professional,
      status: "incomplete",
    });
    const updated = subscriptionEvent("customer.subscription.updated", {
      ...base,
      productId: PRODUCT.professional,
      status: "active",
    });
    const deleted = subscriptionEvent("customer.subscription.deleted", { ...base, productId: PRODUCT.professional });

    expect((await deliverStripeEvent(updated)).body.result).toBe("applied");
    expect((await deliverStripeEvent(created)).body.result).toBe("unchanged");
    expect(await readOrganizationBilling(customer.organizationId)).toMatchObject({
      plan_id: "plan_professional",
      subscription_status: "active",
    });
    expect((await deliverStripeEvent(deleted)).body.result).toBe("applied");
    expect((await deliverStripeEvent(updated)).body.result).toBe("already_processed");
    expect(await readOrganizationBilling(customer.organizationId)).toMatchObject({
      plan_id: null,
      subscription_status: "canceled",
    });
  });
});

describe("endpoints on older API versions", () => {
  it("read the period from the subscription when its items do not carry one (before 2025-03-31)", async () => {
    const customer = await newCustomer();
    const t0 = nowSeconds() - 100;
    const event = subscriptionEvent("customer.subscription.created", {
      customer: customer.customerId,
      subscriptionId: stripeId("sub"),
      productId: PRODUCT.professional,
      created: t0,
      period: [t0, t0 + 30 * DAY],
    });
    // The shape of such an event on the wire: the period moves from the item to the subscription.
    const legacy = event.data.object as unknown as Record<string, unknown>;
    const item = event.data.object.items.data[0]! as unknown as Record<string, unknown>;
    legacy.current_period_start = item.current_period_start;
    legacy.current_period_end = item.current_period_end;
    delete item.current_period_start;
    delete item.current_period_end;
    expect((await deliverStripeEvent(event)).body.result).toBe("applied");
    expect(await readOrganizationBilling(customer.organizationId)).toMatchObject({
      plan_id: "plan_professional",
      current_period_start: t0 * 1000,
      current_period_end: (t0 + 30 * DAY) * 1000,
    });
  });
});

describe("events that cannot be applied", () => {
  it("an unknown product id: 200 failed, audited for the organization, plan unchanged, and applied when resent after mapping", async () => {
    const customer = await newCustomer();
    const unmapped = stripeId("prod");
    const event = subscriptionEvent("customer.subscription.created", {
      customer: customer.customerId,
      subscriptionId: stripeId("sub"),
      productId: unmapped,
      created: nowSeconds() - 30,
    });
    const before = await readOrganizationBilling(customer.organizationId);
    expect(await deliverStripeEvent(event)).toEqual({ status: 200, body: { received: true, result: "failed" } });
    expect(await readOrganizationBilling(customer.organizationId)).toEqual(before);
    expect(await countStripeEvents(event.id)).toBe(0);
    const [failure] = await auditRows("stripe_webhook_failed", customer.organizationId);
    expect(failure!.target).toBe(event.id);
    expect(JSON.parse(failure!.details!)).toMatchObject({ reason: "unknown_product", stripe_product_ids: [unmapped] });

    // The operator creates the plan for that product, then resends the event from the dashboard.
    const created = await sysAdmin.client.post("/admin/plans", {
      name: "Team",
      stripe_product_id: unmapped,
      features: { max_notes: 500 },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { id: teamPlanId } = (await created.json()) as { id: string };
    expect((await deliverStripeEvent(event)).body.result).toBe("applied");
    expect((await readOrganizationBilling(customer.organizationId)).plan_id).toBe(teamPlanId);
    expect((await planOf(customer)).name).toBe("Team");
  });

  it("a customer that is no organization's: 200 failed, audited, nothing changes", async () => {
    const stranger = stripeId("cus");
    const event = subscriptionEvent("customer.subscription.updated", {
      customer: stranger,
      subscriptionId: stripeId("sub"),
      productId: PRODUCT.professional,
      created: nowSeconds(),
    });
    expect((await deliverStripeEvent(event)).body.result).toBe("failed");
    const failures = await auditRows("stripe_webhook_failed", null);
    expect(
      failures.some((row) => row.target === event.id && JSON.parse(row.details!).reason === "unknown_customer"),
    ).toBe(true);
    expect(await countStripeEvents(event.id)).toBe(0);
  });

  it("event types this API does not handle are acknowledged and not recorded", async () => {
    const customer = await newCustomer();
    const subscription = subscriptionFixture({
      customer: customer.customerId,
      productId: PRODUCT.premium,
      status: "active",
      periodStart: nowSeconds(),
      periodEnd: nowSeconds() + 30 * DAY,
    });
    const event = eventFixture("customer.subscription.trial_will_end", subscription);
    expect(await deliverStripeEvent(event)).toEqual({ status: 200, body: { received: true, result: "ignored" } });
    expect(await countStripeEvents(event.id)).toBe(0);
    expect((await readOrganizationBilling(customer.organizationId)).plan_id).toBeNull();
  });
});
