// A fake Stripe API inside workerd, at the fetch level: the real SDK sends its real requests
// (form-encoded bodies, Bearer key, Stripe-Version, Idempotency-Key) to STRIPE_API_BASE, and this
// answers the way api.stripe.com does: JSON objects of the SDK's types, Stripe's error bodies and
// statuses, idempotent replays. Installed for every test file (fake-stripe.setup.ts).
import Stripe from "stripe";
import {
  checkoutSessionFixture,
  customerFixture,
  eventFixture,
  nowSeconds,
  portalSessionFixture,
} from "./stripe-fixtures";

/** The bindings vitest.config.ts gives every test: billing is on, pointed at this fake. */
const FAKE_STRIPE_ORIGIN = "http://stripe.test";
export const TEST_STRIPE_SECRET_KEY = "sk_test_rampartFakeKey0123456789";
export const TEST_STRIPE_WEBHOOK_SECRET = "whsec_rampartFakeWebhookSecret0123456789";

interface RecordedRequest {
  method: string;
  path: string;
  params: Record<string, unknown>;
  idempotencyKey: string | null;
  stripeVersion: string | null;
}

type StripeErrorBody = { error: { type: string; message: string; code?: string; param?: string } };

/** Stripe's form encoding (a[b][0][c]=v) back into nested objects and arrays. */
function decodeStripeForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split(/\[|\]\[|\]/).filter((part) => part !== "");
    let node: Record<string, unknown> = root;
    path.forEach((part, index) => {
      if (index === path.length - 1) {
        node[part] = value;
        return;
      }
      const nextIsIndex = /^\d+$/.test(path[index + 1]!);
      node[part] ??= nextIsIndex ? [] : {};
      node = node[part] as Record<string, unknown>;
    });
  }
  return root;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json",
      "request-id": `req_${crypto.randomUUID().slice(0, 14)}`,
      ...headers,
    },
  });
}

function stripeError(status: number, error: StripeErrorBody["error"]): Response {
  return json(status, { error } satisfies StripeErrorBody);
}

class FakeStripe {
  readonly customers = new Map<string, Stripe.Customer>();
  readonly checkoutSessions = new Map<string, Stripe.Checkout.Session>();
  /** Subscription ids cancelled through DELETE /v1/subscriptions/{id}. */
  readonly canceledSubscriptions = new Set<string>();
  readonly portalSessions = new Map<string, Stripe.BillingPortal.Session>();
  readonly requests: RecordedRequest[] = [];
  /** Accepted meter events by identifier, as Stripe keeps them (uniqueness over 24 h and more). */
  readonly meterEvents = new Map<string, Stripe.Billing.MeterEvent>();
  /** How many meter event requests fail with 500 api_error once meterEventFailuresAfter were accepted. */
  meterEventFailures = 0;
  meterEventFailuresAfter = 0;
  /** Meter events refused as duplicates of an identifier already accepted: a report sent twice. */
  duplicateMeterEvents = 0;
  /** "network": every call fails before any HTTP answer; "error": 500 api_error; "up": normal. */
  outage: "up" | "network" | "error" = "up";
  private readonly idempotent = new Map<string, { body: string; status: number; response: string }>();

  reset(): void {
    this.customers.clear();
    this.checkoutSessions.clear();
    this.canceledSubscriptions.clear();
    this.portalSessions.clear();
    this.requests.length = 0;
    this.meterEvents.clear();
    this.meterEventFailures = 0;
    this.meterEventFailuresAfter = 0;
    this.duplicateMeterEvents = 0;
    this.idempotent.clear();
    this.outage = "up";
  }

