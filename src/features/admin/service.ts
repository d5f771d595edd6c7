// The operator's view of the fleet (sys_admin): signups, live sessions, plans and AI spend.
import type { ServiceContext } from "../../platform/service-context";
import { DAY_MS, toISOString } from "../../lib/time";
import { readStats } from "./repo";

const toDay = (epochMs: number) => toISOString(epochMs).slice(0, 10);

/** The last `days` UTC days, today included, so two reads on one day agree. */
export async function getAdminStats(ctx: ServiceContext, days: number, now = Date.now()) {
  const since = Math.floor(now / DAY_MS) * DAY_MS - (days - 1) * DAY_MS;
  const stats = await readStats(ctx.db, since, now);
  return {
    days,
    since: toISOString(since),
    signups_by_day: stats.signups.map((row) => ({ day: toDay(row.day), signups: row.signups })),
    active_sessions: stats.activeSessions,
    organizations_by_plan: stats.organizationsByPlan.map((row) => ({
      plan_id: row.planId,
      plan_name: row.name,
      organizations: row.organizations,
    })),
    ai_usage_by_day: stats.aiUsage.map((row) => ({ day: toDay(row.day), tokens: row.tokens, cost_usd: row.costUSD })),
  };
}
