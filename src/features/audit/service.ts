// Security events (SEC-49): one structured log line and one audit_log row per event.
import type { Database } from "../../db/client";
import { auditLog } from "../../db/schema";
import { logEvent } from "../../lib/log";

export type AuditAction =
  | "signup"
  | "login_succeeded"
  | "login_failed"
  | "logout"
  | "session_revoked"
  | "email_verified"
  | "password_changed"
  | "password_reset_requested"
  | "password_reset";

export interface AuditEvent {
  action: AuditAction;
  organizationId: string | null;
  actorUserId: string | null;
  target?: string | null;
  ip: string | null;
  /** Never a password, token or secret. */
  details?: Record<string, unknown>;
}

/** The insert for an event, to put in the same batch as the change it records. */
export function buildAuditInsert(db: Database, event: AuditEvent) {
  logEvent(event.action === "login_failed" ? "warn" : "info", `audit.${event.action}`, {
    organization_id: event.organizationId,
    user_id: event.actorUserId,
    target: event.target ?? null,
    ip: event.ip,
    ...event.details,
  });
  return db.insert(auditLog).values({
    action: event.action,
    organizationId: event.organizationId,
    actorUserId: event.actorUserId,
    target: event.target ?? null,
    ip: event.ip,
    details: event.details ?? null,
    createdAt: Date.now(),
  });
}

export async function recordAuditEvent(db: Database, event: AuditEvent): Promise<void> {
  await buildAuditInsert(db, event);
}
