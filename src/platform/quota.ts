// The quota hook metered features call through their ServiceContext. plans/quota.ts implements
// it and app.ts plugs that implementation in, so a metered feature needs no import of plans.
import type { SQLWrapper } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";

/**
 * The metered features, keyed by name. Empty here: plans/features.ts, which declares each plan
 * feature once, adds its quota features to this map (TypeScript declaration merging, the pattern of
 * Hono's ContextVariableMap), so a misspelt feature name stays a type error in every caller.
 * @public (exported to be merged into, not imported)
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in plans/features.ts.
export interface QuotaFeatureMap {}

export type QuotaFeature = keyof QuotaFeatureMap;

/** An allowed decision names the period the units were counted in, for giving them back (SEC-60). */
type QuotaDecision = { allowed: true; periodStart: number } | { allowed: false; limit: number; used: number };

export interface QuotaMeter {
  /**
   * Checks the limit and, when it holds, records `amount` of usage in the same statement, so two
   * concurrent callers can never both take the last unit.
   */
  checkQuota(organizationId: string, feature: QuotaFeature, amount: number): Promise<QuotaDecision>;
  /**
   * A statement giving `amount` units back to the period they were counted in (SEC-60), never to
   * the current one unless that is it: `periodStart` is the period, or a subquery reading it in
   * the caller's batch. Await it to run it alone.
   */
  buildRelease(
    organizationId: string,
    feature: QuotaFeature,
    periodStart: number | SQLWrapper,
    amount: number,
  ): BatchItem<"sqlite">;
}
