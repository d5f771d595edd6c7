// Reads of everything stored about one user, for the account export. Each list is one bounded
// keyset page (never OFFSET: its cost grows with the history) over an index that starts with the
// user's id. Columns are listed one by one: no hash, token, key or secret is ever selected.
import { and, asc, count, eq, gt, isNull, or, type SQL } from "drizzle-orm";
import type { Database } from "../../db/client";
import {
  apiKeys,
  auditLog,
  llmUsageLogs,
  llmUsageMonthly,
  memberships,
  notes,
  oauthAccounts,
  organizations,
  passkeys,
  recoveryCodes,
  sessions,
  totpCredentials,
  settings,
  users,
} from "../../db/schema";

export function findExportProfile(db: Database, userId: string) {
  return db
    .select({
      id: users.id,
      email: users.email,
      firstName: users.firstName,
      lastName: users.lastName,
      emailVerifiedAt: users.emailVerifiedAt,
      suspendedAt: users.suspendedAt,
      createdAt: users.createdAt,
      updatedAt: users.updatedAt,
    })
    .from(users)
    .where(eq(users.id, userId))
    .get();
}

/** The organizations the user belongs to, with their role in each. */
export function listExportMemberships(db: Database, userId: string) {
  return db
    .select({ organizationId: organizations.id, organizationName: organizations.name, role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(eq(memberships.userId, userId));
}

export function listExportOAuthAccounts(db: Database, userId: string) {
  return db
    .select({ provider: oauthAccounts.provider, email: oauthAccounts.email, createdAt: oauthAccounts.createdAt })
    .from(oauthAccounts)
    .where(eq(oauthAccounts.userId, userId));
}

/** token_hash is never selected: it would let its reader build nothing, but it is a secret's digest. */
export function listExportSessions(db: Database, userId: string) {
  return db
    .select({
      id: sessions.id,
      createdAt: sessions.createdAt,
      authenticatedAt: sessions.authenticatedAt,
      expiresAt: sessions.expiresAt,
      userAgent: sessions.userAgent,
      ip: sessions.ip,
    })
    .from(sessions)
    .where(eq(sessions.userId, userId))
    .orderBy(asc(sessions.createdAt));
}

/** Name and dates only: the public key and the credential id are the authenticator's business. */
export function listExportPasskeys(db: Database, userId: string) {
  return db
    .select({ name: passkeys.name, createdAt: passkeys.createdAt, lastUsedAt: passkeys.lastUsedAt })
    .from(passkeys)
    .where(eq(passkeys.userId, userId))
    .orderBy(asc(passkeys.createdAt));
}

/** Whether TOTP is on and since when, and how many recovery codes are left: never the secret or a hash. */
export async function findExportSecondFactors(db: Database, userId: string) {
  const [totp, codes] = await db.batch([
    db
      .select({ confirmedAt: totpCredentials.confirmedAt })
      .from(totpCredentials)
      .where(eq(totpCredentials.userId, userId)),
    db
      .select({ left: count() })
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt))),
  ]);
  return { totpConfirmedAt: totp[0]?.confirmedAt ?? null, recoveryCodesLeft: codes[0]?.left ?? 0 };
}

export function listExportSettings(db: Database, userId: string) {
  return db
    .select({ key: settings.key, value: settings.value, updatedAt: settings.updatedAt })
    .from(settings)
    .where(and(eq(settings.scope, "user"), eq(settings.scopeId, userId)));
}

/** Notes the user created, after `afterId` in id order (note_author_idx). */
export function listExportNotesPage(db: Database, userId: string, afterId: string | null, limit: number) {
  return db
    .select({
      id: notes.id,
      organizationId: notes.organizationId,
      title: notes.title,
      content: notes.content,
      createdAt: notes.createdAt,
      updatedAt: notes.updatedAt,
    })
    .from(notes)
    .where(and(eq(notes.createdByUserId, userId), afterId === null ? undefined : gt(notes.id, afterId)))
    .orderBy(asc(notes.id))
    .limit(limit);
}

/**
 * The API keys the user created, in any organization, after `afterId` (api_key_creator_idx): what
 * they are called and can do, and the display prefix lists and audit rows show; never the hash (SEC-79).
 */
export function listExportApiKeysPage(db: Database, userId: string, afterId: string | null, limit: number) {
  return db
    .select({
      id: apiKeys.id,
      organizationId: apiKeys.organizationId,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      role: apiKeys.role,
      scopes: apiKeys.scopes,
      createdAt: apiKeys.createdAt,
      expiresAt: apiKeys.expiresAt,
      lastUsedAt: apiKeys.lastUsedAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .where(and(eq(apiKeys.createdByUserId, userId), afterId === null ? undefined : gt(apiKeys.id, afterId)))
    .orderBy(asc(apiKeys.id))
    .limit(limit);
}

/** The user's metered AI calls, after `afterId` (llm_usage_user_idx). */
export function listExportAIUsagePage(db: Database, userId: string, afterId: number, limit: number) {
  return db
    .select({
      id: llmUsageLogs.id,
      organizationId: llmUsageLogs.organizationId,
      provider: llmUsageLogs.provider,
      model: llmUsageLogs.model,
      bucket: llmUsageLogs.bucket,
      tokens: llmUsageLogs.tokens,
      inputTokens: llmUsageLogs.inputTokens,
      outputTokens: llmUsageLogs.outputTokens,
      costUSD: llmUsageLogs.costUSD,
      createdAt: llmUsageLogs.createdAt,
    })
    .from(llmUsageLogs)
    .where(and(eq(llmUsageLogs.userId, userId), gt(llmUsageLogs.id, afterId)))
    .orderBy(asc(llmUsageLogs.id))
    .limit(limit);
}

/** Monthly roll-ups of usage past retention: a few rows per month, so one bounded read. */
export function listExportAIUsageMonthly(db: Database, userId: string, limit: number) {
  return db
    .select({
      organizationId: llmUsageMonthly.organizationId,
      monthStart: llmUsageMonthly.monthStart,
      provider: llmUsageMonthly.provider,
      model: llmUsageMonthly.model,
      tokens: llmUsageMonthly.tokens,
      costUSD: llmUsageMonthly.costUSD,
      calls: llmUsageMonthly.calls,
    })
    .from(llmUsageMonthly)
    .where(eq(llmUsageMonthly.userId, userId))
    .limit(limit);
}

/** Audit events the user did or that were done to them (audit_log_actor_idx, audit_log_target_idx). */
export function listExportAuditPage(db: Database, userId: string, afterId: number, limit: number) {
  const aboutUser: SQL | undefined = or(eq(auditLog.actorUserId, userId), eq(auditLog.target, userId));
  return db
    .select({
      id: auditLog.id,
      action: auditLog.action,
      organizationId: auditLog.organizationId,
      actorUserId: auditLog.actorUserId,
      target: auditLog.target,
      ip: auditLog.ip,
      details: auditLog.details,
      createdAt: auditLog.createdAt,
    })
    .from(auditLog)
    .where(and(aboutUser, gt(auditLog.id, afterId)))
    .orderBy(asc(auditLog.id))
    .limit(limit);
}
