// SEC-50: POST /webhooks/stripe takes the raw body signed by Stripe, nothing else, and no session.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import Stripe from "stripe";
import { createClient } from "../../helpers/client";
import { signedInAccount } from "../../helpers/accounts";
import { readDBState } from "../../helpers/db-state";
import { signStripeEvent, TEST_STRIPE_WEBHOOK_SECRET } from "../../helpers/fake-stripe";
import { customerFixture, eventFixture, nowSeconds, stripeId } from "../../helpers/stripe-fixtures";
import { auditRows, countStripeEvents, deliverStripeEvent, postToWebhook } from "../../helpers/billing";

/** An event type this API does not handle: acknowledged, so the signature is the only question. */
function harmlessEvent(options: { description?: string } = {}): Stripe.CustomerCreatedEvent {
  const customer = customerFixture({ name: "Someone else" });
  customer.description = options.description ?? null;
  return eventFixture("customer.created", customer);
}

const BAD_SIGNATURE = { status: 400, body: { error: { code: "BAD_REQUEST", message: expect.any(String) } } };

describe("SEC-50 POST /webhooks/stripe signature", () => {
  it("accepts an event signed with the endpoint secret, with no session and no Origin", async () => {
    const event = harmlessEvent();
    expect(await deliverStripeEvent(event)).toEqual({ status: 200, body: { received: true, result: "ignored" } });
  });

  it("refuses a delivery without a Stripe-Signature header with 400 and changes nothing", async () => {
    const event = harmlessEvent();
    const { body } = await signStripeEvent(event);
    const before = await readDBState();
    expect(await postToWebhook(body, {})).toEqual(BAD_SIGNATURE);
    expect(await readDBState()).toEqual(before);
    expect(await countStripeEvents(event.id)).toBe(0);
  });

  it("refuses a signature made with another secret, a tampered body and a made-up signature", async () => {
    const event = harmlessEvent();
    const other = await signStripeEvent(event, { secret: "whsec_anotherEndpointsSecret0123456789" });
    const genuine = await signStripeEvent(event);
    const tampered = genuine.body.replace('"livemode": false', '"livemode": true');
    expect(tampered).not.toBe(genuine.body);
    const timestamp = nowSeconds();
    for (const [label, body, signature] of [
      ["other secret", other.body, other.signature],
      ["tampered body", tampered, genuine.signature],
      ["made-up v1", genuine.body, `t=${timestamp},v1=${"0".repeat(64)}`],
      ["v0 scheme only", genuine.body, genuine.signature.replace("v1=", "v0=")],
      ["no timestamp", genuine.body, genuine.signature.replace(/t=\d+,/, "")],
      ["garbage", genuine.body, "' OR 1=1 --"],
    ] as const) {
      expect.soft(await postToWebhook(body, { "stripe-signature": signature }), label).toEqual(BAD_SIGNATURE);
    }
    expect(await countStripeEvents(event.id)).toBe(0);
  });

  it("refuses a signature older than 300 s (a replayed capture) and accepts one just inside the window", async () => {
    const stale = harmlessEvent();
    expect(await deliverStripeEvent(stale, { timestamp: nowSeconds() - 301 })).toEqual(BAD_SIGNATURE);
    expect(await countStripeEvents(stale.id)).toBe(0);
    const fresh = harmlessEvent();
    expect((await deliverStripeEvent(fresh, { timestamp: nowSeconds() - 290 })).status).toBe(200);
  });

  it("accepts the header Stripe sends while a secret is being rolled (several v1 signatures, one valid)", async () => {
    const event = harmlessEvent();
    const { body, signature } = await signStripeEvent(event);
    const rolled = `${signature},v1=${"a".repeat(64)}`;
    expect((await postToWebhook(body, { "stripe-signature": rolled })).status).toBe(200);
  });

  it("refuses a correctly signed body that is not a Stripe event", async () => {
    for (const body of ["not json at all", "[]", `{"id": 1}`]) {
      const signature = await Stripe.webhooks.generateTestHeaderStringAsync({
        payload: body,
        secret: TEST_STRIPE_WEBHOOK_SECRET,
        cryptoProvider: Stripe.createSubtleCryptoProvider(),
      });
      expect.soft(await postToWebhook(body, { "stripe-signature": signature }), body).toEqual(BAD_SIGNATURE);
    }
  });

  it("is not subject to the Origin check or sessions: a browser-looking request is judged by its signature alone", async () => {
    const account = await signedInAccount();
    const event = harmlessEvent();
    const { body, signature } = await signStripeEvent(event);
    const headers = {
      origin: "https://evil.example",
      "sec-fetch-site": "cross-site",
      cookie: account.client.cookieHeader(),
    };
    // A session does not stand in for the signature...
    expect(await postToWebhook(body, headers)).toEqual(BAD_SIGNATURE);
    // ...and a foreign Origin does not stop a signed delivery.
    expect(await postToWebhook(body, { ...headers, "stripe-signature": signature })).toEqual({
      status: 200,
      body: { received: true, result: "ignored" },
    });
  });

  it("takes events far over the global 64 KiB limit, and refuses bodies over its own 512 KiB with 413", async () => {
    const large = harmlessEvent({ description: "x".repeat(200 * 1024) });
    expect(await deliverStripeEvent(large)).toEqual({ status: 200, body: { received: true, result: "ignored" } });
    const huge = harmlessEvent({ description: "x".repeat(520 * 1024) });
    const delivery = await deliverStripeEvent(huge);
    expect(delivery).toEqual({
      status: 413,
      body: { error: { code: "PAYLOAD_TOO_LARGE", message: expect.any(String) } },
    });
  });

  it("answers 503 MISCONFIGURED naming STRIPE_WEBHOOK_SECRET while it is not set, so Stripe retries later", async () => {
    const event = harmlessEvent();
    const client = createClient({ origin: null, env: { STRIPE_WEBHOOK_SECRET: "" } });
    const delivery = await deliverStripeEvent(event, { client });
    expect(delivery).toEqual({
      status: 503,
      body: {
        error: { code: "MISCONFIGURED", message: expect.any(String), details: { settings: ["STRIPE_WEBHOOK_SECRET"] } },
      },
    });
    expect(await countStripeEvents(event.id)).toBe(0);
  });
});

