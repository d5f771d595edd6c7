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
 * Adds `amount` when `used + amount <= limit` (or always, for -1); its result is the new total as
 * one row, or no row, changing nothing, when it would exceed. A query builder, not raw SQL, so it
 * can lead a batch (the insert it pays for runs after it, gated on changes()). SQLite needs the
 * WHERE on the SELECT to parse INSERT ... SELECT ... ON CONFLICT, and it doubles as the check for
 * a first use.
 */
export function buildIncrementWithinLimit(db: Database, key: CounterKey, amount: number, limit: number) {
  const isUnlimited = limit === UNLIMITED ? 1 : 0;
  return db
    .insert(usageCounters)
    .select(
      sql`SELECT ${key.organizationId}, ${key.feature}, ${key.periodStart}, ${amount}
          WHERE ${isUnlimited} = 1 OR ${amount} <= ${limit}`,
    )
    .onConflictDoUpdate({
      target: [usageCounters.organizationId, usageCounters.feature, usageCounters.periodStart],
      set: { used: sql`${usageCounters.used} + excluded.used` },
      setWhere: sql`${isUnlimited} = 1 OR ${usageCounters.used} + excluded.used <= ${limit}`,
    })
    .returning({ used: usageCounters.used });
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
