// Authenticating a request by its API key (SEC-73): parse, one read, and the throttled last use.
import type { Database } from "../../db/client";
import { type ApiKeyRole, type ApiKeyScope, API_KEY_SCOPES } from "../../lib/api-key-scopes";
import { hashToken } from "../../lib/crypto";
import { MINUTE_MS } from "../../lib/time";
import { findUsableApiKey, updateApiKeyLastUsed } from "./repo";
import { isWellFormedApiKey } from "./secret";

/** An organization's key as the access gate and services see it. */
export interface ApiKeyPrincipal {
  id: string;
  organizationId: string;
  role: ApiKeyRole;
  scopes: ReadonlySet<ApiKeyScope>;
  createdByUserId: string;
  rateLimitPerMinute: number;
  /** The key's own AI token cap per billing period, on top of the organization's; null is none. */
  aiTokenLimit: number | null;
  lastUsedAt: number | null;
}

const KNOWN_SCOPES: ReadonlySet<string> = new Set(API_KEY_SCOPES);

/** The key's principal, or null for a malformed, unknown, revoked or expired key or a suspended organization. */
export async function authenticateApiKey(db: Database, key: string, now = Date.now()): Promise<ApiKeyPrincipal | null> {
  if (!isWellFormedApiKey(key)) return null;
  const row = await findUsableApiKey(db, await hashToken(key), now);
  if (!row) return null;
  // A scope no route knows (stored by a later version, say) grants nothing: deny by default.
  const scopes = new Set(row.scopes.filter((scope): scope is ApiKeyScope => KNOWN_SCOPES.has(scope)));
  return { ...row, scopes };
}

/** How stale last_used_at may be before a request writes it again: at most one write a minute. */
const LAST_USED_RESOLUTION_MS = MINUTE_MS;

/**
 * When this isolate last scheduled a last-use write per key. Without it, every request that read
 * the stale value before the first write landed (a burst on 32 connections) would send its own
 * conditional UPDATE; with it an isolate sends at most one per key per minute, and the condition
 * in D1 keeps it to one row write per key per minute across isolates. Bounded: cleared when full
 * (the worst case is then one extra no-op UPDATE per key).
 */
const scheduledWrites = new Map<string, number>();
const SCHEDULED_WRITES_MAX = 10_000;

/**
 * Whether this request should record the key's use: only when D1's value is over a minute old and
 * this isolate has not already scheduled a write for it in the last minute. Marks it scheduled.
 */
export function claimLastUseWrite(principal: ApiKeyPrincipal, now = Date.now()): boolean {
  const staleBefore = now - LAST_USED_RESOLUTION_MS;
  if (principal.lastUsedAt !== null && principal.lastUsedAt >= staleBefore) return false;
  const scheduledAt = scheduledWrites.get(principal.id);
  if (scheduledAt !== undefined && scheduledAt >= staleBefore) return false;
  if (scheduledWrites.size >= SCHEDULED_WRITES_MAX) scheduledWrites.clear();
  scheduledWrites.set(principal.id, now);
  return true;
}

/** The conditional write; call it after the response (waitUntil), never before. */
export async function recordApiKeyUse(db: Database, keyId: string, now = Date.now()): Promise<void> {
  await updateApiKeyLastUsed(db, keyId, now, now - LAST_USED_RESOLUTION_MS);
}
