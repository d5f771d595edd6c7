// How long each growing table keeps its rows before the maintenance job prunes them (issue 17).
// Optional in every environment: the defaults suit production, and a wrong value is a problem of
// the maintenance job alone (it answers 503 MISCONFIGURED), never of the API's routes.
import { z } from "zod";
import type { Env } from "../env";
import type { ConfigResult } from "./contract";

export interface RetentionConfig {
  /** Raw llm_usage_log rows; older ones are rolled up into llm_usage_monthly, then deleted. */
  usageLogDays: number;
  auditLogDays: number;
  stripeEventDays: number;
  /** Settled ai_reservation rows, by settled_at. */
  reservationDays: number;
  /** Invitations, by expires_at (accepted and revoked ones expire too). */
  invitationDays: number;
  /** Email tokens, by expires_at or used_at. */
  emailTokenDays: number;
}

const days = (min: number) => z.coerce.number().int().min(min).max(36_500);

/**
 * Each setting, its default and its floor. The floors are what the rest of the system relies on:
 * - usage log: /usage/fleet and /admin/stats read up to 366 days of raw rows (their `days` is at
 *   most 365, plus today), so a window of 367 days or more never changes what they answer.
 * - stripe_event: Stripe retries a webhook for up to 3 days; an event id forgotten sooner could be
 *   applied twice (SEC-51). 90 days by default, as the issue asks.
 * - reservations: a reservation lives at most AI_RESERVATION_TTL_SECONDS (≤ 1 day) before the
 *   reclaim settles it; only settled rows are pruned, and only after a week at least.
 */
const SETTINGS = {
  usageLogDays: { name: "USAGE_LOG_RETENTION_DAYS", fallback: "400", schema: days(367) },
  auditLogDays: { name: "AUDIT_LOG_RETENTION_DAYS", fallback: "400", schema: days(30) },
  stripeEventDays: { name: "STRIPE_EVENT_RETENTION_DAYS", fallback: "90", schema: days(30) },
  reservationDays: { name: "AI_RESERVATION_RETENTION_DAYS", fallback: "30", schema: days(7) },
  invitationDays: { name: "INVITATION_RETENTION_DAYS", fallback: "30", schema: days(1) },
  emailTokenDays: { name: "EMAIL_TOKEN_RETENTION_DAYS", fallback: "7", schema: days(1) },
} as const satisfies Record<keyof RetentionConfig, { name: keyof Env; fallback: string; schema: z.ZodType<number> }>;

export function readRetentionConfig(env: Env): ConfigResult<RetentionConfig> {
  const problems: string[] = [];
  const config = {} as RetentionConfig;
  for (const [key, setting] of Object.entries(SETTINGS) as [
    keyof RetentionConfig,
    (typeof SETTINGS)[keyof RetentionConfig],
  ][]) {
    const raw = env[setting.name];
    const parsed = setting.schema.safeParse(typeof raw === "string" && raw.trim() ? raw.trim() : setting.fallback);
    if (parsed.success) config[key] = parsed.data;
    else problems.push(setting.name);
  }
  return problems.length > 0 ? { problems } : { config };
}
