// Stripe billing settings. Optional in every environment: unset keys turn billing off, and a set
// but invalid one is a problem of billing alone, reported by the billing routes (503 MISCONFIGURED)
// so that it never takes the rest of the API down.
import type { Env } from "../env";
import { type ConfigResult, readEnvironment } from "./contract";
import { type CreditPack, CreditPackListSchema } from "./credit-packs";

export interface BillingConfig {
  /** null: billing is off; the billing routes answer 503 MISCONFIGURED naming STRIPE_SECRET_KEY. */
  stripeSecretKey: string | null;
  /** null: the webhook answers 503 MISCONFIGURED naming STRIPE_WEBHOOK_SECRET (Stripe retries). */
  stripeWebhookSecret: string | null;
  /** STRIPE_API_BASE (dev only): where the SDK sends API calls instead of https://api.stripe.com. */
  stripeAPIBase: { protocol: "http" | "https"; host: string; port: string } | null;
  /** CREDIT_PACKS_JSON: the packs on sale unless a sys_admin stored the credit_packs setting. */
  creditPacks: CreditPack[] | null;
  /** BILLING_GRACE_DAYS: days after a failed invoice payment before the default plan applies. */
  graceDays: number;
  /** Overage billing through a Stripe Billing meter (SEC-81); null while STRIPE_METER_EVENT_NAME is unset. */
  meter: MeterConfig | null;
}

export interface MeterConfig {
  /** The meter's event_name in Stripe. */
  eventName: string;
  /** The meter's customer_mapping.event_payload_key (Stripe's default: stripe_customer_id). */
  customerKey: string;
  /** The meter's value_settings.event_payload_key (Stripe's default: value). */
  valueKey: string;
}

const DEFAULT_GRACE_DAYS = 7;
const MAX_GRACE_DAYS = 90;
/** Stripe's event names and payload keys: letters, digits, _ - . (at most 100 characters). */
const METER_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/;

function readGraceDays(value: string | undefined): number | null {
  if (!value?.trim()) return DEFAULT_GRACE_DAYS;
  if (!/^[0-9]{1,3}$/.test(value.trim())) return null;
  const days = Number(value.trim());
  return days <= MAX_GRACE_DAYS ? days : null;
}

function readMeterConfig(env: Env, problems: string[]): MeterConfig | null {
  const read = (
    name: "STRIPE_METER_EVENT_NAME" | "STRIPE_METER_CUSTOMER_KEY" | "STRIPE_METER_VALUE_KEY",
    fallback: string,
  ) => {
    const value = env[name]?.trim() || fallback;
    if (METER_NAME_PATTERN.test(value)) return value;
    problems.push(name);
    return fallback;
  };
  const eventName = env.STRIPE_METER_EVENT_NAME?.trim();
  if (!eventName) return null;
  return {
    eventName: read("STRIPE_METER_EVENT_NAME", eventName),
    customerKey: read("STRIPE_METER_CUSTOMER_KEY", "stripe_customer_id"),
    valueKey: read("STRIPE_METER_VALUE_KEY", "value"),
  };
}

// A publishable key (pk_) where the secret key belongs is the usual mistake these catch.
const STRIPE_SECRET_KEY_PATTERN = /^(sk|rk)_(test|live)_[A-Za-z0-9_]{8,}$/;
const STRIPE_WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9+/=_-]{8,}$/;

export function readBillingConfig(env: Env): ConfigResult<BillingConfig> {
  const problems: string[] = [];
  const secret = (name: "STRIPE_SECRET_KEY" | "STRIPE_WEBHOOK_SECRET", pattern: RegExp): string | null => {
    const value = env[name]?.trim();
    if (!value) return null;
    if (pattern.test(value)) return value;
    problems.push(name);
    return null;
  };
  const stripeSecretKey = secret("STRIPE_SECRET_KEY", STRIPE_SECRET_KEY_PATTERN);
  const stripeWebhookSecret = secret("STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET_PATTERN);
  let stripeAPIBase: BillingConfig["stripeAPIBase"] = null;
  if (env.STRIPE_API_BASE) {
    const url = URL.canParse(env.STRIPE_API_BASE) ? new URL(env.STRIPE_API_BASE) : null;
    // A local fake or stripe-mock only: a deployed worker talks to Stripe itself.
    if (readEnvironment(env) === "dev" && url && (url.protocol === "http:" || url.protocol === "https:")) {
      const protocol = url.protocol === "http:" ? "http" : "https";
      stripeAPIBase = { protocol, host: url.hostname, port: url.port || (protocol === "http" ? "80" : "443") };
    } else {
      problems.push("STRIPE_API_BASE");
    }
  }
  const creditPacks = readCreditPacks(env.CREDIT_PACKS_JSON);
  if (creditPacks === undefined) problems.push("CREDIT_PACKS_JSON");
  const graceDays = readGraceDays(env.BILLING_GRACE_DAYS);
  if (graceDays === null) problems.push("BILLING_GRACE_DAYS");
  const meter = readMeterConfig(env, problems);
  if (problems.length > 0 || graceDays === null) return { problems };
  return {
    config: { stripeSecretKey, stripeWebhookSecret, stripeAPIBase, creditPacks: creditPacks ?? null, graceDays, meter },
  };
}

/** The packs of CREDIT_PACKS_JSON; null when unset, undefined when it is not a valid pack list. */
function readCreditPacks(json: string | undefined): CreditPack[] | null | undefined {
  if (!json?.trim()) return null;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  const parsed = CreditPackListSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
