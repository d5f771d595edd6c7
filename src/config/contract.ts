// The contract every config reader keeps: a usable config, or the names of the settings at fault
// (never their values), as a value; and the environment that decides which defaults may apply.
import { z } from "zod";
import type { Env } from "../env";

/** What reading one part of the settings gives: expected failures are values, not exceptions. */
export type ConfigResult<T> = { config: T } | { problems: string[] };

const environmentSchema = z.enum(["dev", "staging", "prod"]);
export type Environment = z.infer<typeof environmentSchema>;

/** ENVIRONMENT, production when unset (a forgotten var fails closed); null when it is not a known name. */
export function readEnvironment(env: Env): Environment | null {
  const parsed = environmentSchema.safeParse(env.ENVIRONMENT ?? "prod");
  return parsed.success ? parsed.data : null;
}

/** Defaults that suit only a developer's machine; outside dev a missing setting stays missing. */
export function devDefault(env: Env, value: string | undefined, fallback: string): string | undefined {
  return value || (readEnvironment(env) === "dev" ? fallback : undefined);
}

/** Where `wrangler dev` serves the API; the dev default of API_BASE_URL. */
export const DEV_API_BASE_URL = "http://localhost:8787";
