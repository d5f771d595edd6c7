// The AI spend ledger's rules (SEC-52): what bounds an organization's spend, reserving the worst
// case before a provider is called, and settling what a call really used exactly once.
import type { ServiceContext } from "../../platform/service-context";
import { summarizeError } from "../../db/error-summary";
import { AppError } from "../../errors";
import { logEvent } from "../../lib/log";
import { buildAuditInsert } from "../audit/service";
import type { PlanFeatures } from "../plans/features";
import type { BillingPeriod } from "../plans/period";
import { resolveOrganizationPlan } from "../plans/service";
import { readSetting } from "../settings/service";
import { reserveTokens, settleReservation, type LedgerLimits, type SettlementRow, type SliceCap } from "./ledger-repo";
import { readAccountState, readSliceUsage, type AccountState } from "./account-repo";

export interface LedgerPolicy {
  features: PlanFeatures;
  period: BillingPeriod;
  limits: LedgerLimits;
  /** ai_member_token_limit: tokens per member per period; null when the organization sets none. */
  memberTokenLimit: number | null;
}

/** The organization's plan, billing period and overage switches, as the ledger applies them. */
export async function loadLedgerPolicy(
  ctx: ServiceContext,
  organizationId: string,
  now = Date.now(),
): Promise<LedgerPolicy> {
  const [plan, isOrgOverageOn, isSystemOverageOn, overageCeiling, memberTokenLimit] = await Promise.all([
    resolveOrganizationPlan(ctx, organizationId, now),
    readSetting(ctx, "organization", organizationId, "overage_enabled"),
    readSetting(ctx, "system", "", "ai_overage_enabled"),
    readSetting(ctx, "organization", organizationId, "ai_overage_ceiling_tokens"),
    readSetting(ctx, "organization", organizationId, "ai_member_token_limit"),
  ]);
  return {
    features: plan.features,
    period: plan.period,
    limits: {
      tokenLimit: plan.features.token_limit,
      // Both switches, or none: the system setting is the operator's kill switch.
      isOverageEnabled: isOrgOverageOn && isSystemOverageOn,
      overageCeiling,
    },
    memberTokenLimit,
  };
}

/**
 * The caps besides the organization's own that a call must fit: the caller's member budget when
 * the organization sets one (a call without a user, e.g. a system job, has none).
 */
function listSliceCaps(policy: LedgerPolicy, userId: string | null): SliceCap[] {
  if (policy.memberTokenLimit === null || userId === null) return [];
  return [{ column: "user_id", value: userId, tokenLimit: policy.memberTokenLimit }];
}

export interface AIReservation {
  id: string;
  organizationId: string;
  userId: string | null;
  tokens: number;
  provider: string;
  model: string;
  expiresAt: number;
}

export interface ReserveRequest {
  organizationId: string;
  userId: string | null;
  /** The worst case: the input's upper bound (boundInputTokens) + the call's max output tokens. */
  tokens: number;
  provider: string;
  model: string;
  ttlSeconds: number;
  ip: string | null;
}

/**
 * Reserves the worst case or refuses: 402 QUOTA_EXCEEDED, recorded as a cap refusal (SEC-49). The
 * caller must not contact the provider unless this returns.
 */
export async function reserveAITokens(
  ctx: ServiceContext,
  request: ReserveRequest,
  policy: LedgerPolicy,
  now = Date.now(),
): Promise<AIReservation> {
  const reservation = {
    id: `air_${crypto.randomUUID()}`,
    organizationId: request.organizationId,
    userId: request.userId,
    tokens: Math.max(Math.ceil(request.tokens), 1),
    provider: request.provider,
    model: request.model,
    createdAt: now,
    expiresAt: now + request.ttlSeconds * 1000,
  };
  const caps = listSliceCaps(policy, request.userId);
  if (await reserveTokens(ctx.db, reservation, policy.period.start, policy.limits, caps)) return reservation;

  const [state, memberUsed] = await Promise.all([
    readAccountState(ctx.db, request.organizationId),
    caps[0] ? readSliceUsage(ctx.db, request.organizationId, caps[0], policy.period.start) : null,
  ]);
  // Which cap refused, as far as a read after the fact can tell: the member's budget when it alone
  // cannot take the call (including a budget smaller than one call's worst case).
  const isMemberCap =
    caps[0] !== undefined && memberUsed !== null && memberUsed + reservation.tokens > caps[0].tokenLimit;
  const details = {
    requested_tokens: reservation.tokens,
    allotment_used: state?.allotmentUsed ?? 0,
    allotment_limit: policy.limits.tokenLimit,
    credit_balance: state?.creditBalance ?? 0,
    overage_enabled: policy.limits.isOverageEnabled,
    overage_used: state?.overageUsed ?? 0,
    overage_ceiling: policy.limits.overageCeiling,
    reserved_tokens: state?.reservedTokens ?? 0,
    member_token_limit: policy.memberTokenLimit,
    member_used_tokens: memberUsed,
    refused_by: isMemberCap ? "ai_member_token_limit" : "token_limit",
  };
  await buildAuditInsert(ctx, {
    action: "ai_cap_refused",
    organizationId: request.organizationId,
    actorUserId: request.userId,
    target: request.model,
    ip: request.ip,
    details,
  });
  throw new AppError(
    "QUOTA_EXCEEDED",
    isMemberCap
      ? "Your AI budget in this organization for this period cannot cover this call."
      : "Your organization's AI allotment, credits and allowed overage cannot cover this call.",
    {
      feature: isMemberCap ? "ai_member_token_limit" : "token_limit",
      requested_tokens: reservation.tokens,
    },
  );
}

export interface AIPrice {
  inputUSDPerMillion: number;
  outputUSDPerMillion: number;
}

