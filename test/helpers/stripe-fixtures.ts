// Stripe objects and events as Stripe sends them, typed with the SDK's own types (API version
// of the pinned SDK), so a fixture that drifts from Stripe's wire format does not compile.
import Stripe from "stripe";

let sequence = 0;

/** An id in Stripe's style: prefix, underscore, 24 alphanumerics. */
export function stripeId(prefix: string): string {
  sequence++;
  const random = crypto.randomUUID().replaceAll("-", "").slice(0, 18);
  return `${prefix}_${random}${sequence.toString(36).padStart(6, "0")}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function customerFixture(input: {
  id?: string;
  name?: string | null;
  email?: string | null;
  metadata?: Record<string, string>;
}): Stripe.Customer {
  return {
    id: input.id ?? stripeId("cus"),
    object: "customer",
    address: null,
    balance: 0,
    created: nowSeconds(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    email: input.email ?? null,
    invoice_prefix: "A1B2C3D4",
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: input.metadata ?? {},
    name: input.name ?? null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: "none",
    test_clock: null,
  };
}

export function portalSessionFixture(input: {
  customer: string;
  returnURL: string | null;
}): Stripe.BillingPortal.Session {
  const id = stripeId("bps");
  return {
    id,
    object: "billing_portal.session",
    configuration: stripeId("bpc"),
    created: nowSeconds(),
    customer: input.customer,
    customer_account: null,
    flow: null,
    livemode: false,
    locale: null,
    on_behalf_of: null,
    return_url: input.returnURL,
    url: `https://billing.stripe.com/p/session/test_${id.slice(4)}`,
  };
}

export interface CheckoutInput {
  customer: string;
  metadata: Record<string, string>;
  amountTotal: number;
  currency: string;
  successURL: string | null;
  cancelURL: string | null;
  mode?: Stripe.Checkout.Session.Mode;
  clientReferenceId?: string | null;
}

export function checkoutSessionFixture(input: CheckoutInput): Stripe.Checkout.Session {
  const id = stripeId("cs_test");
  return {
    id,
    object: "checkout.session",
    adaptive_pricing: { enabled: false },
    after_expiration: null,
    allow_promotion_codes: null,
    allowed_payment_method_types: null,
    amount_subtotal: input.amountTotal,
    amount_total: input.amountTotal,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: input.cancelURL,
    client_reference_id: input.clientReferenceId ?? null,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: nowSeconds(),
    currency: input.currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: input.customer,
    customer_account: null,
    customer_creation: null,
    customer_details: null,
    customer_email: null,
    discounts: [],
    expires_at: nowSeconds() + 24 * 60 * 60,
    integration_identifier: null,
    invoice: null,
    invoice_creation: null,
    livemode: false,
    locale: null,
    managed_payments: null,
    metadata: input.metadata,
    mode: input.mode ?? "payment",
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: "if_required",
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: ["card"],
    payment_status: "unpaid",
    permissions: null,
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: "open",
    submit_type: null,
    subscription: null,
    success_url: input.successURL,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: "hosted",
    url: `https://checkout.stripe.com/c/pay/${id}#fidkdWxOYHwnPyd1blpxYHZxWjA0`,
    wallet_options: null,
  };
}

function priceFixture(productId: string, unitAmount: number): Stripe.Price {
  return {
    id: stripeId("price"),
    object: "price",
    active: true,
    billing_scheme: "per_unit",
    created: nowSeconds(),
    currency: "usd",
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: null,
    product: productId,
    recurring: { interval: "month", interval_count: 1, meter: null, trial_period_days: null, usage_type: "licensed" },
    tax_behavior: "unspecified",
    tiers_mode: null,
    transform_quantity: null,
    type: "recurring",
    unit_amount: unitAmount,
    unit_amount_decimal: null,
  };
}

function legacyPlanFixture(price: Stripe.Price): Stripe.Plan {
  return {
    id: price.id,
    object: "plan",
    active: true,
    amount: price.unit_amount,
    amount_decimal: null,
    billing_scheme: "per_unit",
    created: price.created,
    currency: price.currency,
    interval: "month",
    interval_count: 1,
    livemode: false,
    metadata: {},
    meter: null,
    nickname: null,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: "licensed",
  };
}

export interface SubscriptionInput {
  id?: string;
  customer: string;
  /** The product of the subscription's one item (what a plan's stripe_product_id names). */
  productId: string;
  status: Stripe.Subscription.Status;
  /** The item's current period, in Unix seconds. */
  periodStart: number;
  periodEnd: number;
  unitAmount?: number;
}

