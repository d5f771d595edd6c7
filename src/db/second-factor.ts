// "Has this user a second factor?" and "does the organization require one?" as SQL expressions, so
// the reads that need the answer (the login's user read, the per-request session read) carry it
// instead of making a query of their own.
import { type AnyColumn, sql } from "drizzle-orm";

/**
 * True when the user has a confirmed TOTP credential or a passkey: index probes (the TOTP primary
 * key, the passkey user index) inside the caller's own query.
 */
export function hasSecondFactor(userId: AnyColumn) {
  return sql<number>`(EXISTS (SELECT 1 FROM totp_credential WHERE totp_credential.user_id = ${userId} AND totp_credential.confirmed_at IS NOT NULL) OR EXISTS (SELECT 1 FROM passkey WHERE passkey.user_id = ${userId}))`;
}

/**
 * True when the organization's require_mfa setting is on (SEC-70): a primary-key probe of the
 * setting row inside the caller's query. Values are stored as JSON, so "on" is the text `true`.
 */
export function requiresSecondFactor(organizationId: AnyColumn) {
  return sql<number>`EXISTS (SELECT 1 FROM setting WHERE setting.scope = 'organization' AND setting.scope_id = ${organizationId} AND setting.key = 'require_mfa' AND setting.value = 'true')`;
}
