// Fleet-wide aggregates for GET /admin/stats. Every read is one indexed aggregate query: rows are
// grouped and counted in D1, never loaded into the worker.
import { count, eq, gt, gte, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { llmUsageDaily, organizations, plans, sessions, users } from "../../db/schema";
import { DAY_MS } from "../../lib/time";

/**
 * The UTC day (its first millisecond) a created_at falls on. The divisor is written into the SQL:
 * D1 binds a JS number as REAL, and a REAL divisor would not truncate to the day.
 */
const DAY = sql.raw(String(DAY_MS));
const dayOf = (column: typeof users.createdAt) => sql<number>`(${column} / ${DAY}) * ${DAY}`;

/** COALESCE(plan_id, the default plan's id): an organization without a plan is on the default plan. */
const effectivePlanId = sql<
  string | null
>`coalesce(${organizations.planId}, (SELECT ${plans.id} FROM ${plans} WHERE ${plans.isDefault} = 1))`;

/**
 * The statements, exported so a test can check their query plans (user_created_idx,
 * session_expires_idx, organization_plan_idx, the llm_usage_daily primary key).
 */
export function buildStatsQueries(db: Database, since: number, now: number) {
  const signupDay = dayOf(users.createdAt);
  const plansByOrg = db
    .select({ planId: effectivePlanId.as("plan_id"), organizations: count().as("organizations") })
    .from(organizations)
    .groupBy(organizations.planId)
    .as("by_plan");
  return {
    signups: db
      .select({ day: signupDay, signups: count() })
      .from(users)
      .where(gte(users.createdAt, since))
      .groupBy(signupDay)
      .orderBy(signupDay),
    activeSessions: db.select({ sessions: count() }).from(sessions).where(gt(sessions.expiresAt, now)),
    // Grouped on plan_id first (a covering scan of organization_plan_idx), then the NULL group is
    // folded into the default plan's.
    organizationsByPlan: db
      .select({
        planId: plansByOrg.planId,
        name: plans.name,
        organizations: sql<number>`sum(${plansByOrg.organizations})`,
      })
      .from(plansByOrg)
      .leftJoin(plans, eq(plans.id, plansByOrg.planId))
      .groupBy(sql`${plansByOrg.planId}`)
      .orderBy(sql`sum(${plansByOrg.organizations}) DESC`, sql`${plansByOrg.planId}`),
    // 'absorbed' rows are usage past the cap: recorded, never charged to an organization. From the
    // daily rollups (migrations/0018_usage_daily.sql): a row per day and model, not one per call.
    aiUsage: db
      .select({
        day: llmUsageDaily.dayStart,
        tokens: sql<number>`coalesce(sum(${llmUsageDaily.chargedTokens}), 0)`,
        costUSD: sql<number>`coalesce(sum(${llmUsageDaily.chargedCostUSD}), 0)`,
      })
      .from(llmUsageDaily)
      .where(gte(llmUsageDaily.dayStart, since))
      .groupBy(llmUsageDaily.dayStart)
      .having(sql`sum(${llmUsageDaily.chargedRows}) > 0`)
      .orderBy(llmUsageDaily.dayStart),
  };
}

export async function readStats(db: Database, since: number, now: number) {
  const queries = buildStatsQueries(db, since, now);
  const [signups, activeSessions, organizationsByPlan, aiUsage] = await db.batch([
    queries.signups,
    queries.activeSessions,
    queries.organizationsByPlan,
    queries.aiUsage,
  ]);
  return { signups, activeSessions: activeSessions[0]?.sessions ?? 0, organizationsByPlan, aiUsage };
}
