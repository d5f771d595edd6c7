// Reads and validates vars and secrets once per isolate; fails closed outside development. The
// core settings are read here; each optional subsystem has its own reader (src/config/), all
// keeping one contract — a config, or the names of the settings at fault — and registered below.
import { z } from "zod";
import { readAIConfig } from "./config/ai";
import { readBillingConfig } from "./config/billing";
import { readBreachedPasswordsConfig } from "./config/breached-passwords";
import { type ConfigResult, DEV_API_BASE_URL, devDefault, type Environment, readEnvironment } from "./config/contract";
import { readEmailConfig } from "./config/email";
import { readGoogleConfig } from "./config/google";
import { readMfaConfig } from "./config/mfa";
import { readRetentionConfig } from "./config/retention";
import { readTurnstileConfig } from "./config/turnstile";
import { readTokenSigningConfig } from "./config/token-signing";
import { readWebhooksConfig } from "./config/webhooks";
import type { Env } from "./env";
import { AppError } from "./errors";
import { DEFAULT_ARGON2_PARAMS, MAX_ARGON2_PARAMS } from "./lib/password";

/**
 * Subsystems every request may need (mail goes out from signup, login, invitations; /config tells
 * the web app whether Google sign-in is on): a problem in one is a 503 on every route.
 */
const EVERY_ROUTE_SUBSYSTEMS = { email: readEmailConfig, google: readGoogleConfig } as const;

/**
 * Subsystems only their own routes need: a problem in one is a 503 on those routes alone
 * (requireSubsystemConfig), so a broken Stripe or AI setting never takes the rest of the API down.
 * The bot check and the breached-password check are the protected routes' and the routes that set
 * a password: those fail closed, signed-in traffic goes on. The second-factor key is the TOTP
 * routes' (and the second step of a login that needs one).
 */
const OWN_ROUTE_SUBSYSTEMS = {
  billing: readBillingConfig,
  ai: readAIConfig,
  retention: readRetentionConfig,
  turnstile: readTurnstileConfig,
  breachedPasswords: readBreachedPasswordsConfig,
  tokenSigning: readTokenSigningConfig,
  mfa: readMfaConfig,
  webhooks: readWebhooksConfig,
} as const;

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

const baseURLSchema = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ""));

const coreSchema = z.object({
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
  jwtSecret: secretSchema.optional(),
  cronSecret: secretSchema.optional(),
  /** The API's own public base URL; OAuth redirect URIs are built from it, never from Host. */
  apiBaseURL: baseURLSchema.optional(),
});

type CoreConfig = z.infer<typeof coreSchema> & { environment: Environment };

type ConfigOf<Read> = Read extends (env: Env) => ConfigResult<infer T> ? T : never;
type EveryRouteConfigs = { [K in keyof typeof EVERY_ROUTE_SUBSYSTEMS]: ConfigOf<(typeof EVERY_ROUTE_SUBSYSTEMS)[K]> };
type OwnRouteValues = { [K in keyof typeof OWN_ROUTE_SUBSYSTEMS]: ConfigOf<(typeof OWN_ROUTE_SUBSYSTEMS)[K]> };
type OwnRouteConfigs = { [K in keyof OwnRouteValues]: ConfigResult<OwnRouteValues[K]> };

/** The core settings, the every-route subsystems' configs, and the own-route subsystems' results. */
export type Config = CoreConfig & EveryRouteConfigs & OwnRouteConfigs;

const cache = new WeakMap<Env, ConfigResult<Config>>();

export function readConfig(env: Env): ConfigResult<Config> {
  let result = cache.get(env);
  if (!result) {
    result = parseConfig(env);
    cache.set(env, result);
  }
  return result;
}

/** The config, or a 503 MISCONFIGURED naming the settings at fault in every subsystem a route needs. */
export function requireConfig(env: Env): Config {
  const result = readConfig(env);
  if ("problems" in result) throw misconfiguredError(result.problems);
  return result.config;
}

/** An own-route subsystem's config, or 503 MISCONFIGURED naming its settings at fault. */
export function requireSubsystemConfig<K extends keyof OwnRouteValues>(config: Config, name: K): OwnRouteValues[K] {
  const result = config[name] as ConfigResult<OwnRouteValues[K]>;
  if ("problems" in result) throw misconfiguredError(result.problems);
  return result.config;
}

/**
 * The one shape of a configuration problem: 503 MISCONFIGURED with the names of the settings at
 * fault in details.settings, never their values. `options.message` is for problems found at call time
 * (a key the provider refuses) rather than by reading the settings.
 */
export function misconfiguredError(settings: string[], options: { message?: string } = {}): AppError {
  const message = options.message ?? "The service is not configured correctly for this request.";
  return new AppError("MISCONFIGURED", message, { settings });
}

function parseConfig(env: Env): ConfigResult<Config> {
  const environment = readEnvironment(env);
  if (!environment) return { problems: ["ENVIRONMENT"] };
  const core = readCoreConfig(env, environment);
  const problems = "problems" in core ? [...core.problems] : [];
  const everyRoute: Partial<Record<string, unknown>> = {};
  for (const [name, read] of Object.entries(EVERY_ROUTE_SUBSYSTEMS)) {
    const result: ConfigResult<unknown> = read(env);
    if ("problems" in result) problems.push(...result.problems);
    else everyRoute[name] = result.config;
  }
  if ("problems" in core || problems.length > 0) return { problems: [...new Set(problems)] };
  const ownRoute = Object.fromEntries(Object.entries(OWN_ROUTE_SUBSYSTEMS).map(([name, read]) => [name, read(env)]));
  return { config: { ...core.config, ...(everyRoute as EveryRouteConfigs), ...(ownRoute as OwnRouteConfigs) } };
}

function readCoreConfig(env: Env, environment: Environment): ConfigResult<CoreConfig> {
  const isDev = environment === "dev";
  const parsed = coreSchema.safeParse({
    mode: env.MODE ?? "b2c",
    webBaseURL: devDefault(env, env.WEB_BASE_URL, "http://localhost:5173"),
    corsOrigins: devDefault(env, env.CORS_ORIGINS, "http://localhost:5173"),
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
    jwtSecret: env.JWT_SECRET || undefined,
    cronSecret: env.CRON_SECRET || undefined,
    apiBaseURL: devDefault(env, env.API_BASE_URL, DEV_API_BASE_URL),
  });
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => settingName(issue.path));
  if (!isDev) {
    // Outside dev, secrets are mandatory and links in emails must point at an https web app.
    if (!env.JWT_SECRET) problems.push("JWT_SECRET");
    if (!env.CRON_SECRET) problems.push("CRON_SECRET");
    if (!env.WEB_BASE_URL?.startsWith("https://")) problems.push("WEB_BASE_URL");
  }
  if (!parsed.success || problems.length > 0) return { problems: [...new Set(problems)] };
  return { config: { ...parsed.data, environment } };
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
  jwtSecret: "JWT_SECRET",
  cronSecret: "CRON_SECRET",
  apiBaseURL: "API_BASE_URL",
};

function settingName(path: PropertyKey[]): string {
  const key = path.filter((part) => typeof part === "string").join(".");
  return SETTING_NAMES[key] ?? SETTING_NAMES[key.split(".")[0] ?? ""] ?? key;
}
