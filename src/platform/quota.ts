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

/**
 * Taking units of a quota, prepared: the caller runs `statement` first in the batch that writes
 * what the units pay for, so the units and the write commit together or not at all.
 */
interface QuotaTake {
  /** The period the units are counted in, for giving them back there (SEC-60). */
  periodStart: number;
  /**
   * One conditional upsert that records the units only when the limit still holds, so two
   * concurrent callers can never both take the last unit. Its result is the new total as one row,
   * or no row when it refused; statements after it can be gated on `changes() > 0`.
   */
  statement: BatchItem<"sqlite">;
  /** After a refusal: the limit and what the period has used, for the error's details. */
  readRefusal(): Promise<{ limit: number; used: number }>;
}

export interface QuotaMeter {
  /** Reads the organization's limit and period (one read); nothing is taken until `statement` runs. */
  prepareTake(organizationId: string, feature: QuotaFeature, amount: number): Promise<QuotaTake>;
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
