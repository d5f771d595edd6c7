// Google sign-in settings. Optional: with neither GOOGLE_CLIENT_ID nor GOOGLE_CLIENT_SECRET it is
// simply off (/config says so, the routes are 404). Half a configuration is a mistake, not a
// choice, so it is reported like any other invalid setting.
import { z } from "zod";
import type { Env } from "../env";
import { type ConfigResult, DEV_API_BASE_URL, devDefault, readEnvironment } from "./contract";

/** Google's issuer, the only one production accepts (the discovery document is fetched from it). */
export const GOOGLE_ISSUER = "https://accounts.google.com";

interface GoogleConfig {
  clientId: string;
  clientSecret: string;
  issuer: string;
  /** Built from API_BASE_URL, never from the request's Host. */
  redirectURI: string;
}

const googleSchema = z.object({
  clientId: z.string().min(1).max(512),
  clientSecret: z.string().min(1).max(512),
  /** Kept exactly as written: an issuer identifier is compared byte for byte (OpenID Discovery §4.3). */
  issuer: z
    .url({ protocol: /^https?$/ })
    .refine((value) => !value.includes("?") && !value.includes("#"), "an issuer has no query or fragment"),
  redirectURI: z.url({ protocol: /^https?$/ }),
});

const SETTING_NAMES: Record<keyof GoogleConfig, string> = {
  clientId: "GOOGLE_CLIENT_ID",
  clientSecret: "GOOGLE_CLIENT_SECRET",
  issuer: "OIDC_ISSUER",
  redirectURI: "API_BASE_URL",
};

/** The config, null when Google sign-in is off, or the settings at fault. */
export function readGoogleConfig(env: Env): ConfigResult<GoogleConfig | null> {
  if (!env.GOOGLE_CLIENT_ID && !env.GOOGLE_CLIENT_SECRET) return { config: null };
  const environment = readEnvironment(env);
  const apiBaseURL = devDefault(env, env.API_BASE_URL, DEV_API_BASE_URL)?.replace(/\/+$/, "");
  const issuer = env.OIDC_ISSUER || GOOGLE_ISSUER;
  const parsed = googleSchema.safeParse({
    clientId: env.GOOGLE_CLIENT_ID,
    clientSecret: env.GOOGLE_CLIENT_SECRET,
    issuer,
    redirectURI: apiBaseURL && `${apiBaseURL}/auth/oauth/google/callback`,
  });
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => SETTING_NAMES[issue.path[0] as keyof GoogleConfig]);
  // The state is signed with JWT_SECRET, which only dev may leave unset (src/config.ts).
  if (environment === "dev" && !env.JWT_SECRET) problems.push("JWT_SECRET");
  if (environment !== "dev") {
    if (apiBaseURL && !apiBaseURL.startsWith("https://")) problems.push("API_BASE_URL");
    if (!issuer.startsWith("https://")) problems.push("OIDC_ISSUER");
  }
  // Another issuer is for tests and staging; production signs in with Google itself.
  if (environment === "prod" && issuer !== GOOGLE_ISSUER) problems.push("OIDC_ISSUER");
  if (problems.length > 0 || !parsed.success) return { problems: [...new Set(problems)] };
  return { config: parsed.data };
}
