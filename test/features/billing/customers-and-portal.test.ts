// One Stripe customer per organization, created in the background; the Customer Portal; and a
// deployment without (or with broken) Stripe settings, where only billing says so.
import { afterEach, describe, expect, it } from "vitest";
import { ensureStripeCustomer } from "../../../src/features/billing/customer-service";
import { findStripeClient } from "../../../src/features/billing/stripe-client";
import { createClient, type TestClient } from "../../helpers/client";
import { testServiceContext } from "../../helpers/service-context";
import { GOOD_PASSWORD, readEmailedToken, signedInAccount, uniqueEmail } from "../../helpers/accounts";
import { insertUser } from "../../helpers/factories";
import { createSysAdmin } from "../../helpers/orgs";
import { fakeStripe, TEST_STRIPE_SECRET_KEY } from "../../helpers/fake-stripe";
import { eventFixture, nowSeconds, stripeId, subscriptionFixture } from "../../helpers/stripe-fixtures";
import { customerOf, deliverStripeEvent, readOrganizationBilling } from "../../helpers/billing";
import { googleClient, registerGoogleAccount, signInWithGoogle } from "../../helpers/google";

afterEach(() => {
  fakeStripe.outage = "up";
});

async function organizationIdOf(client: TestClient): Promise<string> {
  return ((await (await client.get("/organization")).json()) as { id: string }).id;
}

describe("the organization's Stripe customer", () => {
  it("is created after signup with the organization id in its metadata and an idempotency key per organization", async () => {
    const account = await signedInAccount();
    const organizationId = await organizationIdOf(account.client);
    const customerId = await customerOf(organizationId);
    const customer = fakeStripe.customers.get(customerId)!;
    expect(customer).toMatchObject({
      name: "Ada Lovelace's organization",
      metadata: { organization_id: organizationId },
    });
    const requests = fakeStripe.requests.filter(
      (sent) => sent.path === "/v1/customers" && sent.idempotencyKey === `org-customer-${organizationId}`,
    );
    expect(requests).toEqual([
      {
        method: "POST",
        path: "/v1/customers",
        params: { name: "Ada Lovelace's organization", metadata: { organization_id: organizationId } },
        idempotencyKey: `org-customer-${organizationId}`,
        stripeVersion: "2026-10-28.endive",
      },
    ]);
  });

  it("is created for organizations a sys_admin creates, before anyone of them signs in", async () => {
    const admin = await createSysAdmin();
    const response = await admin.client.post("/admin/organizations", {
      name: "Acme",
      admin_email: uniqueEmail("acme"),
    });
    expect(response.status).toBe(201);
    const { organization } = (await response.json()) as { organization: { id: string } };
    expect(fakeStripe.customers.get(await customerOf(organization.id))).toMatchObject({
      name: "Acme",
      metadata: { organization_id: organization.id },
    });
  });

  it("is created for the organization of a Google signup", async () => {
    const google = await registerGoogleAccount();
    const client = googleClient();
    expect((await signInWithGoogle(google, client)).status).toBe(302);
    const organizationId = await organizationIdOf(client);
    const customer = fakeStripe.customers.get(await customerOf(organizationId));
    expect(customer).toMatchObject({ metadata: { organization_id: organizationId } });
  });

  it("attempts that race end with one customer and one mapping (same idempotency key, compare-and-set)", async () => {
    const user = await insertUser({ passwordHash: null });
    const ctx = testServiceContext();
    const stripe = (await findStripeClient(ctx.config))!;
    const ids = await Promise.all(
      Array.from({ length: 4 }, () => ensureStripeCustomer(ctx, stripe, user.organizationId)),
    );
    expect(new Set(ids).size).toBe(1);
    expect(await customerOf(user.organizationId)).toBe(ids[0]);
    const created = [...fakeStripe.customers.values()].filter(
      (customer) => customer.metadata.organization_id === user.organizationId,
    );
    expect(created).toHaveLength(1);
  });

  it("never blocks signup or login while Stripe is down, and is created at a later login", async () => {
    fakeStripe.outage = "network";
    const email = uniqueEmail("outage");
    const client = createClient();
    expect((await client.post("/auth/signup", { email, password: GOOD_PASSWORD })).status).toBe(201);
    const token = await readEmailedToken(client, email, "/verify-email");
    expect((await client.post("/auth/verify-email", { token })).status).toBe(200);
    expect((await client.post("/auth/login", { email, password: GOOD_PASSWORD })).status).toBe(200);
    const organizationId = await organizationIdOf(client);
    expect((await readOrganizationBilling(organizationId)).stripe_customer_id).toBeNull();

    fakeStripe.outage = "up";
    const again = createClient();
    expect((await again.post("/auth/login", { email, password: GOOD_PASSWORD })).status).toBe(200);
    expect(fakeStripe.customers.get(await customerOf(organizationId))?.metadata.organization_id).toBe(organizationId);
  });

  it("is created on demand by a billing route when the background creation failed", async () => {
    const user = await insertUser();
    // A login made while Stripe was down left the organization without a customer.
    fakeStripe.outage = "network";
    const client = createClient();
    expect((await client.post("/auth/login", { email: user.email, password: user.password })).status).toBe(200);
    fakeStripe.outage = "up";
    expect((await readOrganizationBilling(user.organizationId)).stripe_customer_id).toBeNull();
    expect((await client.post("/subscription/manage", { return_url: "/billing" })).status).toBe(200);
    await customerOf(user.organizationId);
  });
});

