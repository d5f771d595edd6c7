// Server-side sessions: issue a fresh token at every login, validate it per request, revoke.
import type { Database } from "../../db/client";
import { generateToken, hashToken, isWellFormedToken } from "../../lib/crypto";
import { SECOND_MS } from "../../lib/time";
import { toUserProfile, type UserProfile } from "../user-profile";
import { findValidSession, insertSession, listActiveSessions } from "./repo";

export interface SessionContext {
  /** authenticatedAt: when this session's sign-in happened (epoch ms), for fresh proofs (SEC-69). */
  session: { id: string; expiresAt: number; authenticatedAt: number };
  user: UserProfile;
  organization: { id: string; name: string };
  /** The organization requires a second factor and this user has none yet (SEC-70, require_mfa). */
  secondFactorMissing: boolean;
}

export interface IssuedSession {
  id: string;
  /** The raw token: goes into Set-Cookie and nowhere else (SEC-14). */
  token: string;
  expiresAt: number;
}

export interface SessionMetadata {
  userAgent: string | null;
  ip: string | null;
}

const USER_AGENT_MAX_LENGTH = 256;

/** Always a brand-new token: a cookie the client brought is never adopted (SEC-16). */
export async function buildSession(
  owner: { userId: string; organizationId: string },
  ttlSeconds: number,
  metadata: SessionMetadata,
  now = Date.now(),
): Promise<{ issued: IssuedSession; row: Parameters<typeof insertSession>[1] }> {
  const token = generateToken();
  const id = crypto.randomUUID();
  const expiresAt = now + ttlSeconds * SECOND_MS;
  return {
    issued: { id, token, expiresAt },
    row: {
      id,
      tokenHash: await hashToken(token),
      userId: owner.userId,
      activeOrganizationId: owner.organizationId,
      createdAt: now,
      // A session is only ever created by a sign-in, so its creation is its authentication.
      authenticatedAt: now,
      expiresAt,
      userAgent: metadata.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
      ip: metadata.ip,
    },
  };
}

export async function createSession(
  db: Database,
  owner: { userId: string; organizationId: string },
  ttlSeconds: number,
  metadata: SessionMetadata,
): Promise<IssuedSession> {
  const { issued, row } = await buildSession(owner, ttlSeconds, metadata);
  await insertSession(db, row);
  return issued;
}

/**
 * Reads only: one indexed join, no write on the read path. Expiry is enforced here, whatever
 * the cron job has or has not pruned yet (SEC-19).
 */
export async function validateSessionToken(db: Database, token: string): Promise<SessionContext | null> {
  if (!isWellFormedToken(token)) return null;
  const row = await findValidSession(db, await hashToken(token), Date.now());
  if (!row) return null;
  return {
    session: { id: row.sessionId, expiresAt: row.expiresAt, authenticatedAt: row.authenticatedAt },
    user: toUserProfile({ ...row, id: row.userId }),
    organization: { id: row.organizationId, name: row.organizationName },
    secondFactorMissing: Boolean(row.organizationRequiresMfa) && !row.hasSecondFactor,
  };
}

export async function listSessions(db: Database, userId: string) {
  return listActiveSessions(db, userId, Date.now());
}
