// Reads and validates vars and secrets once per isolate; fails closed outside development.
import { z } from "zod";
import type { Env } from "./env";
import { AppError } from "./errors";
import { DEFAULT_ARGON2_PARAMS, MAX_ARGON2_PARAMS } from "./lib/password";

const environmentSchema = z.enum(["dev", "staging", "prod"]);
export type Environment = z.infer<typeof environmentSchema>;

const modeSchema = z.enum(["b2c", "b2b"]);
export type Mode = z.infer<typeof modeSchema>;

const positiveInteger = z.coerce.number().int().positive();

const originSchema = z.url().transform((value) => new URL(value).origin);

const originListSchema = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .pipe(z.array(originSchema));

const secretSchema = z.string().min(32, "must be at least 32 characters");

/** Google's issuer, the only one production accepts (the discovery document is fetched from it). */
export const GOOGLE_ISSUER = "https://accounts.google.com";

const baseURLSchema = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ""));

/** Kept exactly as written: an issuer identifier is compared byte for byte (OpenID Discovery §4.3). */
const issuerSchema = z
  .url({ protocol: /^https?$/ })
  .refine((value) => !value.includes("?") && !value.includes("#"), "an issuer has no query or fragment");

const configSchema = z.object({
  environment: environmentSchema,
  mode: modeSchema,
  webBaseURL: z.url().transform((value) => value.replace(/\/+$/, "")),
  corsOrigins: originListSchema,
  session: z.object({
    // The `__Host-` prefix is added outside dev (middleware/cookies.ts), never configured.
    cookieName: z.string().regex(/^(?!__)[A-Za-z0-9_-]{1,64}$/),
    ttlSeconds: positiveInteger,
    retentionDays: z.coerce.number().int().min(0),
  }),
  // At least the OWASP minimum (SEC-1); at most what the hashing module will run in 128 MB.
  argon2: z.object({
    memoryKiB: z.coerce.number().int().min(DEFAULT_ARGON2_PARAMS.memoryKiB).max(MAX_ARGON2_PARAMS.memoryKiB),
    iterations: z.coerce.number().int().min(DEFAULT_ARGON2_PARAMS.iterations).max(MAX_ARGON2_PARAMS.iterations),
    parallelism: z.coerce.number().int().min(DEFAULT_ARGON2_PARAMS.parallelism).max(MAX_ARGON2_PARAMS.parallelism),
    maxConcurrent: positiveInteger.max(8),
  }),
  email: z.discriminatedUnion("provider", [
    z.object({ provider: z.literal("stub"), from: z.string().min(3) }),
    z.object({ provider: z.literal("resend"), from: z.string().min(3), apiKey: z.string().min(1) }),
  ]),
  jwtSecret: secretSchema.optional(),
  cronSecret: secretSchema.optional(),
  /** The API's own public base URL; OAuth redirect URIs are built from it, never from Host. */
  apiBaseURL: baseURLSchema.optional(),
  /** Google sign-in; null when GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are both unset (disabled). */
  google: z
    .object({
      clientId: z.string().min(1).max(512),
      clientSecret: z.string().min(1).max(512),
      issuer: issuerSchema,
      redirectURI: z.url(),
    })
    .nullable(),
});

export type Config = z.infer<typeof configSchema> & { billing: BillingConfig };

/** The outcome of reading the environment: a usable config, or the names of what is wrong. */
export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

const cache = new WeakMap<Env, ConfigResult>();

export function readConfig(env: Env): ConfigResult {
  let result = cache.get(env);
  if (!result) {
    result = parseConfig(env);
    cache.set(env, result);
  }
  return result;
}

/** The config, or a 503 MISCONFIGURED naming (never revealing) the settings at fault. */
export function requireConfig(env: Env): Config {
  const result = readConfig(env);
  if (!result.ok) {
    throw new AppError(503, "MISCONFIGURED", "The service is not configured correctly.", {
      settings: result.problems,
    });
  }
  return result.config;
}

function parseConfig(env: Env): ConfigResult {
  const parsedEnvironment = environmentSchema.safeParse(env.ENVIRONMENT ?? "prod");
  if (!parsedEnvironment.success) return { ok: false, problems: ["ENVIRONMENT"] };
  const isDev = parsedEnvironment.data === "dev";
  // Development-only defaults apply only in dev; elsewhere a missing var is a problem.
  const devDefault = (value: string | undefined, fallback: string): string | undefined =>
    value ?? (isDev ? fallback : undefined);

  const apiBaseURL = devDefault(env.API_BASE_URL || undefined, "http://localhost:8787");
  const parsed = configSchema.safeParse({
    environment: parsedEnvironment.data,
    mode: env.MODE ?? "b2c",
    webBaseURL: devDefault(env.WEB_BASE_URL, "http://localhost:5173"),
    corsOrigins: devDefault(env.CORS_ORIGINS, "http://localhost:5173"),
    session: {
      cookieName: env.SESSION_COOKIE_NAME ?? "session_id",
      ttlSeconds: env.SESSION_TTL_SECONDS ?? "86400",
      retentionDays: env.SESSION_RETENTION_DAYS ?? "7",
    },
    argon2: {
      memoryKiB: env.ARGON2_MEMORY_KIB ?? "19456",
      iterations: env.ARGON2_ITERATIONS ?? "2",
      parallelism: env.ARGON2_PARALLELISM ?? "1",
      maxConcurrent: env.ARGON2_MAX_CONCURRENT ?? "2",
    },
    email: {
      provider: devDefault(env.EMAIL_PROVIDER, "stub"),
      from: devDefault(env.EMAIL_FROM, "Rampart <no-reply@localhost>"),
      apiKey: env.RESEND_API_KEY,
    },
    jwtSecret: env.JWT_SECRET || undefined,
    cronSecret: env.CRON_SECRET || undefined,
    apiBaseURL,
    google: readGoogleSettings(env, apiBaseURL),
  });
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((issue) => settingName(issue.path)) };
  }
  const config: Config = { ...parsed.data, billing: readBillingSettings(env, isDev) };
  const problems: string[] = [];
  if (!isDev) {
    // Outside dev, secrets are mandatory and the stub outbox would silently drop real mail.
    if (!config.jwtSecret) problems.push("JWT_SECRET");
    if (!config.cronSecret) problems.push("CRON_SECRET");
    if (config.email.provider === "stub") problems.push("EMAIL_PROVIDER");
    if (!config.webBaseURL.startsWith("https://")) problems.push("WEB_BASE_URL");
  }
  problems.push(...googleProblems(config));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

