// The quota hook metered features call through their ServiceContext. plans/quota.ts implements
// it and app.ts plugs that implementation in, so a metered feature needs no import of plans.

/**
 * The metered features, keyed by name. Empty here: plans/features.ts, which declares each plan
 * feature once, adds its quota features to this map (TypeScript declaration merging, the pattern of
 * Hono's ContextVariableMap), so a misspelt feature name stays a type error in every caller.
 * @public (exported to be merged into, not imported)
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in plans/features.ts.
export interface QuotaFeatureMap {}

export type QuotaFeature = keyof QuotaFeatureMap;

type QuotaDecision = { allowed: true } | { allowed: false; limit: number; used: number };

export interface QuotaMeter {
  /**
   * Checks the limit and, when it holds, records `amount` of usage in the same statement, so two
   * concurrent callers can never both take the last unit.
   */
  checkQuota(organizationId: string, feature: QuotaFeature, amount: number): Promise<QuotaDecision>;
  /** Adjusts recorded usage without a check: negative to give units back (a deleted note). */
  recordUsage(organizationId: string, feature: QuotaFeature, delta: number): Promise<void>;
}