export function subscriptionFixture(input: SubscriptionInput): Stripe.Subscription {
  const id = input.id ?? stripeId("sub");
  const price = priceFixture(input.productId, input.unitAmount ?? 2900);
  const item: Stripe.SubscriptionItem = {
    id: stripeId("si"),
    object: "subscription_item",
    billing_thresholds: null,
    created: input.periodStart,
    current_period_end: input.periodEnd,
    current_period_start: input.periodStart,
    current_trial: null,
    discounts: [],
    metadata: {},
    plan: legacyPlanFixture(price),
    price,
    quantity: 1,
    subscription: id,
    tax_rates: [],
  };
  const isEnded = input.status === "canceled" || input.status === "incomplete_expired";
  return {
    id,
    object: "subscription",
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: input.periodStart,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: "classic" },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: isEnded ? input.periodStart : null,
    cancellation_details: {
      comment: null,
      feedback: null,
      feedback_option: null,
      reason: isEnded ? "cancellation_requested" : null,
    },
    collection_method: "charge_automatically",
    created: input.periodStart,
    currency: "usd",
    customer: input.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: null,
    default_source: null,
    description: null,
    discounts: [],
    ended_at: isEnded ? input.periodStart : null,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: { type: "self" },
    },
    items: { object: "list", data: [item], has_more: false, url: `/v1/subscription_items?subscription=${id}` },
    latest_invoice: stripeId("in"),
    livemode: false,
    managed_payments: null,
    metadata: {},
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: "off" },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: input.periodStart,
    status: input.status,
    test_clock: null,
    transfer_data: null,
    trial_end: null,
    trial_settings: { end_behavior: { billing_cycle_anchor: null, missing_payment_method: "create_invoice" } },
    trial_start: null,
  };
}

type EventOf<T extends Stripe.Event["type"]> = Extract<Stripe.Event, { type: T }>;

/** An event as Stripe delivers it to a webhook endpoint: a snapshot of the object at `created`. */
export function eventFixture<T extends Stripe.Event["type"]>(
  type: T,
  object: EventOf<T>["data"]["object"],
  options: { id?: string; created?: number; previousAttributes?: Record<string, unknown> } = {},
): EventOf<T> {
  const event: Stripe.EventBase & { data: Stripe.Event.Data } = {
    id: options.id ?? stripeId("evt"),
    object: "event",
    api_version: Stripe.API_VERSION,
    created: options.created ?? nowSeconds(),
    data: {
      object: object as unknown as Stripe.Event.Data.Object,
      ...(options.previousAttributes ? { previous_attributes: options.previousAttributes } : {}),
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: stripeId("req"), idempotency_key: null },
    type,
  };
  return event as EventOf<T>;
}

/** A charge as charge.refunded carries it: the fields billing reads, the rest as Stripe sends them. */
export function chargeFixture(input: {
  paymentIntent: string | null;
  amount: number;
  amountRefunded: number;
  customer?: string | null;
}): Stripe.Charge {
  return {
    id: stripeId("ch"),
    object: "charge",
    amount: input.amount,
    amount_captured: input.amount,
    amount_refunded: input.amountRefunded,
    captured: true,
    created: nowSeconds(),
    currency: "usd",
    customer: input.customer ?? null,
    livemode: false,
    metadata: {},
    paid: true,
    payment_intent: input.paymentIntent,
    refunded: input.amountRefunded >= input.amount,
    status: "succeeded",
  } as unknown as Stripe.Charge;
}

/** A dispute as charge.dispute.created / closed carry it. */
export function disputeFixture(input: {
  id?: string;
  paymentIntent: string | null;
  amount: number;
  status: Stripe.Dispute.Status;
}): Stripe.Dispute {
  return {
    id: input.id ?? stripeId("du"),
    object: "dispute",
    amount: input.amount,
    charge: stripeId("ch"),
    created: nowSeconds(),
    currency: "usd",
    livemode: false,
    metadata: {},
    payment_intent: input.paymentIntent,
    reason: "fraudulent",
    status: input.status,
  } as unknown as Stripe.Dispute;
}

/** An invoice as invoice.payment_failed / invoice.paid carry it. */
export function invoiceFixture(input: { id?: string; customer: string; subscription?: string | null }): Stripe.Invoice {
  return {
    id: input.id ?? stripeId("in"),
    object: "invoice",
    customer: input.customer,
    created: nowSeconds(),
    currency: "usd",
    livemode: false,
    metadata: {},
    status: "open",
    parent: input.subscription
      ? { type: "subscription_details", subscription_details: { subscription: input.subscription, metadata: {} } }
      : null,
  } as unknown as Stripe.Invoice;
}
