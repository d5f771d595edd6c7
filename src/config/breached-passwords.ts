// Breached-password check settings (SEC-71). On by default outside dev, off in dev so `npm run dev`
// works offline; a set but invalid value is a problem of the routes that set passwords alone
// (503 MISCONFIGURED there), never of the whole API.
import { z } from "zod";
import type { Env } from "../env";
import { type ConfigResult, readEnvironment } from "./contract";

/** The Pwned Passwords range API (https://haveibeenpwned.com/API/v3#PwnedPasswords). */
const PWNED_PASSWORDS_API_BASE = "https://api.pwnedpasswords.com";

export interface BreachedPasswordsConfig {
  enabled: boolean;
  /** Where range queries go: Pwned Passwords itself, a self-hosted mirror (https), or a dev fake. */
  apiBase: string;
  /**
   * What an unreachable service means. "open" (the default, SEC-71): the password is accepted and a
   * warning logged, so an outage of a third party never stops people from signing up or resetting.
   * "closed": 502 UPSTREAM_UNAVAILABLE, for deployments that would rather refuse than let one through.
   */
  onError: "open" | "closed";
}

const configSchema = z.object({
  enabled: z.enum(["on", "off"]).transform((value) => value === "on"),
  apiBase: z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, "")),
  onError: z.enum(["open", "closed"]),
});

const SETTING_NAMES: Record<string, string> = {
  enabled: "PWNED_PASSWORDS",
  apiBase: "PWNED_PASSWORDS_API_BASE",
  onError: "PWNED_PASSWORDS_ON_ERROR",
};

export function readBreachedPasswordsConfig(env: Env): ConfigResult<BreachedPasswordsConfig> {
  const isDev = readEnvironment(env) === "dev";
  const parsed = configSchema.safeParse({
    enabled: env.PWNED_PASSWORDS || (isDev ? "off" : "on"),
    apiBase: env.PWNED_PASSWORDS_API_BASE || PWNED_PASSWORDS_API_BASE,
    onError: env.PWNED_PASSWORDS_ON_ERROR || "open",
  });
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => SETTING_NAMES[String(issue.path[0])] ?? "PWNED_PASSWORDS");
  // Password hash prefixes go over TLS outside dev; plain http is for a local fake only.
  if (!isDev && parsed.success && !parsed.data.apiBase.startsWith("https://"))
    problems.push("PWNED_PASSWORDS_API_BASE");
  if (!parsed.success || problems.length > 0) return { problems: [...new Set(problems)] };
  return { config: parsed.data };
}
