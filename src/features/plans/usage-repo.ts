// Usage counters per (organization, feature, period). The check and the increment are one
// conditional upsert, so concurrent callers can never push `used` past the limit.
import { and, eq, type SQLWrapper, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { usageCounters } from "../../db/schema";
import { UNLIMITED } from "./features";

export interface CounterKey {
  organizationId: string;
  feature: string;
  periodStart: number;
}

/**
 * Adds `amount` when `used + amount <= limit` (or always, for -1) and returns the new total;
 * returns null, changing nothing, when it would exceed. SQLite needs the WHERE on the SELECT to
 * parse INSERT ... SELECT ... ON CONFLICT, and it doubles as the check for a first use.
 */
export async function incrementWithinLimit(
  db: Database,
  key: CounterKey,
  amount: number,
  limit: number,
): Promise<number | null> {
  const isUnlimited = limit === UNLIMITED;
  const row = await db.get<{ used: number }>(sql`
    INSERT INTO usage_counter (organization_id, feature, period_start, used)
    SELECT ${key.organizationId}, ${key.feature}, ${key.periodStart}, ${amount}
    WHERE ${isUnlimited ? 1 : 0} = 1 OR ${amount} <= ${limit}
    ON CONFLICT (organization_id, feature, period_start)
    DO UPDATE SET used = used + excluded.used
    WHERE ${isUnlimited ? 1 : 0} = 1 OR used + excluded.used <= ${limit}
    RETURNING used`);
  return row?.used ?? null;
}

/**
 * Adjusts usage without a check, never below zero (a deleted note gives its unit back). The
 * period may be a subquery, read in the same transaction as the statement runs in; one that
 * yields NULL matches no counter and changes nothing.
 */
export function adjustUsage(
  db: Database,
  key: Omit<CounterKey, "periodStart"> & { periodStart: number | SQLWrapper },
  delta: number,
) {
  return db
    .update(usageCounters)
    .set({ used: sql`MAX(${usageCounters.used} + ${delta}, 0)` })
    .where(
      and(
        eq(usageCounters.organizationId, key.organizationId),
        eq(usageCounters.feature, key.feature),
        eq(usageCounters.periodStart, key.periodStart),
      ),
    );
}

export async function readUsage(db: Database, key: CounterKey): Promise<number> {
  const row = await db
    .select({ used: usageCounters.used })
    .from(usageCounters)
    .where(
      and(
        eq(usageCounters.organizationId, key.organizationId),
        eq(usageCounters.feature, key.feature),
        eq(usageCounters.periodStart, key.periodStart),
      ),
    )
    .get();
  return row?.used ?? 0;
}
