// Usage rules: what an organization has used of its AI allotment, credits and overage, who used
// it, and the fleet-wide rollup. Members see their own calls; org_admins their whole organization.
import { hasRoleAtLeast } from "../../lib/roles";
import { toPage, type Page, type PageRequest } from "../../lib/pagination";
import { DAY_MS, toISOString } from "../../lib/time";
import { UNLIMITED } from "../plans/features";
import type { Actor } from "../../platform/actor";
import type { ServiceContext } from "../../platform/service-context";
import {
  describeMemberBudget,
  type LedgerPolicy,
  loadLedgerPolicy,
  readAIAccountState,
  selectLedgerPeriodStartSQL,
  sumMemberUsage,
} from "../ai/ledger";
import {
  listTopApiKeysPage,
  listTopUsersPage,
  listUsagePage,
  readFleetUsage,
  sumOwnUsage,
  type UsageLogRow,
} from "./repo";

/**
 * The period the ledger is counting in: the billing period, or the account's own when it is
 * later (a period that moved backwards never reset the counters, see ledger-repo.ts).
 */
function describeCurrentLedger(policy: LedgerPolicy, state: Awaited<ReturnType<typeof readAIAccountState>>) {
  const accountPeriod = state?.periodStart ?? null;
  const periodStart =
    accountPeriod !== null && accountPeriod >= policy.period.start ? accountPeriod : policy.period.start;
  // Counters of an older period are not this period's usage (the ledger rolls them over lazily).
  const current = accountPeriod === periodStart ? state : null;
  return {
    policy,
    periodStart,
    allotmentUsed: current?.allotmentUsed ?? 0,
    overageUsed: current?.overageUsed ?? 0,
    reservedTokens: state?.reservedTokens ?? 0,
    creditBalance: Math.max(state?.creditBalance ?? 0, 0),
  };
}

async function loadCurrentLedger(ctx: ServiceContext, organizationId: string) {
  const [policy, state] = await Promise.all([
    loadLedgerPolicy(ctx, organizationId),
    readAIAccountState(ctx, organizationId),
  ]);
  return describeCurrentLedger(policy, state);
}

/**
 * Every read at once, one round trip to the primary: the two sums read their periods in SQL
 * (the ledger's period for the caller's own usage, the billing period for the member budget), so
 * they need not wait for the policy. The member's sum is read even when the organization sets no
 * budget: one more statement in the same trip costs less than a trip.
 */
export async function getUsageSummary(ctx: ServiceContext, actor: Actor) {
  const now = Date.now();
  // An API key's own usage is the key's, not its creator's (who may have many keys and calls of their own).
  const owner = actor.apiKey ? { apiKeyId: actor.apiKey.id } : { userId: actor.userId };
  const [policy, state, own, memberUsed] = await Promise.all([
    loadLedgerPolicy(ctx, actor.organizationId, now),
    readAIAccountState(ctx, actor.organizationId),
    sumOwnUsage(ctx.db, actor.organizationId, owner, selectLedgerPeriodStartSQL(actor.organizationId, now)),
    sumMemberUsage(ctx, actor.organizationId, actor.userId, now),
  ]);
  const ledger = describeCurrentLedger(policy, state);
  const memberBudget = describeMemberBudget(policy, actor.userId, memberUsed);
  const { limits, period, features } = policy;
  const isUnlimited = limits.tokenLimit === UNLIMITED;
  const allotmentRemaining = isUnlimited ? null : Math.max(limits.tokenLimit - ledger.allotmentUsed, 0);
  const overageRemaining = limits.isOverageEnabled ? Math.max(limits.overageCeiling - ledger.overageUsed, 0) : 0;
  return {
    organization_id: actor.organizationId,
    ai_enabled: features.enable_ai,
    period: { start: toISOString(ledger.periodStart), end: toISOString(period.end), source: period.source },
    allotment: { used: ledger.allotmentUsed, limit: limits.tokenLimit, remaining: allotmentRemaining },
    credits: { balance: ledger.creditBalance },
    overage: { enabled: limits.isOverageEnabled, used: ledger.overageUsed, ceiling: limits.overageCeiling },
    reserved_tokens: ledger.reservedTokens,
    available_tokens:
      allotmentRemaining === null
        ? null
        : Math.max(allotmentRemaining + ledger.creditBalance + overageRemaining - ledger.reservedTokens, 0),
    own_usage: { tokens: own?.tokens ?? 0, cost_usd: own?.costUSD ?? 0, calls: own?.calls ?? 0 },
    member_budget: memberBudget,
  };
}