describe("SEC-49 refused webhook deliveries are logged and audited", () => {
  const lines: string[] = [];
  beforeEach(() => {
    lines.length = 0;
    for (const method of ["log", "warn", "error", "info"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
    }
  });
  afterEach(() => vi.restoreAllMocks());

  it("writes a structured warning and a stripe_webhook_failed audit row with the IP, never the secret or signature", async () => {
    const before = (await auditRows("stripe_webhook_failed", null)).length;
    const { body, signature } = await signStripeEvent(harmlessEvent(), {
      secret: "whsec_anotherEndpointsSecret0123456789",
    });
    const client = createClient({ origin: null, ip: "203.0.113.77" });
    expect((await postToWebhook(body, { "stripe-signature": signature }, client)).status).toBe(400);

    const rows = await auditRows("stripe_webhook_failed", null);
    expect(rows.length).toBe(before + 1);
    expect(JSON.parse(rows.at(-1)!.details!)).toMatchObject({ reason: "bad_signature" });
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: "warn",
        event: "audit.stripe_webhook_failed",
        ip: "203.0.113.77",
        reason: "bad_signature",
      }),
    );
    const all = lines.join("\n");
    expect(all).not.toContain(TEST_STRIPE_WEBHOOK_SECRET);
    expect(all).not.toContain(signature.split("v1=")[1]!);
  });

  it("stops adding audit rows for one IP after its budget, and keeps logging", async () => {
    const client = createClient({ origin: null, ip: "203.0.113.78" });
    const before = (await auditRows("stripe_webhook_failed", null)).length;
    for (let attempt = 0; attempt < 25; attempt++) {
      expect((await postToWebhook(`{"id":"evt_${attempt}"}`, { "stripe-signature": "t=1,v1=00" }, client)).status).toBe(
        400,
      );
    }
    expect((await auditRows("stripe_webhook_failed", null)).length).toBe(before + 20);
    expect(lines.filter((line) => line.includes("stripe_webhook_signature_refused"))).toHaveLength(5);
  });
});

describe("stripe ids", () => {
  it("are what Stripe issues (sanity of the fixtures)", () => {
    expect(stripeId("evt")).toMatch(/^evt_[A-Za-z0-9]{24}$/);
  });
});