const SETTING_NAMES: Record<string, string> = {
  mode: "MODE",
  webBaseURL: "WEB_BASE_URL",
  corsOrigins: "CORS_ORIGINS",
  "session.cookieName": "SESSION_COOKIE_NAME",
  "session.ttlSeconds": "SESSION_TTL_SECONDS",
  "session.retentionDays": "SESSION_RETENTION_DAYS",
  "argon2.memoryKiB": "ARGON2_MEMORY_KIB",
  "argon2.iterations": "ARGON2_ITERATIONS",
  "argon2.parallelism": "ARGON2_PARALLELISM",
  "argon2.maxConcurrent": "ARGON2_MAX_CONCURRENT",
  "email.provider": "EMAIL_PROVIDER",
  "email.from": "EMAIL_FROM",
  "email.apiKey": "RESEND_API_KEY",
  jwtSecret: "JWT_SECRET",
  cronSecret: "CRON_SECRET",
  apiBaseURL: "API_BASE_URL",
  "google.clientId": "GOOGLE_CLIENT_ID",
  "google.clientSecret": "GOOGLE_CLIENT_SECRET",
  "google.issuer": "OIDC_ISSUER",
  "google.redirectURI": "API_BASE_URL",
};

/**
 * Google sign-in is optional: with neither GOOGLE_CLIENT_ID nor GOOGLE_CLIENT_SECRET it is simply
 * off (/config says so, the routes are 404). Half a configuration is a mistake, not a choice, so
 * it is reported like any other invalid setting.
 */
function readGoogleSettings(env: Env, apiBaseURL: string | undefined) {
  if (!env.GOOGLE_CLIENT_ID && !env.GOOGLE_CLIENT_SECRET) return null;
  return {
    clientId: env.GOOGLE_CLIENT_ID,
    clientSecret: env.GOOGLE_CLIENT_SECRET,
    issuer: env.OIDC_ISSUER || GOOGLE_ISSUER,
    // Without API_BASE_URL there is no redirect URI, reported as API_BASE_URL (SETTING_NAMES).
    redirectURI: apiBaseURL && `${apiBaseURL.replace(/\/+$/, "")}/auth/oauth/google/callback`,
  };
}

function googleProblems(config: Config): string[] {
  if (!config.google) return [];
  const problems: string[] = [];
  const isDev = config.environment === "dev";
  // The state is signed with JWT_SECRET (mandatory outside dev already).
  if (isDev && !config.jwtSecret) problems.push("JWT_SECRET");
  if (!isDev) {
    if (config.apiBaseURL && !config.apiBaseURL.startsWith("https://")) problems.push("API_BASE_URL");
    if (!config.google.issuer.startsWith("https://")) problems.push("OIDC_ISSUER");
  }
  // Another issuer is for tests and staging; production signs in with Google itself.
  if (config.environment === "prod" && config.google.issuer !== GOOGLE_ISSUER) problems.push("OIDC_ISSUER");
  return [...new Set(problems)];
}

function settingName(path: PropertyKey[]): string {
  const key = path.filter((part) => typeof part === "string").join(".");
  return SETTING_NAMES[key] ?? SETTING_NAMES[key.split(".")[0] ?? ""] ?? key;
}

/**
 * Stripe billing. Optional in every environment: without it the billing routes answer 503
 * MISCONFIGURED and everything else works. It is read apart from the rest of the config so that a
 * missing or malformed billing setting never takes the whole API down; billing routes report it.
 */
export interface BillingConfig {
  stripeSecretKey: string | null;
  stripeWebhookSecret: string | null;
  /** STRIPE_API_BASE (dev only): where the SDK sends API calls instead of https://api.stripe.com. */
  stripeAPIBase: { protocol: "http" | "https"; host: string; port: string } | null;
  /** CREDIT_PACKS_JSON as given; features/billing checks it against the pack declaration. */
  creditPacksJSON: string | null;
  /** Billing settings that are set but invalid, by name (never their values). */
  problems: string[];
}

const STRIPE_SECRET_KEY_PATTERN = /^(sk|rk)_(test|live)_[A-Za-z0-9_]{8,}$/;
const STRIPE_WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9+/=_-]{8,}$/;

function readBillingSettings(env: Env, isDev: boolean): BillingConfig {
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
    if (isDev && url && (url.protocol === "http:" || url.protocol === "https:")) {
      const protocol = url.protocol === "http:" ? "http" : "https";
      stripeAPIBase = { protocol, host: url.hostname, port: url.port || (protocol === "http" ? "80" : "443") };
    } else {
      problems.push("STRIPE_API_BASE");
    }
  }
  return {
    stripeSecretKey,
    stripeWebhookSecret,
    stripeAPIBase,
    creditPacksJSON: env.CREDIT_PACKS_JSON?.trim() || null,
    problems,
  };
}