describe("POST /subscription/manage", () => {
  it("answers the URL of a Customer Portal session for the organization's customer, returning to the web app", async () => {
    const account = await signedInAccount();
    const customerId = await customerOf(await organizationIdOf(account.client));
    const response = await account.client.post("/subscription/manage", {
      return_url: "http://localhost:5173/settings/billing?tab=plan#x",
    });
    expect(response.status).toBe(200);
    const { url } = (await response.json()) as { url: string };
    const session = [...fakeStripe.portalSessions.values()].find((candidate) => candidate.url === url);
    expect(session).toMatchObject({
      customer: customerId,
      return_url: "http://localhost:5173/settings/billing?tab=plan",
    });

    const relative = await account.client.post("/subscription/manage", { return_url: "/billing" });
    const relativeURL = ((await relative.json()) as { url: string }).url;
    expect([...fakeStripe.portalSessions.values()].find((candidate) => candidate.url === relativeURL)?.return_url).toBe(
      "http://localhost:5173/billing",
    );
  });

  it("refuses every return_url that would leave the web app's origin (no open redirect), before calling Stripe", async () => {
    const account = await signedInAccount();
    const before = fakeStripe.portalSessions.size;
    for (const returnURL of [
      "https://evil.example/billing",
      "//evil.example/billing",
      "/\\evil.example/billing",
      "\\\\evil.example",
      "https://localhost:5173/billing",
      "http://localhost:5174/billing",
      "http://localhost:5173@evil.example/",
      "http://user:pass@localhost:5173/",
      "javascript:alert(document.cookie)",
      "data:text/html,<script>alert(1)</script>",
      "http://localhost:5173.evil.example/",
      " https://evil.example",
    ]) {
      const response = await account.client.post("/subscription/manage", { return_url: returnURL });
      expect.soft({ returnURL, status: response.status }).toEqual({ returnURL, status: 422 });
      if (response.status === 422) {
        expect
          .soft(await response.json())
          .toMatchObject({ error: { code: "VALIDATION_ERROR", details: { fields: [{ field: "return_url" }] } } });
      }
    }
    expect(fakeStripe.portalSessions.size).toBe(before);
  });

  it("Stripe down: 502 UPSTREAM_UNAVAILABLE", async () => {
    const account = await signedInAccount();
    fakeStripe.outage = "error";
    const response = await account.client.post("/subscription/manage", { return_url: "/billing" });
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ error: { code: "UPSTREAM_UNAVAILABLE", message: expect.any(String) } });
  });
});