function toUsageItem(row: UsageLogRow) {
  return {
    id: row.id,
    user_id: row.userId,
    api_key_id: row.apiKeyId,
    reservation_id: row.reservationId,
    provider: row.provider,
    model: row.model,
    bucket: row.bucket,
    tokens: row.tokens,
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cost_usd: row.costUSD,
    reclaimed: row.reclaimed,
    created_at: toISOString(row.createdAt),
  };
}

export async function listUsageHistory(ctx: ServiceContext, actor: Actor, page: PageRequest) {
  // A key's ceiling is member at most: it sees its own calls only.
  const isWholeOrganization = hasRoleAtLeast(actor.role, "org_admin");
  let scope: { userId?: string; apiKeyId?: string } = {};
  if (actor.apiKey) scope = { apiKeyId: actor.apiKey.id };
  else if (!isWholeOrganization) scope = { userId: actor.userId };
  const rows = await listUsagePage(ctx.db, actor.organizationId, page, scope);
  return {
    organization_id: actor.organizationId,
    scope: isWholeOrganization ? ("organization" as const) : ("own" as const),
    ...toPage(rows, page, toUsageItem),
  };
}

export async function listTopUsers(ctx: ServiceContext, actor: Actor, page: PageRequest) {
  const ledger = await loadCurrentLedger(ctx, actor.organizationId);
  const rows = await listTopUsersPage(ctx.db, actor.organizationId, ledger.periodStart, page);
  const result: Page<{
    user_id: string | null;
    email: string | null;
    tokens: number;
    cost_usd: number;
    calls: number;
  }> = toPage(rows, page, (row) => ({
    user_id: row.userId,
    email: row.email,
    tokens: row.tokens,
    cost_usd: row.costUSD,
    calls: row.calls,
  }));
  return {
    organization_id: actor.organizationId,
    period: { start: toISOString(ledger.periodStart), end: toISOString(ledger.policy.period.end) },
    ...result,
  };
}

/** The organization's API keys by AI tokens used this period (org_admin). */
export async function listTopApiKeys(ctx: ServiceContext, actor: Actor, page: PageRequest) {
  const ledger = await loadCurrentLedger(ctx, actor.organizationId);
  const rows = await listTopApiKeysPage(ctx.db, actor.organizationId, ledger.periodStart, page);
  return {
    organization_id: actor.organizationId,
    period: { start: toISOString(ledger.periodStart), end: toISOString(ledger.policy.period.end) },
    ...toPage(rows, page, (row) => ({
      api_key_id: row.apiKeyId ?? "",
      name: row.name,
      prefix: row.prefix,
      tokens: row.tokens,
      cost_usd: row.costUSD,
      calls: row.calls,
    })),
  };
}

/** Today (UTC) and the `days` whole days before it, so two reads in one day agree. */
export async function getFleetUsage(ctx: ServiceContext, days: number, now = Date.now()) {
  const since = Math.floor(now / DAY_MS) * DAY_MS - days * DAY_MS;
  const { totals, byDay, byModel } = await readFleetUsage(ctx.db, since);
  return {
    days,
    since: toISOString(since),
    totals: {
      tokens: totals.tokens,
      charged_tokens: totals.tokens - totals.absorbedTokens,
      absorbed_tokens: totals.absorbedTokens,
      reclaimed_tokens: totals.reclaimedTokens,
      cost_usd: totals.costUSD,
      calls: totals.calls,
      organizations: totals.organizations,
    },
    by_day: byDay.map((row) => ({
      day: toISOString(row.day).slice(0, 10),
      tokens: row.tokens,
      cost_usd: row.costUSD,
      calls: row.calls,
    })),
    by_model: byModel.map((row) => ({
      provider: row.provider,
      model: row.model,
      tokens: row.tokens,
      cost_usd: row.costUSD,
      calls: row.calls,
    })),
  };
}
