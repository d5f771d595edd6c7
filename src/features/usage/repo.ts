// Reads of llm_usage_log for the usage routes. Every org-scoped query takes the organization id.
import { and, desc, eq, gte, isNotNull, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { apiKeys, llmUsageDaily, llmUsageDailyOrganizations, llmUsageLogs, memberships, users } from "../../db/schema";
import type { PageRequest } from "../../lib/pagination";
import { DAY_MS } from "../../lib/time";

const tokens = sql<number>`coalesce(sum(${llmUsageLogs.tokens}), 0)`;
const costUSD = sql<number>`coalesce(sum(${llmUsageLogs.costUSD}), 0)`;
const calls = sql<number>`count(DISTINCT ${llmUsageLogs.reservationId})`;

/** One member's, or one API key's, usage in the period (by llm_usage_org_{user,key}_period_idx). */
export function sumOwnUsage(
  db: Database,
  organizationId: string,
  owner: { userId: string } | { apiKeyId: string },
  /** A period, or SQL reading it in this statement. */
  periodStart: number | SQL,
) {
  return db
    .select({ tokens, costUSD, calls })
    .from(llmUsageLogs)
    .where(
      and(
        eq(llmUsageLogs.organizationId, organizationId),
        "apiKeyId" in owner ? eq(llmUsageLogs.apiKeyId, owner.apiKeyId) : eq(llmUsageLogs.userId, owner.userId),
        eq(llmUsageLogs.periodStart, periodStart),
      ),
    )
    .get();
}

export type UsageLogRow = typeof llmUsageLogs.$inferSelect;

/** Newest first; `userId` narrows to one member's rows, `apiKeyId` to one key's. */
export function listUsagePage(
  db: Database,
  organizationId: string,
  page: PageRequest,
  options: { userId?: string; apiKeyId?: string } = {},
) {
  return db
    .select()
    .from(llmUsageLogs)
    .where(
      and(
        eq(llmUsageLogs.organizationId, organizationId),
        options.userId === undefined ? undefined : eq(llmUsageLogs.userId, options.userId),
        options.apiKeyId === undefined ? undefined : eq(llmUsageLogs.apiKeyId, options.apiKeyId),
      ),
    )
    .orderBy(desc(llmUsageLogs.createdAt), desc(llmUsageLogs.id))
    .limit(page.limit + 1)
    .offset(page.offset);
}

/**
 * Members by tokens used in the period (all buckets), most first. Grouped on +user_id, an
 * expression no index can order: otherwise SQLite walks llm_usage_org_user_created_idx for the
 * group order, reading every row the organization ever logged instead of seeking
 * (organization_id, period_start) in llm_usage_org_period_idx: 2.4 s -> 3 ms for the largest
 * tenant of `npm run scale:seed` (docs/scaling.md).
 */
export function listTopUsersPage(db: Database, organizationId: string, periodStart: number, page: PageRequest) {
  return (
    db
      .select({ userId: llmUsageLogs.userId, email: users.email, tokens, costUSD, calls })
      .from(llmUsageLogs)
      // Only a current member's email is shown; a former member's row keeps its user id alone.
      .leftJoin(
        memberships,
        and(eq(memberships.userId, llmUsageLogs.userId), eq(memberships.organizationId, organizationId)),
      )
      .leftJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(llmUsageLogs.organizationId, organizationId), eq(llmUsageLogs.periodStart, periodStart)))
      .groupBy(sql`+${llmUsageLogs.userId}`)
      .orderBy(desc(tokens), llmUsageLogs.userId)
      .limit(page.limit + 1)
      .offset(page.offset)
  );
}

/**
 * The organization's API keys by tokens used in the period, most first; calls made with a session
 * (no key) are not listed. Grouped on +api_key_id for the reason listTopUsersPage gives.
 */
export function listTopApiKeysPage(db: Database, organizationId: string, periodStart: number, page: PageRequest) {
  return db
    .select({ apiKeyId: llmUsageLogs.apiKeyId, name: apiKeys.name, prefix: apiKeys.prefix, tokens, costUSD, calls })
    .from(llmUsageLogs)
    .leftJoin(apiKeys, and(eq(apiKeys.id, llmUsageLogs.apiKeyId), eq(apiKeys.organizationId, organizationId)))
    .where(
      and(
        eq(llmUsageLogs.organizationId, organizationId),
        eq(llmUsageLogs.periodStart, periodStart),
        isNotNull(llmUsageLogs.apiKeyId),
      ),
    )
    .groupBy(sql`+${llmUsageLogs.apiKeyId}`)
    .orderBy(desc(tokens), llmUsageLogs.apiKeyId)
    .limit(page.limit + 1)
    .offset(page.offset);
}

const dailyTokens = sql<number>`coalesce(sum(${llmUsageDaily.chargedTokens} + ${llmUsageDaily.absorbedTokens}), 0)`;
const dailyCostUSD = sql<number>`coalesce(sum(${llmUsageDaily.chargedCostUSD} + ${llmUsageDaily.absorbedCostUSD}), 0)`;
const dailyCalls = sql<number>`coalesce(sum(${llmUsageDaily.calls}), 0)`;

/**
 * Fleet-wide rollups since `since` (sys_admin): totals, per UTC day, per model. Read from the daily
 * rollups the triggers on llm_usage_log keep (migrations/0018_usage_daily.sql): ~ one row per day
 * and model instead of every call of the window, which at 10M usage rows took 47 s for 30 days
 * (docs/scaling.md). `since` must be the first millisecond of a UTC day, the rollups' grain.
 */
export async function readFleetUsage(db: Database, since: number) {
  if (since % DAY_MS !== 0) throw new Error("readFleetUsage: since must start a UTC day.");
  const recent = gte(llmUsageDaily.dayStart, since);
  const [totals, byDay, byModel] = await db.batch([
    db
      .select({
        tokens: dailyTokens,
        costUSD: dailyCostUSD,
        calls: dailyCalls,
        // Distinct over the window, so from the per-day organization rows (not additive over days).
        organizations: sql<number>`(SELECT count(DISTINCT ${llmUsageDailyOrganizations.organizationId})
          FROM ${llmUsageDailyOrganizations} WHERE ${llmUsageDailyOrganizations.dayStart} >= ${since})`,
        absorbedTokens: sql<number>`coalesce(sum(${llmUsageDaily.absorbedTokens}), 0)`,
        reclaimedTokens: sql<number>`coalesce(sum(${llmUsageDaily.reclaimedTokens}), 0)`,
      })
      .from(llmUsageDaily)
      .where(recent),
    db
      .select({ day: llmUsageDaily.dayStart, tokens: dailyTokens, costUSD: dailyCostUSD, calls: dailyCalls })
      .from(llmUsageDaily)
      .where(recent)
      .groupBy(llmUsageDaily.dayStart)
      .orderBy(llmUsageDaily.dayStart),
    db
      .select({
        provider: llmUsageDaily.provider,
        model: llmUsageDaily.model,
        tokens: dailyTokens,
        costUSD: dailyCostUSD,
        calls: dailyCalls,
      })
      .from(llmUsageDaily)
      .where(recent)
      .groupBy(llmUsageDaily.provider, llmUsageDaily.model)
      .orderBy(desc(dailyTokens), llmUsageDaily.provider, llmUsageDaily.model),
  ]);
  // An aggregate without GROUP BY always answers one row, even over no rows.
  const [total] = totals;
  if (!total) throw new Error("readFleetUsage: the totals query returned no row.");
  return { totals: total, byDay, byModel };
}
