// The worker's bindings: vars, secrets, D1, the rate-limit object, static assets, queues and Workers
// AI. Bindings only: each middleware declares the context variables it sets in its own file
// (ContextVariableMap).
import type { RateLimiter } from "./rate-limit/rate-limiter";

export interface Env {
  DB: D1Database;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /**
   * The static files of public/ (wrangler.toml [assets]). The asset layer serves them before the
   * worker runs; the worker never reads this binding, test/http/docs.test.ts does.
   */
  ASSETS?: Fetcher;
  /** Outbound webhook deliveries (docs/webhooks.md): the outbox producer sends, queue() consumes. */
  WEBHOOK_QUEUE: Queue<WebhookDeliveryMessage>;
  // vars
  ENVIRONMENT?: string;
  MODE?: string;
  WEB_BASE_URL?: string;
  API_BASE_URL?: string;
  CORS_ORIGINS?: string;
  EMAIL_PROVIDER?: string;
  EMAIL_FROM?: string;
  SESSION_TTL_SECONDS?: string;
  SESSION_COOKIE_NAME?: string;
  SESSION_RETENTION_DAYS?: string;
  /** Retention windows in days (docs/configuration.md, "Retention"), read by src/config/retention.ts. */
  USAGE_LOG_RETENTION_DAYS?: string;
  AUDIT_LOG_RETENTION_DAYS?: string;
  STRIPE_EVENT_RETENTION_DAYS?: string;
  AI_RESERVATION_RETENTION_DAYS?: string;
  INVITATION_RETENTION_DAYS?: string;
  EMAIL_TOKEN_RETENTION_DAYS?: string;
  ARGON2_MEMORY_KIB?: string;
  ARGON2_ITERATIONS?: string;
  ARGON2_PARALLELISM?: string;
  ARGON2_MAX_CONCURRENT?: string;
  /** Stripe billing (docs/billing.md): packs as JSON; the API base only in dev, for fakes. */
  CREDIT_PACKS_JSON?: string;
  STRIPE_API_BASE?: string;
  BILLING_GRACE_DAYS?: string;
  STRIPE_METER_EVENT_NAME?: string;
  STRIPE_METER_CUSTOMER_KEY?: string;
  STRIPE_METER_VALUE_KEY?: string;
  OIDC_ISSUER?: string;
  /** AI (docs/ai.md): provider, model and limits; the OpenAI-compatible base URL is https outside dev. */
  AI_PROVIDER?: string;
  AI_MODEL?: string;
  AI_MAX_OUTPUT_TOKENS?: string;
  AI_RESERVATION_TTL_SECONDS?: string;
  OPENAI_BASE_URL?: string;
  /** Fake provider knobs (dev only): per-chunk delay, failure injection, reply length. */
  AI_FAKE_CHUNK_DELAY_MS?: string;
  AI_FAKE_FAIL_AFTER_CHUNKS?: string;
  AI_FAKE_REPLY_WORDS?: string;
  /** Breached passwords (docs/configuration.md, SEC-71): on|off, the range API base, open|closed. */
  PWNED_PASSWORDS?: string;
  PWNED_PASSWORDS_API_BASE?: string;
  PWNED_PASSWORDS_ON_ERROR?: string;
  /** Turnstile (SEC-72): siteverify's URL (dev only, for fakes) and the hostname it must report. */
  TURNSTILE_SITEVERIFY_URL?: string;
  TURNSTILE_HOSTNAME?: string;
  // secrets
  JWT_SECRET?: string;
  CRON_SECRET?: string;
  RESEND_API_KEY?: string;
  STRIPE_SECRET_KEY?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  GOOGLE_CLIENT_ID?: string;
  GOOGLE_CLIENT_SECRET?: string;
  OPENAI_API_KEY?: string;
  TURNSTILE_SECRET_KEY?: string;
  /** 32 random bytes, base64url: encrypts TOTP secrets at rest (SEC-65); required outside dev. */
  MFA_ENCRYPTION_KEY?: string;
  /** Outbound webhooks (docs/webhooks.md): AES-256-GCM key for the signing secrets, 32 bytes base64url. */
  WEBHOOK_ENCRYPTION_KEY?: string;
  /** Workers AI (`[ai] binding = "AI"` in wrangler.toml), for AI_PROVIDER=workers-ai. */
  AI?: Ai;
}

/** A webhook Queue message: one event for one endpoint, so each endpoint retries on its own. */
export interface WebhookDeliveryMessage {
  eventId: string;
  endpointId: string;
}

/** The Hono environment of every router; variables come from the middlewares' ContextVariableMap. */
export interface AppEnv {
  Bindings: Env;
}
