// PlanFeatures, declared once: validation, enforcement and every plan response derive from it.
import { logEvent } from "../../lib/log";

interface QuotaFeatureDefinition {
  kind: "quota";
  /** Per billing period; -1 means unlimited. */
  default: number;
  label: string;
}

interface FlagFeatureDefinition {
  kind: "flag";
  default: boolean;
  label: string;
}

export const PLAN_FEATURES = {
  max_notes: { kind: "quota", default: 10, label: "Notes created per billing period" },
  token_limit: { kind: "quota", default: 50_000, label: "AI tokens per billing period (the plan's allotment)" },
  enable_ai: { kind: "flag", default: false, label: "AI features" },
} as const satisfies Record<string, QuotaFeatureDefinition | FlagFeatureDefinition>;

export type FeatureName = keyof typeof PLAN_FEATURES;
export type QuotaFeatureName = {
  [K in FeatureName]: (typeof PLAN_FEATURES)[K]["kind"] extends "quota" ? K : never;
}[FeatureName];
declare module "../../platform/quota" {
  /** The quota features every metered service may name (see QuotaFeatureMap). */
  interface QuotaFeatureMap extends Record<QuotaFeatureName, true> {}
}

type FlagFeatureName = Exclude<FeatureName, QuotaFeatureName>;

export type PlanFeatures = { [K in QuotaFeatureName]: number } & { [K in FlagFeatureName]: boolean };

export const UNLIMITED = -1;

export const FEATURE_NAMES = Object.keys(PLAN_FEATURES) as FeatureName[];

export function isQuotaFeature(name: FeatureName): name is QuotaFeatureName {
  return PLAN_FEATURES[name].kind === "quota";
}

/** -1 is unlimited; any other negative resolves to 0; fractions round down. */
export function normalizeQuota(value: number): number {
  if (value === UNLIMITED) return UNLIMITED;
  return value < 0 ? 0 : Math.floor(value);
}

export function defaultFeatures(): PlanFeatures {
  return Object.fromEntries(FEATURE_NAMES.map((name) => [name, PLAN_FEATURES[name].default])) as PlanFeatures;
}

export interface ResolvedFeatures {
  features: PlanFeatures;
  /** Drift between the stored JSON and the declaration, for admin responses. */
  warnings: string[];
}

/**
 * Reads a plan's stored features through the declaration. Drift never breaks a read: a missing
 * key takes its default, a wrongly typed value is ignored (default) with a logged warning, an
 * extra key is kept in storage but ignored.
 */
export function resolveFeatures(stored: string, context: { planId: string }): ResolvedFeatures {
  const features = defaultFeatures() as Record<FeatureName, number | boolean>;
  const warnings: string[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    warnings.push("features is not a JSON object; every feature uses its default");
  } else {
    const record = parsed as Record<string, unknown>;
    for (const name of FEATURE_NAMES) {
      if (!Object.hasOwn(record, name)) {
        warnings.push(`${name} is missing; using the default ${String(PLAN_FEATURES[name].default)}`);
        continue;
      }
      const value = record[name];
      const definition = PLAN_FEATURES[name];
      if (definition.kind === "quota" && typeof value === "number" && Number.isFinite(value)) {
        features[name] = normalizeQuota(value);
      } else if (definition.kind === "flag" && typeof value === "boolean") {
        features[name] = value;
      } else {
        warnings.push(
          `${name} has the wrong type (${JSON.stringify(value)}); using the default ${String(definition.default)}`,
        );
      }
    }
    for (const key of Object.keys(record)) {
      if (!Object.hasOwn(PLAN_FEATURES, key)) warnings.push(`${key} is not a declared feature; it is ignored`);
    }
  }
  // Missing keys are routine after a new feature ships; wrong types and garbage are worth a log.
  const serious = warnings.filter((warning) => !warning.includes("is missing"));
  if (serious.length > 0) logEvent("warn", "plan_feature_drift", { plan_id: context.planId, warnings: serious });
  return { features: features as PlanFeatures, warnings };
}
