// Organization API keys (SEC-73): created by an org_admin, shown once, listed without the secret,
// revoked at once. Authenticating a request with a key is platform/api-keys (the access gate's).
import { AppError } from "../../errors";
import type { ApiKeyRole, ApiKeyScope } from "../../lib/api-key-scopes";
import { hasRoleAtLeast } from "../../lib/roles";
import type { Actor } from "../../platform/actor";
import { generateApiKey } from "../../platform/api-keys/secret";
import { type FreshProofClaim, requireFreshProof } from "../../platform/fresh-proof";
import { API_KEY_DEFAULT_RATE_LIMIT } from "../../platform/rate-limit";
import type { ServiceContext } from "../../platform/service-context";
import { buildAuditInsert, buildAuditInsertIfChanged, logAuditEvent, type AuditEvent } from "../audit/service";
import { findUserById } from "../users/service";
import {
  buildApiKeyInsert,
  buildApiKeyRevocation,
  listOrganizationApiKeys,
  type ApiKeyRow,
  type ListedApiKey,
} from "./repo";

export type { ListedApiKey };

export interface ApiKeyInput {
  name: string;
  role: ApiKeyRole;
  scopes: ApiKeyScope[];
  expiresAt: number | null;
  rateLimitPerMinute: number | null;
  aiTokenLimit: number | null;
}

/** The creator's session and what it brought to prove it is them (SEC-69). */
export interface CreatorProof extends FreshProofClaim {
  authenticatedAt: number;
}

export interface CreatedApiKey {
  row: ApiKeyRow;
  /** The secret, for the one response that shows it. */
  key: string;
}

function fieldError(field: string, message: string): AppError {
  return new AppError("VALIDATION_ERROR", message, { fields: [{ field, message }] });
}

/**
 * A key is a principal of the actor's organization. Its role is a ceiling at most the creator's
 * (and never above member, which the type already says); a key never creates a key, whatever
 * route reached here. A long-lived secret that acts for the organization is a sensitive action:
 * it needs a fresh proof (SEC-69), checked after the cheap refusals and before anything is written.
 */
export async function createApiKey(
  ctx: ServiceContext,
  actor: Actor,
  input: ApiKeyInput,
  proof: CreatorProof,
): Promise<CreatedApiKey> {
  if (actor.apiKey !== undefined) throw new AppError("FORBIDDEN", "An API key cannot create API keys.");
  if (!hasRoleAtLeast(actor.role, input.role)) {
    throw new AppError("FORBIDDEN", "A key's role cannot be above your own.");
  }
  const now = Date.now();
  if (input.expiresAt !== null && input.expiresAt <= now) throw fieldError("expires_at", "Must be in the future.");
  const creator = await findUserById(ctx, actor.userId);
  if (!creator) throw new AppError("UNAUTHENTICATED", "Sign in to continue.");
  const freshProof = await requireFreshProof(
    ctx,
    { userId: creator.id, passwordHash: creator.passwordHash, authenticatedAt: proof.authenticatedAt },
    { currentPassword: proof.currentPassword, code: proof.code },
    now,
  );
  const { key, prefix, keyHash } = await generateApiKey();
  const row: ApiKeyRow = {
    id: crypto.randomUUID(),
    organizationId: actor.organizationId,
    keyHash,
    prefix,
    name: input.name,
    role: input.role,
    scopes: input.scopes,
    createdByUserId: actor.userId,
    createdAt: now,
    expiresAt: input.expiresAt,
    lastUsedAt: null,
    revokedAt: null,
    rateLimitPerMinute: input.rateLimitPerMinute ?? API_KEY_DEFAULT_RATE_LIMIT,
    aiTokenLimit: input.aiTokenLimit,
  };
  await ctx.db.batch([
    buildApiKeyInsert(ctx.db, row),
    buildAuditInsert(ctx, {
      action: "api_key_created",
      organizationId: actor.organizationId,
      actorUserId: actor.userId,
      target: row.id,
      ip: ctx.ip,
      details: { prefix, role: row.role, scopes: row.scopes, expires_at: row.expiresAt, fresh_proof: freshProof },
    }),
  ]);
  return { row, key };
}

export function listApiKeys(ctx: ServiceContext, actor: Actor): Promise<ListedApiKey[]> {
  return listOrganizationApiKeys(ctx.db, actor.organizationId);
}

/**
 * Revoked in D1 at once; the key lookup excludes revoked keys, so its very next request is 401
 * (nothing is cached). Another organization's key, an unknown id and an already revoked key are
 * the same 404.
 */
export async function revokeApiKey(ctx: ServiceContext, actor: Actor, keyId: string): Promise<void> {
  const event: AuditEvent = {
    action: "api_key_revoked",
    organizationId: actor.organizationId,
    actorUserId: actor.userId,
    target: keyId,
    ip: ctx.ip,
  };
  const [revoked] = await ctx.db.batch([
    buildApiKeyRevocation(ctx.db, actor.organizationId, keyId, Date.now()),
    buildAuditInsertIfChanged(ctx, event),
  ]);
  if (revoked.meta.changes === 0) throw new AppError("NOT_FOUND", "No such API key in your organization.");
  logAuditEvent(event);
}
