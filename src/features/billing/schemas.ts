// Request and response schemas of /subscription, /billing/credit-packs and /webhooks/stripe.
import { z } from "@hono/zod-openapi";
import { CreditPackSchema } from "../../config/credit-packs";
import { WEBHOOK_RESULTS } from "./webhook-outcome";

/** A URL of the web app, or a path in it ("/billing"); checked against WEB_BASE_URL (return-url.ts). */
const ReturnURLSchema = z.string().min(1).max(2048).openapi({ example: "https://app.example.com/settings/billing" });

export const ManageSubscriptionSchema = z
  .strictObject({ return_url: ReturnURLSchema })
  .openapi("ManageSubscriptionRequest");

export const RedirectURLSchema = z.object({ url: z.string() }).openapi("RedirectURL");

export const CreditPackListResponseSchema = z
  .object({
    organization_id: z.string(),
    /** The organization's non-expiring credit balance, which a pack adds to. */
    credit_balance_tokens: z.number().int(),
    packs: z.array(CreditPackSchema.openapi("CreditPack")),
  })
  .openapi("CreditPackList");

export const CreditPackCheckoutSchema = z
  .strictObject({ pack_id: z.string().min(1).max(64), return_base_url: ReturnURLSchema })
  .openapi("CreditPackCheckoutRequest");

export const CheckoutSessionSchema = z
  .object({
    url: z.string(),
    /** Also sent back by Stripe on the success URL (?session_id=…) for POST /billing/credit-packs/verify. */
    session_id: z.string(),
  })
  .openapi("CreditPackCheckout");

export const VerifyCheckoutSchema = z
  .strictObject({ session_id: z.string().min(1).max(255).openapi({ example: "cs_test_a1B2c3" }) })
  .openapi("CreditPackVerifyRequest");

export const CheckoutStatusSchema = z
  .object({
    status: z.enum(["fulfilled", "pending", "expired"]),
    tokens: z.number().int(),
    credit_balance_tokens: z.number().int(),
  })
  .openapi("CreditPackVerification");

export const WebhookReceiptSchema = z
  .object({ received: z.literal(true), result: z.enum(WEBHOOK_RESULTS) })
  .openapi("StripeWebhookReceipt");
