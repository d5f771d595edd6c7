// The AI spend ledger's rules (SEC-52): what bounds an organization's spend, reserving the worst
// case before a provider is called, and settling what a call really used exactly once.
import { type SQL, sql } from "drizzle-orm";
import type { ApiKeyActor } from "../../platform/actor";
import type { ServiceContext } from "../../platform/service-context";
import { summarizeError } from "../../db/error-summary";
import { AppError } from "../../errors";
import { logEvent } from "../../lib/log";
import { buildAuditInsert } from "../audit/service";
import type { PlanFeatures } from "../plans/features";
import type { BillingPeriod } from "../plans/period";
import { resolveOrganizationPlan, selectBillingPeriodStartSQL, selectPlanQuotaSQL } from "../plans/service";
import { readSetting, selectSettingSQL } from "../settings/service";
import {
  bindLedgerLimits,
  reserveTokens,
  settleReservation,
  type LedgerLimits,
  type SettlementLimits,
  type SettlementRow,
  type SliceCap,
} from "./ledger-repo";
import { readAccountState, readSliceUsage, selectAccountPeriodStartSQL, type AccountState } from "./account-repo";

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
 * loadLedgerPolicy's limits and period as SQL, read by the settlement inside its own batch: a plan
 * or switch changed during the call still applies to its settlement (SEC-52), without a read of the
 * policy before the batch (one round trip to the primary less). The same rules, in the same
 * places: plans/service.ts resolves the plan and period, settings/service.ts the settings.
 */
export function selectLedgerLimitsSQL(organizationId: string, now: number): SettlementLimits {
  const org = sql`${organizationId}`;
  return {
    tokenLimit: selectPlanQuotaSQL(org, "token_limit"),
    // Both switches, or none: the system setting is the operator's kill switch.
    isOverageEnabled: sql`(${selectSettingSQL("organization", org, "overage_enabled")} AND ${selectSettingSQL("system", sql`''`, "ai_overage_enabled")})`,
    overageCeiling: selectSettingSQL("organization", org, "ai_overage_ceiling_tokens"),
    periodStart: selectBillingPeriodStartSQL(org, now),
  };
}

/**
 * The caps besides the organization's own that a call must fit: the caller's member budget when
 * the organization sets one (a call without a user, e.g. a system job, has none), and the API
 * key's own cap when a key with one makes the call. A key acts for its creator, so the creator's
 * member budget holds for it too: a key is never a way around a member's budget.
 */
function listSliceCaps(policy: LedgerPolicy, userId: string | null, apiKey: ApiKeyActor | null = null): SliceCap[] {
  const caps: SliceCap[] = [];
  if (policy.memberTokenLimit !== null && userId !== null) {
    caps.push({ column: "user_id", value: userId, tokenLimit: policy.memberTokenLimit });
  }
  if (apiKey?.aiTokenLimit != null) {
    caps.push({ column: "api_key_id", value: apiKey.id, tokenLimit: apiKey.aiTokenLimit });
  }
  return caps;
}

/** The feature name a refusal reports for each slice cap (details.feature, the audit row's refused_by). */
const SLICE_CAP_FEATURES: Record<SliceCap["column"], string> = {
  user_id: "ai_member_token_limit",
  api_key_id: "api_key_ai_token_limit",
};

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
  /** The API key making the call, if one is: recorded on the reservation, its cap applied. */
  apiKey?: ApiKeyActor | null;
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
    apiKeyId: request.apiKey?.id ?? null,
    tokens: Math.max(Math.ceil(request.tokens), 1),
    provider: request.provider,
    model: request.model,
    createdAt: now,
    expiresAt: now + request.ttlSeconds * 1000,
  };
  const caps = listSliceCaps(policy, request.userId, request.apiKey ?? null);
  if (await reserveTokens(ctx.db, reservation, policy.period.start, policy.limits, caps)) return reservation;

  const [state, sliceUsed] = await Promise.all([
    readAccountState(ctx.db, request.organizationId),
    Promise.all(caps.map((cap) => readSliceUsage(ctx.db, request.organizationId, cap, policy.period.start))),
  ]);
  // Which cap refused, as far as a read after the fact can tell: the first slice cap (the member's
  // budget, then the key's) that alone cannot take the call, including one smaller than the call.
  const refusing = caps.find((cap, index) => (sliceUsed[index] ?? 0) + reservation.tokens > cap.tokenLimit);
  const refusedBy = refusing ? SLICE_CAP_FEATURES[refusing.column] : "token_limit";
  const usedBy = (column: SliceCap["column"]) => {
    const index = caps.findIndex((cap) => cap.column === column);
    return index === -1 ? null : (sliceUsed[index] ?? 0);
  };
  const memberUsed = usedBy("user_id");
  const isMemberCap = refusing?.column === "user_id";
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
    ...(request.apiKey
      ? {
          api_key_id: request.apiKey.id,
          api_key_token_limit: request.apiKey.aiTokenLimit,
          api_key_used_tokens: usedBy("api_key_id"),
        }
      : {}),
    refused_by: refusedBy,
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
      : refusing?.column === "api_key_id"
        ? "This API key's AI budget for this period cannot cover this call."
        : "Your organization's AI allotment, credits and allowed overage cannot cover this call.",
    {
      feature: refusedBy,
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
  /** The results of SettleOptions.followUps, in order. */
  followUpResults: D1Result[];
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
  /**
   * Statements to run in the settlement's own batch, after it (usage alerts): built per attempt
   * from the attempt's settlement id, so they can be gated on what it wrote (settledBucketSQL).
   * Their results come back in the outcome, in order.
   */
  followUps?: (attempt: SettlementAttempt) => D1PreparedStatement[];
}