  requestsTo(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && request.path === path);
  }

  /** Marks a session paid and complete, as Stripe does when the customer pays. */
  payCheckoutSession(
    id: string,
    options: { paymentStatus?: Stripe.Checkout.Session.PaymentStatus } = {},
  ): Stripe.Checkout.Session {
    const session = this.checkoutSessions.get(id);
    if (!session) throw new Error(`no checkout session ${id}`);
    session.status = "complete";
    session.payment_status = options.paymentStatus ?? "paid";
    session.payment_intent = `pi_${id.slice(8, 32)}`;
    return session;
  }

  /** The checkout.session.completed event Stripe would send for a session as it is now. */
  checkoutCompletedEvent(id: string): Stripe.CheckoutSessionCompletedEvent {
    const session = this.checkoutSessions.get(id);
    if (!session) throw new Error(`no checkout session ${id}`);
    return eventFixture("checkout.session.completed", structuredClone(session));
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const body = request.method === "GET" ? "" : new TextDecoder().decode(await request.arrayBuffer());
    const params = request.method === "GET" ? decodeStripeForm(url.search.slice(1)) : decodeStripeForm(body);
    const idempotencyKey = request.headers.get("idempotency-key");
    this.requests.push({
      method: request.method,
      path: url.pathname,
      params,
      idempotencyKey,
      stripeVersion: request.headers.get("stripe-version"),
    });
    if (this.outage === "network") throw new TypeError("Network connection lost.");
    if (this.outage === "error") {
      return stripeError(500, {
        type: "api_error",
        message: "An unknown error occurred while processing the request.",
      });
    }
    if (request.headers.get("authorization") !== `Bearer ${TEST_STRIPE_SECRET_KEY}`) {
      return stripeError(401, {
        type: "invalid_request_error",
        message: `Invalid API Key provided: ${(request.headers.get("authorization") ?? "").slice(7, 15)}***`,
      });
    }
    // Idempotent requests: the same key answers the first response again; other params are refused.
    const replayKey = idempotencyKey && request.method === "POST" ? `${url.pathname} ${idempotencyKey}` : null;
    if (replayKey) {
      const earlier = this.idempotent.get(replayKey);
      if (earlier && earlier.body !== body) {
        return stripeError(400, {
          type: "idempotency_error",
          message: "Keys for idempotent requests can only be used with the same parameters they were first used with.",
        });
      }
      if (earlier)
        return new Response(earlier.response, {
          status: earlier.status,
          headers: { "content-type": "application/json", "idempotent-replayed": "true" },
        });
    }
    // Answered and remembered with no await in between: like Stripe, two concurrent requests with
    // one key get one object (Stripe makes the second wait with 409 and the SDK retries).
    const response = this.route(request.method, url.pathname, params);
    const text = JSON.stringify(response.body);
    if (replayKey && response.status < 500)
      this.idempotent.set(replayKey, { body, status: response.status, response: text });
    return json(response.status, response.body);
  }

  private route(method: string, path: string, params: Record<string, unknown>): { status: number; body: unknown } {
    const metadata = (params.metadata ?? {}) as Record<string, string>;
    if (method === "POST" && path === "/v1/customers") {
      const customer = customerFixture({
        name: (params.name as string | undefined) ?? null,
        email: (params.email as string | undefined) ?? null,
        metadata,
      });
      this.customers.set(customer.id, customer);
      return { status: 200, body: customer };
    }
    if (method === "POST" && path === "/v1/billing_portal/sessions") {
      const customer = params.customer as string | undefined;
      if (!customer || !this.customers.has(customer)) return this.noSuch("customer", customer, "customer");
      const session = portalSessionFixture({ customer, returnURL: (params.return_url as string | undefined) ?? null });
      this.portalSessions.set(session.id, session);
      return { status: 200, body: session };
    }
    if (method === "POST" && path === "/v1/checkout/sessions") {
      const customer = params.customer as string | undefined;
      if (customer && !this.customers.has(customer)) return this.noSuch("customer", customer, "customer");
      const lineItems = (params.line_items ?? []) as {
        quantity: string;
        price_data: { currency: string; unit_amount: string };
      }[];
      const amountTotal = lineItems.reduce(
        (sum, item) => sum + Number(item.price_data.unit_amount) * Number(item.quantity),
        0,
      );
      const session = checkoutSessionFixture({
        customer: customer ?? "",
        metadata,
        amountTotal,
        currency: lineItems[0]?.price_data.currency ?? "usd",
        successURL: (params.success_url as string | undefined) ?? null,
        cancelURL: (params.cancel_url as string | undefined) ?? null,
        mode: params.mode as Stripe.Checkout.Session.Mode,
        clientReferenceId: (params.client_reference_id as string | undefined) ?? null,
      });
      this.checkoutSessions.set(session.id, session);
      return { status: 200, body: session };
    }
    if (method === "POST" && path === "/v1/billing/meter_events") return this.createMeterEvent(params);
    const subscription = /^\/v1\/subscriptions\/([^/]+)$/.exec(path);
    if (method === "DELETE" && subscription) {
      const id = decodeURIComponent(subscription[1]!);
      this.canceledSubscriptions.add(id);
      return { status: 200, body: { id, object: "subscription", status: "canceled" } };
    }
    const retrieve = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path);
    if (method === "GET" && retrieve) {
      const session = this.checkoutSessions.get(decodeURIComponent(retrieve[1]!));
      if (!session) return this.noSuch("checkout.session", retrieve[1], "session");
      return { status: 200, body: session };
    }
    return {
      status: 404,
      body: {
        error: {
          type: "invalid_request_error",
          message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
        },
      } satisfies StripeErrorBody,
    };
  }

  /**
   * POST /v1/billing/meter_events as Stripe answers it: the billing.meter_event object; 400 for a
   * missing field, a timestamp outside the past 35 days, or an identifier it already has.
   */
  private createMeterEvent(params: Record<string, unknown>): { status: number; body: unknown } {
    if (this.meterEventFailures > 0 && this.meterEvents.size >= this.meterEventFailuresAfter) {
      this.meterEventFailures--;
      return { status: 500, body: { error: { type: "api_error", message: "An unknown error occurred." } } };
    }
    const eventName = params.event_name as string | undefined;
    const payload = (params.payload ?? {}) as Record<string, string>;
    const identifier = (params.identifier as string | undefined) ?? `evt_${crypto.randomUUID()}`;
    const timestamp = params.timestamp === undefined ? nowSeconds() : Number(params.timestamp);
    const invalid = (message: string, param: string) => ({
      status: 400,
      body: { error: { type: "invalid_request_error", message, param } } satisfies StripeErrorBody,
    });
    if (!eventName) return invalid("Missing required param: event_name.", "event_name");
    if (Object.keys(payload).length === 0) return invalid("Missing required param: payload.", "payload");
    if (timestamp < nowSeconds() - 35 * 86_400 || timestamp > nowSeconds() + 300) {
      return invalid(
        "Timestamp must be within the past 35 calendar days or up to 5 minutes in the future.",
        "timestamp",
      );
    }
    if (this.meterEvents.has(identifier)) {
      this.duplicateMeterEvents++;
      return invalid(`An event with identifier ${identifier} already exists.`, "identifier");
    }
    const event: Stripe.Billing.MeterEvent = {
      object: "billing.meter_event",
      created: nowSeconds(),
      event_name: eventName,
      identifier,
      livemode: false,
      payload,
      timestamp,
    };
    this.meterEvents.set(identifier, event);
    return { status: 200, body: event };
  }

  private noSuch(kind: string, id: string | undefined, param: string): { status: number; body: StripeErrorBody } {
    return {
      status: 404,
      body: {
        error: {
          type: "invalid_request_error",
          code: "resource_missing",
          param,
          message: `No such ${kind}: '${id ?? ""}'`,
        },
      },
    };
  }
}

export const fakeStripe = new FakeStripe();

let installed = false;

/**
 * Routes the fake's origin to the fake and everything else to the real fetch. Once per isolate:
 * test files share their worker's modules (vitest.config.ts), so the setup file may run again.
 */
export function installFakeStripe(): void {
  if (installed) return;
  installed = true;
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (new URL(request.url).origin === FAKE_STRIPE_ORIGIN) return fakeStripe.fetch(request);
    return realFetch(input, init);
  };
}

/** A signed delivery of `event`, exactly as Stripe's servers sign one (v1 HMAC-SHA256 of `t.body`). */
export async function signStripeEvent(
  event: Stripe.Event,
  options: { secret?: string; timestamp?: number } = {},
): Promise<{ body: string; signature: string }> {
  const body = JSON.stringify(event, null, 2);
  const signature = await Stripe.webhooks.generateTestHeaderStringAsync({
    payload: body,
    secret: options.secret ?? TEST_STRIPE_WEBHOOK_SECRET,
    timestamp: options.timestamp ?? nowSeconds(),
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  });
  return { body, signature };
}