export interface SettlementOutcome {
  /** False when another settlement (the cron reclaim, or an earlier one) had already settled it. */
  isSettled: boolean;
  rows: SettlementRow[];
  chargedTokens: number;
  absorbedTokens: number;
  costUSD: number;
}

export interface SettleOptions {
  price: AIPrice;
  /** The cron reclaim charging the reserved estimate of a call nobody settled. */
  isReclaimed?: boolean;
  /** The call's settlement id, kept across retries: a retry after a commit whose answer was lost recognizes it. */
  settlementId?: string;
  policy?: LedgerPolicy;
  now?: number;
}

function toTokenCount(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.ceil(value) : 0;
}

/**
 * Settles a reservation once: releases it and charges `usage` across allotment → credits →
 * overage, never past the cap (the rest is logged as absorbed). Limits are read afresh, so a plan
 * or switch changed during the call applies to its settlement.
 */
export async function settleAIReservation(
  ctx: ServiceContext,
  reservation: Pick<AIReservation, "id" | "organizationId" | "tokens">,
  usage: { inputTokens: number; outputTokens: number },
  options: SettleOptions,
): Promise<SettlementOutcome> {
  const now = options.now ?? Date.now();
  const policy = options.policy ?? (await loadLedgerPolicy(ctx, reservation.organizationId, now));
  // One id per attempt, prefixed by the call's settlement id: an attempt writes only if its own
  // CAS won, and a retry after a commit whose answer was lost still recognizes the call's settlement.
  const series = options.settlementId ?? `ais_${crypto.randomUUID()}`;
  const { settledBy, rows: winnerRows } = await settleReservation(
    ctx.db,
    {
      reservationId: reservation.id,
      organizationId: reservation.organizationId,
      settlementId: `${series}.${crypto.randomUUID().slice(0, 8)}`,
      periodStart: policy.period.start,
      inputTokens: toTokenCount(usage.inputTokens),
      outputTokens: toTokenCount(usage.outputTokens),
      inputUSDPerMillion: options.price.inputUSDPerMillion,
      outputUSDPerMillion: options.price.outputUSDPerMillion,
      isReclaimed: options.isReclaimed ?? false,
      now,
    },
    policy.limits,
  );
  const isSettled = settledBy?.startsWith(`${series}.`) === true;
  const rows = isSettled ? winnerRows : [];
  const charged = rows.filter((row) => row.bucket !== "absorbed").reduce((sum, row) => sum + row.tokens, 0);
  const absorbed = rows.filter((row) => row.bucket === "absorbed").reduce((sum, row) => sum + row.tokens, 0);
  const outcome = {
    isSettled,
    rows,
    chargedTokens: charged,
    absorbedTokens: absorbed,
    costUSD: rows.reduce((sum, row) => sum + row.cost_usd, 0),
  };
  const used = toTokenCount(usage.inputTokens) + toTokenCount(usage.outputTokens);
  if (isSettled && used > reservation.tokens) {
    // The reservation is an upper bound (SEC-59): a provider reporting more means the bound or the
    // provider is wrong, and the operator may be paying past the cap. An alert, never a quiet absorb.
    logEvent("error", "ai_usage_exceeded_reservation", {
      reservation_id: reservation.id,
      organization_id: reservation.organizationId,
      reserved_tokens: reservation.tokens,
      reported_tokens: used,
      excess_tokens: used - reservation.tokens,
    });
  }
  if (absorbed > 0) {
    // Usage past the free capacity: the limits shrank mid-call, or the provider exceeded the
    // reservation (alerted above). Not charged.
    logEvent("warn", "ai_usage_absorbed", {
      reservation_id: reservation.id,
      organization_id: reservation.organizationId,
      tokens: absorbed,
    });
  }
  return outcome;
}

const RETRY_DELAYS_MS = [50, 250];

/**
 * settleAIReservation with retries under one settlement id; never throws. When every attempt
 * fails the reservation stays open and the cron reclaims it after it expires (charging the
 * reserved estimate), so the organization's cap still holds.
 */
export async function settleAIReservationWithRetry(
  ctx: ServiceContext,
  reservation: Pick<AIReservation, "id" | "organizationId" | "tokens">,
  usage: { inputTokens: number; outputTokens: number },
  options: SettleOptions,
): Promise<SettlementOutcome | null> {
  const settlementId = options.settlementId ?? `ais_${crypto.randomUUID()}`;
  for (let attempt = 0; ; attempt++) {
    try {
      return await settleAIReservation(ctx, reservation, usage, { ...options, settlementId });
    } catch (error) {
      const delay = RETRY_DELAYS_MS[attempt];
      logEvent(delay === undefined ? "error" : "warn", "ai_settlement_failed", {
        reservation_id: reservation.id,
        organization_id: reservation.organizationId,
        attempt: attempt + 1,
        will_retry: delay !== undefined,
        ...summarizeError(error),
      });
      if (delay === undefined) return null;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** The organization's AI account as the ledger keeps it (period, used and reserved tokens). */
export function readAIAccountState(ctx: ServiceContext, organizationId: string): Promise<AccountState | null> {
  return readAccountState(ctx.db, organizationId);
}

/**
 * The member's budget as the reservation checks it (the same sums, the same period); null when the
 * organization sets no ai_member_token_limit.
 */
export async function readMemberBudget(
  ctx: ServiceContext,
  policy: LedgerPolicy,
  organizationId: string,
  userId: string,
): Promise<{ limit: number; used: number; remaining: number } | null> {
  const [cap] = listSliceCaps(policy, userId);
  if (!cap) return null;
  const used = await readSliceUsage(ctx.db, organizationId, cap, policy.period.start);
  return { limit: cap.tokenLimit, used, remaining: Math.max(cap.tokenLimit - used, 0) };
}
