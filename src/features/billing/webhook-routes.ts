// HTTP for POST /webhooks/stripe: signed by Stripe, no session, no origin check (SEC-50, SEC-51).
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { jsonResponse } from "../../platform/route-helpers";
import { formatBytes, STRIPE_WEBHOOK_BODY_LIMIT_BYTES } from "../../platform/body-limits";
import { STRIPE_WEBHOOK_PATH } from "../../platform/server-routes";
import { WebhookReceiptSchema } from "./schemas";
import { serviceContextFrom } from "../../platform/service-context";
import { HANDLED_EVENT_TYPES, handleStripeEvent } from "./webhook-service";
import { requireVerifiedStripeEvent, STRIPE_SIGNATURE, STRIPE_SIGNATURE_TOLERANCE_SECONDS } from "./webhook-signature";

const stripeWebhook = defineRoute(
  {
    access: STRIPE_SIGNATURE,
    errors: {
      BAD_REQUEST: `the Stripe-Signature header is missing, does not match the raw body, or is older than ${STRIPE_SIGNATURE_TOLERANCE_SECONDS} s; nothing is applied`,
    },
  },
  {
    method: "post",
    path: STRIPE_WEBHOOK_PATH,
    tags: ["Billing"],
    summary: "Stripe webhook endpoint",
    description: [
      `Called by Stripe, authenticated by the signature of the raw body (no session, no Origin check); body limit ${formatBytes(STRIPE_WEBHOOK_BODY_LIMIT_BYTES)}.`,
      `Handles ${HANDLED_EVENT_TYPES.map((type) => `\`${type}\``).join(", ")}; other types are acknowledged and ignored.`,
      "Each event is applied at most once (a replay answers `already_processed`) and a subscription event older than the state already applied changes nothing.",
      "503 MISCONFIGURED while STRIPE_WEBHOOK_SECRET is not set (Stripe retries).",
    ].join(" "),
    responses: { 200: jsonResponse(WebhookReceiptSchema, "Received; `result` says what it did") },
  },
);

export const webhookRoutes = createRouter().openapi(stripeWebhook, async (c) => {
  const result = await handleStripeEvent(serviceContextFrom(c), requireVerifiedStripeEvent(c));
  return c.json({ received: true as const, result }, 200);
});
