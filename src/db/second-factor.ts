// "Has this user a second factor?" as one SQL expression, so the reads that need the answer (the
// login's user read, the per-request session read) carry it instead of making a query of their own.
import { type AnyColumn, sql } from "drizzle-orm";

/**
 * True when the user has a confirmed TOTP credential: a primary-key probe inside the caller's own
 * query. A passkey (features/passkeys) is a second factor too: its table joins this expression
 * with `OR EXISTS (...)` here, and both callers follow.
 */
export function hasSecondFactor(userId: AnyColumn) {
  return sql<number>`EXISTS (SELECT 1 FROM totp_credential WHERE totp_credential.user_id = ${userId} AND totp_credential.confirmed_at IS NOT NULL)`;
}
