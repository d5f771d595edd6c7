// Reads of llm_usage_log for the usage routes. Every org-scoped query takes the organization id.
import { and, desc, eq, gte, isNotNull, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { apiKeys, llmUsageLogs, memberships, users } from "../../db/schema";
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

// The divisor is written into the SQL text: D1 binds a JS number as REAL, and a REAL divisor
// would not round created_at down to its day, making every row a day of its own.
const DAY_MS_SQL = sql.raw(String(DAY_MS));
const day = sql<number>`(${llmUsageLogs.createdAt} / ${DAY_MS_SQL}) * ${DAY_MS_SQL}`;

/** Fleet-wide rollups since `since` (sys_admin): totals, per UTC day, per model. */
export async function readFleetUsage(db: Database, since: number) {
  const recent = gte(llmUsageLogs.createdAt, since);
  const [totals, byDay, byModel] = await db.batch([
    db
      .select({
        tokens,
        costUSD,
        calls,
        organizations: sql<number>`count(DISTINCT ${llmUsageLogs.organizationId})`,
        absorbedTokens: sql<number>`coalesce(sum(CASE WHEN ${llmUsageLogs.bucket} = 'absorbed' THEN ${llmUsageLogs.tokens} ELSE 0 END), 0)`,
        reclaimedTokens: sql<number>`coalesce(sum(CASE WHEN ${llmUsageLogs.reclaimed} THEN ${llmUsageLogs.tokens} ELSE 0 END), 0)`,
      })
      .from(llmUsageLogs)
      .where(recent),
    db.select({ day, tokens, costUSD, calls }).from(llmUsageLogs).where(recent).groupBy(day).orderBy(day),
    db
      .select({ provider: llmUsageLogs.provider, model: llmUsageLogs.model, tokens, costUSD, calls })
      .from(llmUsageLogs)
      .where(recent)
      .groupBy(llmUsageLogs.provider, llmUsageLogs.model)
      .orderBy(desc(tokens), llmUsageLogs.provider, llmUsageLogs.model),
  ]);
  // An aggregate without GROUP BY always answers one row, even over no rows.
  const [total] = totals;
  if (!total) throw new Error("readFleetUsage: the totals query returned no row.");
  return { totals: total, byDay, byModel };
}
