// Billing test helpers: deliveries to the webhook as Stripe makes them, and the billing rows in D1.
import { env } from "cloudflare:test";
import { expect } from "vitest";
import type Stripe from "stripe";
import { createClient, type TestClient } from "./client";
import { signStripeEvent } from "./fake-stripe";

export interface Delivery {
  status: number;
  body: { received?: true; result?: string; error?: { code: string; message: string } };
}

/** POSTs `event` to /webhooks/stripe signed like Stripe: no cookie, no Origin, Stripe's headers. */
export async function deliverStripeEvent(
  event: Stripe.Event,
  options: { secret?: string; timestamp?: number; client?: TestClient } = {},
): Promise<Delivery> {
  const { body, signature } = await signStripeEvent(event, options);
  return postToWebhook(body, { "stripe-signature": signature }, options.client);
}

export async function postToWebhook(
  body: string,
  headers: Record<string, string>,
  client?: TestClient,
): Promise<Delivery> {
  const response = await (client ?? createClient({ origin: null })).request("POST", "/webhooks/stripe", {
    body,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
      ...headers,
    },
  });
  return { status: response.status, body: (await response.json()) as Delivery["body"] };
}

export interface OrganizationBilling {
  plan_id: string | null;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  subscription_status: string | null;
  current_period_start: number | null;
  current_period_end: number | null;
  subscription_event_at: number | null;
  credit_balance_tokens: number;
}

export async function readOrganizationBilling(organizationId: string): Promise<OrganizationBilling> {
  const row = await env.DB.prepare(
    `SELECT plan_id, stripe_customer_id, stripe_subscription_id, subscription_status, current_period_start,
            current_period_end, subscription_event_at, credit_balance_tokens
       FROM organization WHERE id = ?`,
  )
    .bind(organizationId)
    .first<OrganizationBilling>();
  if (!row) throw new Error(`no organization ${organizationId}`);
  return row;
}

/** The organization's Stripe customer id, once the deferred creation has recorded it. */
export async function customerOf(organizationId: string): Promise<string> {
  const { stripe_customer_id: customerId } = await readOrganizationBilling(organizationId);
  expect(customerId, `organization ${organizationId} has no Stripe customer`).toMatch(/^cus_/);
  return customerId!;
}

export interface LedgerRow {
  organization_id: string;
  tokens: number;
  kind: string;
  payment_reference: string | null;
}

export async function readLedger(organizationId: string): Promise<LedgerRow[]> {
  const { results } = await env.DB.prepare(
    "SELECT organization_id, tokens, kind, payment_reference FROM organization_credit_transaction WHERE organization_id = ? ORDER BY created_at, id",
  )
    .bind(organizationId)
    .all<LedgerRow>();
  return results;
}

export async function countStripeEvents(eventId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM stripe_event WHERE id = ?")
    .bind(eventId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export async function auditRows(
  action: string,
  organizationId: string | null,
): Promise<{ target: string | null; details: string | null }[]> {
  const { results } = await env.DB.prepare(
    `SELECT target, details FROM audit_log WHERE action = ? AND organization_id ${organizationId === null ? "IS NULL" : "= ?"} ORDER BY id`,
  )
    .bind(...(organizationId === null ? [action] : [action, organizationId]))
    .all<{ target: string | null; details: string | null }>();
  return results;
}