/** One attempt at settling a reservation, as follow-up statements see it. */
export interface SettlementAttempt {
  reservationId: string;
  settlementId: string;
}

/** True in SQL when this attempt's settlement charged `bucket` (it won the CAS and wrote the row). */
export function settledBucketSQL(attempt: SettlementAttempt, bucket: SettlementRow["bucket"]): SQL {
  return sql`EXISTS (SELECT 1 FROM llm_usage_log WHERE reservation_id = ${attempt.reservationId}
                       AND settlement_id = ${attempt.settlementId} AND bucket = ${bucket})`;
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
  // Limits read afresh in the settlement's own batch, unless the caller has just read them.
  const limits = options.policy
    ? bindLedgerLimits(options.policy.limits, options.policy.period.start)
    : selectLedgerLimitsSQL(reservation.organizationId, now);
  // One id per attempt, prefixed by the call's settlement id: an attempt writes only if its own
  // CAS won, and a retry after a commit whose answer was lost still recognizes the call's settlement.
  const series = options.settlementId ?? `ais_${crypto.randomUUID()}`;
  const attempt = { reservationId: reservation.id, settlementId: `${series}.${crypto.randomUUID().slice(0, 8)}` };
  const {
    settledBy,
    rows: winnerRows,
    followUpResults,
  } = await settleReservation(
    ctx.db,
    {
      reservationId: reservation.id,
      organizationId: reservation.organizationId,
      settlementId: attempt.settlementId,
      inputTokens: toTokenCount(usage.inputTokens),
      outputTokens: toTokenCount(usage.outputTokens),
      inputUSDPerMillion: options.price.inputUSDPerMillion,
      outputUSDPerMillion: options.price.outputUSDPerMillion,
      isReclaimed: options.isReclaimed ?? false,
      now,
    },
    limits,
    options.followUps?.(attempt) ?? [],
  );
  const isSettled = settledBy?.startsWith(`${series}.`) === true;
  const rows = isSettled ? winnerRows : [];
  const charged = rows.filter((row) => row.bucket !== "absorbed").reduce((sum, row) => sum + row.tokens, 0);
  const absorbed = rows.filter((row) => row.bucket === "absorbed").reduce((sum, row) => sum + row.tokens, 0);
  const outcome = {
    isSettled,
    followUpResults,
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
 * What the member has used this period plus their calls in flight, as the reservation checks it
 * (the same sums, the same period). The period is the billing period at `now` read in SQL, so this
 * read needs no policy first and travels with loadLedgerPolicy's reads (GET /usage/summary: one
 * round trip to the primary).
 */
export function sumMemberUsage(ctx: ServiceContext, organizationId: string, userId: string, now: number) {
  const period = selectBillingPeriodStartSQL(sql`${organizationId}`, now);
  return readSliceUsage(ctx.db, organizationId, { column: "user_id", value: userId }, period);
}

/** The member's budget from sumMemberUsage's sum; null when the organization sets no ai_member_token_limit. */
export function describeMemberBudget(
  policy: LedgerPolicy,
  userId: string,
  used: number,
): { limit: number; used: number; remaining: number } | null {
  const [cap] = listSliceCaps(policy, userId);
  if (!cap) return null;
  return { limit: cap.tokenLimit, used, remaining: Math.max(cap.tokenLimit - used, 0) };
}

/**
 * The period the ledger is counting in, as SQL: the billing period at `now`, or the account's own
 * when it is later (a period that moved backwards never reset the counters, see ledger-repo.ts).
 * For a read that must not wait for the policy (GET /usage/summary); usage/service.ts computes the
 * same from the policy and account it reads beside it.
 */
export function selectLedgerPeriodStartSQL(organizationId: string, now: number): SQL {
  const org = sql`${organizationId}`;
  const billing = selectBillingPeriodStartSQL(org, now);
  return sql`max(coalesce(${selectAccountPeriodStartSQL(org)}, ${billing}), ${billing})`;
}
