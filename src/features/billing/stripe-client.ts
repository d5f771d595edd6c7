// The Stripe SDK on its fetch HTTP client and SubtleCrypto: one client per key and API base.
import type Stripe from "stripe";
import { type Config, misconfiguredError, requireSubsystemConfig } from "../../config";
import type { BillingConfig } from "../../config/billing";

type StripeSDK = typeof Stripe;

/**
 * The SDK, evaluated on the first billing request instead of at isolate start: its module scope
 * declares every API resource (~700 KB unminified), work no other route needs (issue 18,
 * docs/decisions/perf.md "Bundle and startup"). The bundler keeps the dynamic import() in the one
 * bundle and runs the module when it is called. Only `import type` of "stripe" elsewhere in src/.
 */
export async function loadStripe(): Promise<StripeSDK> {
  return (await import("stripe")).default;
}

/** Webhook signatures are checked with WebCrypto (SEC-50); the SDK's Node crypto is absent here. */
export async function stripeCryptoProvider(): Promise<ReturnType<StripeSDK["createSubtleCryptoProvider"]>> {
  cryptoProvider ??= (await loadStripe()).createSubtleCryptoProvider();
  return cryptoProvider;
}
let cryptoProvider: ReturnType<StripeSDK["createSubtleCryptoProvider"]> | undefined;

interface StripeClientOptions {
  secretKey: string;
  /** Tests and local fakes: where API calls go instead of https://api.stripe.com. */
  apiBase?: BillingConfig["stripeAPIBase"];
  /** The fetch to send with; the global fetch, looked up at each call, by default. */
  fetch?: typeof fetch;
}

function createStripeClient(Stripe: StripeSDK, options: StripeClientOptions): Stripe {
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

/** Whether findStripeClient would give a client: billing on and a key set (no SDK loaded to know). */
export function isStripeConfigured(config: Config): boolean {
  return !("problems" in config.billing) && Boolean(config.billing.config.stripeSecretKey);
}

/** The client for the configured key, or null when billing is off or misconfigured. */
export async function findStripeClient(config: Config): Promise<Stripe | null> {
  if ("problems" in config.billing) return null;
  const billing = config.billing.config;
  if (!billing.stripeSecretKey) return null;
  const cacheKey = JSON.stringify([billing.stripeSecretKey, billing.stripeAPIBase]);
  let client = clients.get(cacheKey);
  if (!client) {
    client = createStripeClient(await loadStripe(), {
      secretKey: billing.stripeSecretKey,
      apiBase: billing.stripeAPIBase,
    });
    clients.set(cacheKey, client);
  }
  return client;
}

/**
 * The client, or 503 MISCONFIGURED naming what is missing or invalid. Only billing calls this, so
 * a deployment without Stripe keys serves everything else (docs/billing.md).
 */
export async function requireStripeClient(config: Config): Promise<Stripe> {
  requireSubsystemConfig(config, "billing");
  const client = await findStripeClient(config);
  if (!client) throw misconfiguredError(["STRIPE_SECRET_KEY"], { message: "Billing is off: set STRIPE_SECRET_KEY." });
  return client;
}
