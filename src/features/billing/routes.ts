// HTTP for /subscription/manage and /billing/credit-packs: the caller's organization's billing.
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { minRole } from "../../middleware/access";
import { serviceContextFrom } from "../../platform/service-context";
import { jsonBody, jsonResponse, requireActor } from "../../platform/route-helpers";
import { listCreditPackOffer } from "./credit-packs";
import { createCreditPackCheckout, verifyCreditPackCheckout } from "./checkout-service";
import { createPortalSession } from "./portal-service";
import {
  CheckoutSessionSchema,
  CheckoutStatusSchema,
  CreditPackCheckoutSchema,
  CreditPackListResponseSchema,
  ManageSubscriptionSchema,
  RedirectURLSchema,
  VerifyCheckoutSchema,
} from "./schemas";

const UNAVAILABLE =
  "Also 502 UPSTREAM_UNAVAILABLE when Stripe cannot be reached (try again), and 503 MISCONFIGURED when STRIPE_SECRET_KEY is not set.";

const manageSubscription = defineRoute(
  {
    access: minRole("org_admin"),
    errors: { VALIDATION_ERROR: "return_url is not of the web app's origin (WEB_BASE_URL)" },
  },
  {
    method: "post",
    path: "/manage",
    tags: ["Billing"],
    summary: "A Stripe Customer Portal session: upgrade, downgrade, cancel, invoices",
    description: `Send the browser to \`url\`; Stripe sends it back to \`return_url\`, which must be a URL of the web app (or a path in it). ${UNAVAILABLE}`,
    request: { body: jsonBody(ManageSubscriptionSchema) },
    responses: { 200: jsonResponse(RedirectURLSchema, "The portal session's URL") },
  },
);

const creditPacks = defineRoute(
  { access: minRole("org_admin") },
  {
    method: "get",
    path: "/credit-packs",
    tags: ["Billing"],
    summary: "The credit packs on sale, and the organization's credit balance",
    description:
      "The system setting credit_packs, else CREDIT_PACKS_JSON, else 5M / 10M / 25M tokens at $39 / $69 / $149.",
    responses: { 200: jsonResponse(CreditPackListResponseSchema, "Packs") },
  },
);

const checkout = defineRoute(
  {
    access: minRole("org_admin"),
    errors: {
      NOT_FOUND: "no pack has this id",
      VALIDATION_ERROR: "return_base_url is not of the web app's origin (WEB_BASE_URL)",
    },
  },
  {
    method: "post",
    path: "/credit-packs/checkout",
    tags: ["Billing"],
    summary: "Start buying a credit pack: a Stripe Checkout Session",
    description: `Send the browser to \`url\`. Stripe returns it to \`return_base_url\` with \`?credit_pack=success&session_id=…\` (then call verify) or \`?credit_pack=canceled\`. ${UNAVAILABLE}`,
    request: { body: jsonBody(CreditPackCheckoutSchema) },
    responses: { 200: jsonResponse(CheckoutSessionSchema, "The Checkout Session") },
  },
);

const verify = defineRoute(
  { access: minRole("org_admin"), errors: { NOT_FOUND: "no such checkout session in your organization" } },
  {
    method: "post",
    path: "/credit-packs/verify",
    tags: ["Billing"],
    summary: "Check a credit-pack purchase with Stripe and credit it if the webhook has not yet",
    description: `\`fulfilled\`: paid and credited (exactly once, whether by this call or the webhook); \`pending\`: not paid yet; \`expired\`: abandoned. ${UNAVAILABLE}`,
    request: { body: jsonBody(VerifyCheckoutSchema) },
    responses: { 200: jsonResponse(CheckoutStatusSchema, "The purchase") },
  },
);

export const subscriptionRoutes = createRouter().openapi(manageSubscription, async (c) => {
  const url = await createPortalSession(serviceContextFrom(c), requireActor(c), {
    returnURL: c.req.valid("json").return_url,
  });
  return c.json({ url }, 200);
});

export const billingRoutes = createRouter()
  .openapi(creditPacks, async (c) => {
    const actor = requireActor(c);
    const offer = await listCreditPackOffer(serviceContextFrom(c), actor);
    return c.json(
      { organization_id: actor.organizationId, credit_balance_tokens: offer.creditBalanceTokens, packs: offer.packs },
      200,
    );
  })
  .openapi(checkout, async (c) => {
    const body = c.req.valid("json");
    const session = await createCreditPackCheckout(serviceContextFrom(c), requireActor(c), {
      packId: body.pack_id,
      returnBaseURL: body.return_base_url,
    });
    return c.json({ url: session.url, session_id: session.sessionId }, 200);
  })
  .openapi(verify, async (c) => {
    const result = await verifyCreditPackCheckout(
      serviceContextFrom(c),
      requireActor(c),
      c.req.valid("json").session_id,
    );
    return c.json(
      { status: result.status, tokens: result.tokens, credit_balance_tokens: result.creditBalanceTokens },
      200,
    );
  });
