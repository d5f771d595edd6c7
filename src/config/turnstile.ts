// Cloudflare Turnstile settings (SEC-72). Optional: without TURNSTILE_SECRET_KEY the bot check is
// off. A set but invalid value is a problem of the protected routes alone (503 MISCONFIGURED
// there): they fail closed rather than run unprotected.
import { z } from "zod";
import type { Env } from "../env";
import { type ConfigResult, devDefault, readEnvironment } from "./contract";

/** https://developers.cloudflare.com/turnstile/get-started/server-side-validation/ */
const TURNSTILE_SITEVERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify";

/**
 * Cloudflare's dummy secret keys (https://developers.cloudflare.com/turnstile/troubleshooting/testing/):
 * "1x…" passes every token. Fine in dev and staging; in production it would switch the check off.
 */
const ALWAYS_PASSES_SECRET_KEY = /^1x0{31}AA$/;

export interface TurnstileConfig {
  secretKey: string;
  siteverifyURL: string;
  /** The hostname siteverify must report: where the widget ran (WEB_BASE_URL's unless set). */
  hostname: string;
}

const configSchema = z.object({
  secretKey: z.string().regex(/^[\x21-\x7e]{1,256}$/, "one printable token"),
  siteverifyURL: z.url({ protocol: /^https?$/ }),
  hostname: z.string().regex(/^[a-z0-9.-]{1,253}$/i),
});

const SETTING_NAMES: Record<string, string> = {
  secretKey: "TURNSTILE_SECRET_KEY",
  siteverifyURL: "TURNSTILE_SITEVERIFY_URL",
  hostname: "TURNSTILE_HOSTNAME",
};

/** The config, null when the bot check is off, or the settings at fault. */
export function readTurnstileConfig(env: Env): ConfigResult<TurnstileConfig | null> {
  const secretKey = env.TURNSTILE_SECRET_KEY?.trim();
  if (!secretKey) return { config: null };
  const environment = readEnvironment(env);
  const webBaseURL = devDefault(env, env.WEB_BASE_URL, "http://localhost:5173");
  const parsed = configSchema.safeParse({
    secretKey,
    siteverifyURL: env.TURNSTILE_SITEVERIFY_URL || TURNSTILE_SITEVERIFY_URL,
    hostname: env.TURNSTILE_HOSTNAME || (webBaseURL && URL.canParse(webBaseURL) ? new URL(webBaseURL).hostname : ""),
  });
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => SETTING_NAMES[String(issue.path[0])] ?? "TURNSTILE_SECRET_KEY");
  // Another siteverify is a local fake; a deployed worker asks Cloudflare itself.
  if (environment !== "dev" && env.TURNSTILE_SITEVERIFY_URL) problems.push("TURNSTILE_SITEVERIFY_URL");
  if (environment === "prod" && ALWAYS_PASSES_SECRET_KEY.test(secretKey)) problems.push("TURNSTILE_SECRET_KEY");
  if (!parsed.success || problems.length > 0) return { problems: [...new Set(problems)] };
  return { config: parsed.data };
}
