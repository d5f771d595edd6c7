// Who may call POST /webhooks/stripe: whoever signs the raw body with the endpoint's secret (SEC-50).
import type Stripe from "stripe";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { Access } from "../../middleware/access";
import type { AppEnv } from "../../env";
import { misconfiguredError, requireSubsystemConfig } from "../../config";
import { AppError, RateLimitedError } from "../../errors";
import { logEvent } from "../../lib/log";
import { serviceContextFrom } from "../../platform/service-context";
import { clientIPKey, consumeRateLimit } from "../../platform/rate-limit";
import { recordAuditEvent } from "../audit/service";
import { loadStripe, stripeCryptoProvider } from "./stripe-client";

/** Stripe's own default: a signature older than this is refused, so a captured request goes stale. */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

/** Refused signatures leave an audit row up to this many per client IP; past that, only a log line. */
const FAILURE_AUDIT_BUDGET = { name: "stripe-webhook-failure-audit", limit: 20, windowSeconds: 60 * 60 };

const verifiedEvents = new WeakMap<Context, Stripe.Event>();

const verifyStripeSignature = createMiddleware<AppEnv>(async function verifyStripeSignature(c, next) {
  const secret = requireSubsystemConfig(c.get("config"), "billing").stripeWebhookSecret;
  if (!secret) {
    // 503, so Stripe keeps retrying until the secret is set, instead of dropping the events.
    throw misconfiguredError(["STRIPE_WEBHOOK_SECRET"], {
      message: "Stripe webhooks are off: set STRIPE_WEBHOOK_SECRET.",
    });
  }
  // The signature covers the exact bytes Stripe sent, so nothing may parse or re-encode them first.
  const payload = await c.req.text();
  const [Stripe, cryptoProvider] = await Promise.all([loadStripe(), stripeCryptoProvider()]);
  let event: Stripe.Event;
  try {
    event = await Stripe.webhooks.constructEventAsync(
      payload,
      c.req.header("stripe-signature") ?? "",
      secret,
      STRIPE_SIGNATURE_TOLERANCE_SECONDS,
      cryptoProvider,
    );
    if (typeof event?.id !== "string" || typeof event.type !== "string" || !Number.isInteger(event.created)) {
      throw new Error("not a Stripe event");
    }
  } catch (error) {
    await recordSignatureFailure(c, error);
    throw new AppError("BAD_REQUEST", "The Stripe-Signature header is missing, invalid or too old.");
  }
  verifiedEvents.set(c, event);
  await next();
});

/** SEC-49: a log line always; an audit row within the per-IP budget, so junk cannot flood the table. */
async function recordSignatureFailure(c: Context<AppEnv>, error: unknown): Promise<void> {
  const ip = c.get("clientIP");
  const Stripe = await loadStripe();
  const reason =
    error instanceof Stripe.errors.StripeSignatureVerificationError ? error.message.split("\n")[0] : "malformed event";
  let isAudited = true;
  try {
    await consumeRateLimit(c.env, `${FAILURE_AUDIT_BUDGET.name}:${clientIPKey(ip)}`, FAILURE_AUDIT_BUDGET);
  } catch (budgetError) {
    if (!(budgetError instanceof RateLimitedError)) throw budgetError;
    isAudited = false;
  }
  if (isAudited) {
    await recordAuditEvent(serviceContextFrom(c), {
      action: "stripe_webhook_failed",
      organizationId: null,
      actorUserId: null,
      ip,
      details: { reason: "bad_signature", detail: reason },
    });
  } else {
    logEvent("warn", "stripe_webhook_signature_refused", { ip, detail: reason, request_id: c.get("requestId") });
  }
}

/** The event the signature check let through; only routes declared with STRIPE_SIGNATURE have one. */
export function requireVerifiedStripeEvent(c: Context<AppEnv>): Stripe.Event {
  const event = verifiedEvents.get(c);
  if (!event) throw new Error("no verified Stripe event: declare the route with access STRIPE_SIGNATURE");
  return event;
}

export const STRIPE_SIGNATURE: Access = { kind: "signature", scheme: "stripe", verify: verifyStripeSignature };