describe("a deployment without Stripe, or with a broken Stripe setting", () => {
  const BILLING_ROUTES = [
    ["POST", "/subscription/manage", { return_url: "/billing" }],
    ["GET", "/billing/credit-packs", undefined],
    ["POST", "/billing/credit-packs/checkout", { pack_id: "tokens_5m", return_base_url: "/billing" }],
    ["POST", "/billing/credit-packs/verify", { session_id: "cs_test_abc" }],
  ] as const;

  async function expectBillingMisconfigured(client: TestClient, setting: string): Promise<void> {
    for (const [method, path, json] of BILLING_ROUTES) {
      const response = await client.request(method, path, { json });
      expect.soft({ path, status: response.status, body: await response.json() }).toEqual({
        path,
        status: 503,
        body: { error: { code: "MISCONFIGURED", message: expect.any(String), details: { settings: [setting] } } },
      });
    }
  }

  it("without keys: billing routes answer 503 MISCONFIGURED naming STRIPE_SECRET_KEY, the webhook STRIPE_WEBHOOK_SECRET, and everything else works without calling Stripe", async () => {
    const calls = fakeStripe.requests.length;
    const off = { STRIPE_SECRET_KEY: "", STRIPE_WEBHOOK_SECRET: "" };
    const account = await signedInAccount({ client: { env: off } });
    expect((await account.client.post("/notes", { title: "Still works" })).status).toBe(201);
    expect((await account.client.get("/plan")).status).toBe(200);
    await expectBillingMisconfigured(account.client, "STRIPE_SECRET_KEY");

    const now = nowSeconds();
    const event = eventFixture(
      "customer.subscription.created",
      subscriptionFixture({
        customer: stripeId("cus"),
        productId: stripeId("prod"),
        status: "active",
        periodStart: now,
        periodEnd: now + 60,
      }),
    );
    const delivery = await deliverStripeEvent(event, { client: createClient({ origin: null, env: off }) });
    expect(delivery).toEqual({
      status: 503,
      body: {
        error: { code: "MISCONFIGURED", message: expect.any(String), details: { settings: ["STRIPE_WEBHOOK_SECRET"] } },
      },
    });
    expect(fakeStripe.requests.length).toBe(calls);
    expect((await readOrganizationBilling(await organizationIdOf(account.client))).stripe_customer_id).toBeNull();
  });

  it("a publishable key where the secret key belongs: billing says STRIPE_SECRET_KEY, the rest works", async () => {
    const account = await signedInAccount({ client: { env: { STRIPE_SECRET_KEY: "pk_test_51NotASecretKey000000" } } });
    await expectBillingMisconfigured(account.client, "STRIPE_SECRET_KEY");
  });

  it("a key Stripe refuses: 503 MISCONFIGURED naming STRIPE_SECRET_KEY", async () => {
    const account = await signedInAccount();
    const client = createClient({ env: { STRIPE_SECRET_KEY: `${TEST_STRIPE_SECRET_KEY}Revoked` } });
    expect((await client.post("/auth/login", { email: account.email, password: account.password })).status).toBe(200);
    const response = await client.post("/subscription/manage", { return_url: "/billing" });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      error: { code: "MISCONFIGURED", details: { settings: ["STRIPE_SECRET_KEY"] } },
    });
  });

  it("in production, STRIPE_API_BASE is refused: billing answers 503 naming it, sign-in still works", async () => {
    const user = await insertUser();
    const client = createClient({
      env: {
        ENVIRONMENT: "prod",
        WEB_BASE_URL: "https://app.example.com",
        CORS_ORIGINS: "https://app.example.com",
        EMAIL_PROVIDER: "resend",
        RESEND_API_KEY: "re_test_key",
        API_BASE_URL: "https://api.example.com",
        GOOGLE_CLIENT_ID: "",
        GOOGLE_CLIENT_SECRET: "",
        OIDC_ISSUER: "",
      },
      origin: "https://app.example.com",
    });
    expect((await client.post("/auth/login", { email: user.email, password: user.password })).status).toBe(200);
    await expectBillingMisconfigured(client, "STRIPE_API_BASE");
  });
});
