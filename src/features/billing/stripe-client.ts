// The Stripe SDK on its fetch HTTP client and SubtleCrypto: one client per key and API base.
import Stripe from "stripe";
import { type Config, misconfiguredError, requireSubsystemConfig } from "../../config";
import type { BillingConfig } from "../../config/billing";

/** Webhook signatures are checked with WebCrypto (SEC-50); the SDK's Node crypto is absent here. */
export const STRIPE_CRYPTO_PROVIDER = Stripe.createSubtleCryptoProvider();

interface StripeClientOptions {
  secretKey: string;
  /** Tests and local fakes: where API calls go instead of https://api.stripe.com. */
  apiBase?: BillingConfig["stripeAPIBase"];
  /** The fetch to send with; the global fetch, looked up at each call, by default. */
  fetch?: typeof fetch;
}

function createStripeClient(options: StripeClientOptions): Stripe {
  const send = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  return new Stripe(options.secretKey, {
    httpClient: Stripe.createFetchHttpClient(send),
    // A request must answer well inside a Worker's lifetime; the SDK retries network failures
    // and 409/5xx answers once, with the same idempotency key.
    timeout: 10_000,
    maxNetworkRetries: 1,
    telemetry: false,
    ...(options.apiBase ?? {}),
  });
}

// Building a client instantiates every resource class: do it once per key and base per isolate.
const clients = new Map<string, Stripe>();

/** The client for the configured key, or null when billing is off or misconfigured. */
export function findStripeClient(config: Config): Stripe | null {
  if ("problems" in config.billing) return null;
  const billing = config.billing.config;
  if (!billing.stripeSecretKey) return null;
  const cacheKey = JSON.stringify([billing.stripeSecretKey, billing.stripeAPIBase]);
  let client = clients.get(cacheKey);
  if (!client) {
    client = createStripeClient({ secretKey: billing.stripeSecretKey, apiBase: billing.stripeAPIBase });
    clients.set(cacheKey, client);
  }
  return client;
}

/**
 * The client, or 503 MISCONFIGURED naming what is missing or invalid. Only billing calls this, so
 * a deployment without Stripe keys serves everything else (docs/billing.md).
 */
export function requireStripeClient(config: Config): Stripe {
  requireSubsystemConfig(config, "billing");
  const client = findStripeClient(config);
  if (!client) throw misconfiguredError(["STRIPE_SECRET_KEY"], { message: "Billing is off: set STRIPE_SECRET_KEY." });
  return client;
}
