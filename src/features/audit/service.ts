// Security events (SEC-49): one structured log line and one audit_log row per event.
import { sql } from "drizzle-orm";
import { auditLog } from "../../db/schema";
import { logEvent } from "../../lib/log";
import type { PageRequest } from "../../lib/pagination";
import type { ServiceContext } from "../../platform/service-context";
import { listAuditEntries } from "./repo";

type AuditAction =
  | "signup"
  | "login_succeeded"
  | "login_failed"
  | "logout"
  | "session_revoked"
  | "email_verified"
  | "password_changed"
  | "password_reset_requested"
  | "password_reset"
  | "email_change_requested"
  | "email_changed"
  | "account_deleted"
  | "organization_deleted"
  | "setting_changed"
  | "member_role_changed"
  | "member_removed"
  | "member_left"
  | "invitation_created"
  | "invitation_revoked"
  | "invitation_accepted"
  | "organization_created"
  | "admin_created"
  | "plan_changed"
  | "organization_suspended"
  | "organization_activated"
  | "user_suspended"
  | "user_activated"
  | "note_created"
  | "note_updated"
  | "note_deleted"
  | "ai_cap_refused"
  | "oauth_login_succeeded"
  | "oauth_login_failed"
  | "oauth_account_linked"
  | "oauth_account_claimed"
  | "subscription_changed"
  | "credits_purchased"
  | "credits_refunded"
  | "credits_dispute_opened"
  | "credits_dispute_closed"
  | "payment_failed"
  | "payment_recovered"
  | "plan_downgraded_unpaid"
  | "usage_threshold_reached"
  | "stripe_webhook_failed"
  | "passkey_registered"
  | "passkey_deleted"
  | "passkey_counter_regressed"
  | "mfa_challenge_started"
  | "mfa_verify_failed"
  | "totp_setup_started"
  | "totp_enabled"
  | "totp_disabled"
  | "recovery_codes_regenerated"
  | "mfa_reset";

export interface AuditEvent {
  action: AuditAction;
  organizationId: string | null;
  actorUserId: string | null;
  target?: string | null;
  ip: string | null;
  /** Never a password, token or secret. */
  details?: Record<string, unknown>;
}

/** Failures someone should look at; every other event is logged at info. */
const WARNING_ACTIONS = new Set<AuditAction>([
  "login_failed",
  "stripe_webhook_failed",
  "credits_dispute_opened",
  "payment_failed",
  "plan_downgraded_unpaid",
  "mfa_verify_failed",
  "passkey_counter_regressed",
]);

/** One structured log line for an event (SEC-49); the audit row is written separately. */
export function logAuditEvent(event: AuditEvent): void {
  logEvent(WARNING_ACTIONS.has(event.action) ? "warn" : "info", `audit.${event.action}`, {
    organization_id: event.organizationId,
    user_id: event.actorUserId,
    target: event.target ?? null,
    ip: event.ip,
    ...event.details,
  });
}

/** The insert for an event, to put in the same batch as the change it records; logs it too. */
export function buildAuditInsert(ctx: ServiceContext, event: AuditEvent) {
  logAuditEvent(event);
  return ctx.db.insert(auditLog).values({
    action: event.action,
    organizationId: event.organizationId,
    actorUserId: event.actorUserId,
    target: event.target ?? null,
    ip: event.ip,
    details: event.details ?? null,
    createdAt: Date.now(),
  });
}

/**
 * The insert for an event that happened only if the statement just before it in the same batch
 * changed a row: SQLite's changes() reports that statement's count, so a compare-and-set that
 * matched nothing leaves no audit row, and one that matched leaves exactly one. The caller logs
 * the event (logAuditEvent) once the batch shows it happened.
 */
export function buildAuditInsertIfChanged(ctx: ServiceContext, event: AuditEvent) {
  // drizzle's insert-select needs every column, in table order.
  const row = ctx.db
    .select({
      id: sql<number>`NULL`.as("id"),
      organizationId: sql<string | null>`${event.organizationId}`.as("organization_id"),
      actorUserId: sql<string | null>`${event.actorUserId}`.as("actor_user_id"),
      target: sql<string | null>`${event.target ?? null}`.as("target"),
      action: sql<string>`${event.action}`.as("action"),
      ip: sql<string | null>`${event.ip}`.as("ip"),
      details: sql<string | null>`${event.details ? JSON.stringify(event.details) : null}`.as("details"),
      createdAt: sql<number>`${Date.now()}`.as("created_at"),
    })
    .from(sql`(SELECT 1)`)
    .where(sql`changes() > 0`);
  return ctx.db.insert(auditLog).select(row as never);
}

export async function recordAuditEvent(ctx: ServiceContext, event: AuditEvent): Promise<void> {
  await buildAuditInsert(ctx, event);
}

/** One page of the audit log, newest first: one organization's, or (sys_admin) every organization's. */
export function listAuditLog(ctx: ServiceContext, page: PageRequest, options: { organizationId?: string } = {}) {
  return listAuditEntries(ctx.db, page, options);
}
