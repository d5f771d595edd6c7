// Every setting key, per scope, declared once: its value schema, its default and what it does.
import { z } from "@hono/zod-openapi";
import type { SettingScope } from "../../db/schema";
import { CreditPackListSchema, DEFAULT_CREDIT_PACKS } from "../../config/credit-packs";

export interface SettingDefinition<T extends z.ZodType = z.ZodType> {
  /** What a stored or submitted value must satisfy. */
  schema: T;
  /** The value while nothing is stored, and when what is stored no longer matches `schema`. */
  default: z.output<T>;
  /** One line for the API reference and the GET response. */
  description: string;
  /** The value never goes into logs or the audit log (SEC-49). */
  isSecret?: boolean;
  /**
   * A limit the platform controls: the value may never exceed this system setting (SEC-61). A
   * higher value is refused when set and clamped when read (the system value may drop later).
   */
  boundedBy?: SystemNumberKey;
}

/** System keys whose value is a number: what an organization's number may be bounded by. */
type SystemNumberKey = "ai_overage_ceiling_max_tokens";

/**
 * The largest token count a setting takes: far above any plan, and far below where the ledger's
 * capacity sums in SQL (UNLIMITED_HEADROOM, 10^15) could lose precision or overflow.
 */
export const MAX_TOKEN_SETTING = 1_000_000_000_000;

/** A token count; `abort` keeps an unsafe integer (2^60) at one error instead of int + max. */
const tokenCount = () => z.number().int({ abort: true }).nonnegative().max(MAX_TOKEN_SETTING);

/** Ties `default` to the schema's type, so a default of the wrong type does not compile. */
function defineSetting<T extends z.ZodType>(definition: SettingDefinition<T>): SettingDefinition<T> {
  return definition;
}

/** Adding a key is one entry here; routes, validation, defaults and docs follow from it. */
export const SETTING_DEFINITIONS = {
  user: {
    theme: defineSetting({
      schema: z.enum(["light", "dark", "system"]),
      default: "system",
      description: "Colour scheme of the web app: light, dark, or follow the system.",
    }),
    email_notifications: defineSetting({
      schema: z.boolean(),
      default: true,
      description: "Whether to send optional notification emails (security emails are always sent).",
    }),
  },
  organization: {
    overage_enabled: defineSetting({
      schema: z.boolean(),
      default: false,
      description: "Allow AI usage beyond the plan's allotment for this organization, up to ai_overage_ceiling_tokens.",
    }),
    ai_overage_ceiling_tokens: defineSetting({
      schema: tokenCount(),
      default: 0,
      description:
        "Most AI tokens this organization may use beyond its allotment per period; 0 allows none; at most ai_overage_ceiling_max_tokens.",
      boundedBy: "ai_overage_ceiling_max_tokens",
    }),
    require_mfa: defineSetting({
      schema: z.boolean(),
      default: false,
      description:
        "Members without a second factor get 403 MFA_REQUIRED on org-scoped routes; /users/me, /auth/*, /organizations*, GET /organization and leaving it stay open so they can enrol, switch or leave.",
    }),
    ai_member_token_limit: defineSetting({
      schema: tokenCount().nullable(),
      default: null,
      description:
        "Most AI tokens each member of this organization may use per period (allotment, credits and overage together); null: no per-member limit.",
    }),
  },
  system: {
    ai_overage_enabled: defineSetting({
      schema: z.boolean(),
      default: false,
      description: "System-wide kill switch: no organization gets AI overage while this is false.",
    }),
    ai_overage_ceiling_max_tokens: defineSetting({
      schema: tokenCount(),
      default: 1_000_000,
      description:
        "The most an organization's ai_overage_ceiling_tokens may be: the platform's bound on overage per organization and period.",
    }),
    credit_packs: defineSetting({
      schema: CreditPackListSchema,
      default: DEFAULT_CREDIT_PACKS,
      description:
        "Credit packs on sale ({id, name, tokens, price_cents, currency}); while unset, CREDIT_PACKS_JSON applies if the deployment sets it, else this default.",
    }),
  },
} as const satisfies Record<SettingScope, Record<string, SettingDefinition>>;

type Definitions = typeof SETTING_DEFINITIONS;

export type SettingKey<S extends SettingScope> = Extract<keyof Definitions[S], string>;

/** The type of a key's value, e.g. SettingValue<"organization", "overage_enabled"> is boolean. */
export type SettingValue<S extends SettingScope, K extends SettingKey<S>> =
  Definitions[S][K] extends SettingDefinition<infer T> ? z.output<T> : never;

/**
 * The declaration of `key` in `scope`, or null. An own-property lookup, so a path segment such as
 * "__proto__" or "constructor" is an unknown key like any other.
 */
export function findSettingDefinition(scope: SettingScope, key: string): SettingDefinition | null {
  const declared: Record<string, SettingDefinition> = SETTING_DEFINITIONS[scope];
  return Object.hasOwn(declared, key) ? (declared[key] ?? null) : null;
}

export function listSettingKeys(scope: SettingScope): string[] {
  return Object.keys(SETTING_DEFINITIONS[scope]);
}
