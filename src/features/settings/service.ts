// Setting rules: only declared keys exist, values match their declaration, unset means default.
import { z } from "@hono/zod-openapi";
import { type SQL, sql } from "drizzle-orm";
import { sqlConstant } from "../../db/sql-fragments";
import type { Database } from "../../db/client";
import type { SettingScope } from "../../db/schema";
import { AppError } from "../../errors";
import { logEvent } from "../../lib/log";
import { listFieldErrors } from "../../platform/openapi/validation-hook";
import { buildAuditInsert } from "../audit/service";
import type { ServiceContext } from "../../platform/service-context";
import {
  findSettingDefinition,
  MAX_TOKEN_SETTING,
  type SettingDefinition,
  type SettingKey,
  type SettingValue,
} from "./definitions";
import { buildSettingUpsert, findStoredSetting, type StoredSetting } from "./repo";

export interface SettingView {
  key: string;
  value: unknown;
  default: unknown;
  description: string;
  /** When the value in effect was set; null while the default applies. */
  updatedAt: number | null;
}

/** The signed-in user a setting is read or changed for. */
export interface SettingActor {
  id: string;
  organizationId: string;
}

/**
 * Whose setting a request means: the caller's own user or organization, never an id from the
 * request (SEC-35); system settings have the one scope id "".
 */
function resolveScopeId(scope: SettingScope, actor: SettingActor): string {
  switch (scope) {
    case "user":
      return actor.id;
    case "organization":
      return actor.organizationId;
    case "system":
      return "";
  }
}

function requireDefinition(scope: SettingScope, key: string): SettingDefinition {
  const definition = findSettingDefinition(scope, key);
  if (!definition) throw new AppError("NOT_FOUND", "No such setting.");
  return definition;
}

/**
 * The stored value if it still matches the declaration, else null. A row written before a
 * declaration changed (drift) must not break its readers: it is logged, without the value, which
 * may be secret (SEC-49), and the default applies.
 */
function decodeStoredValue(
  where: { scope: SettingScope; scopeId: string; key: string },
  definition: SettingDefinition,
  stored: StoredSetting,
): { value: unknown } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored.valueJSON);
  } catch {
    parsed = undefined;
  }
  const result = definition.schema.safeParse(parsed);
  if (result.success) return { value: result.data };
  logEvent("warn", "setting_drift", { scope: where.scope, scope_id: where.scopeId, key: where.key });
  return null;
}

/** The system value that bounds `definition`'s values (SEC-61), or null when nothing bounds it. */
async function readBound(db: Database, definition: SettingDefinition): Promise<number | null> {
  if (!definition.boundedBy) return null;
  return (await loadSettingView(db, "system", "", definition.boundedBy)).value as number;
}

async function loadSettingView(db: Database, scope: SettingScope, scopeId: string, key: string): Promise<SettingView> {
  const definition = requireDefinition(scope, key);
  const [stored, bound] = await Promise.all([findStoredSetting(db, scope, scopeId, key), readBound(db, definition)]);
  const decoded = stored ? decodeStoredValue({ scope, scopeId, key }, definition, stored) : null;
  const value = decoded ? decoded.value : definition.default;
  return {
    key,
    // A value stored before the operator lowered the bound never raises the limit past it.
    value: bound !== null && typeof value === "number" ? Math.min(value, bound) : value,
    default: definition.default,
    description: definition.description,
    updatedAt: decoded && stored ? stored.updatedAt : null,
  };
}

/**
 * The value in effect for a declared key, typed by the key: the stored one, or the default when
 * none is stored or the stored one no longer matches its declaration. For other features' rules,
 * e.g. `await readSetting(ctx, "organization", orgId, "overage_enabled")` is a boolean.
 */
export async function readSetting<S extends SettingScope, K extends SettingKey<S>>(
  ctx: ServiceContext,
  scope: S,
  scopeId: string,
  key: K,
): Promise<SettingValue<S, K>> {
  const view = await loadSettingView(ctx.db, scope, scopeId, key);
  return view.value as SettingValue<S, K>;
}

/**
 * readSetting in SQL, for a statement that must apply a setting as it is when the statement runs
 * (the AI settlement, SEC-52) without a read before it. For the two kinds of value such
 * statements need: booleans (1/0) and token counts (bounded like loadSettingView bounds them). A
 * stored value that no longer matches its declaration reads as the default, as in decodeStoredValue
 * (unlogged here). `scopeId` is an SQL expression. test/features/plans/plan-sql.test.ts holds the
 * two equal.
 */
export function selectSettingSQL<S extends SettingScope>(scope: S, scopeId: SQL, key: SettingKey<S>): SQL {
  const definition = requireDefinition(scope, key);
  const stored = sql`(SELECT s.value FROM setting s
                       WHERE s.scope = ${sqlConstant(scope)} AND s.scope_id = ${scopeId} AND s.key = ${sqlConstant(key)})`;
  let decoded: SQL;
  if (typeof definition.default === "boolean") {
    decoded = sql`(SELECT CASE WHEN json_valid(v.value) THEN
                            CASE json_type(v.value) WHEN 'true' THEN 1 WHEN 'false' THEN 0 END
                          END FROM (SELECT ${stored} AS value) v)`;
  } else if (typeof definition.default === "number") {
    // The token count of definitions.ts: a whole number from 0 to MAX_TOKEN_SETTING (5.0 and 5e0 are whole).
    const value = sql`json_extract(v.value, '$')`;
    decoded = sql`(SELECT CASE WHEN json_valid(v.value) THEN
                            CASE WHEN json_type(v.value) IN ('integer', 'real') THEN
                              CASE WHEN ${value} >= 0 AND ${value} <= ${sqlConstant(MAX_TOKEN_SETTING)}
                                        AND ${value} = CAST(${value} AS INTEGER)
                                   THEN CAST(${value} AS INTEGER) END
                            END
                          END FROM (SELECT ${stored} AS value) v)`;
  } else {
    throw new Error(`selectSettingSQL cannot decode ${scope}.${key}`);
  }
  const fallback = definition.default as boolean | number;
  const value = sql`coalesce(${decoded}, ${sqlConstant(typeof fallback === "boolean" ? Number(fallback) : fallback)})`;
  if (!definition.boundedBy) return value;
  // A value stored before the operator lowered the bound never raises the limit past it (SEC-61).
  return sql`min(${value}, ${selectSettingSQL("system", sql`''`, definition.boundedBy)})`;
}

/** A key of the request's choosing, for the caller: 404 NOT_FOUND unless it is declared for the scope. */
export function getSetting(
  ctx: ServiceContext,
  actor: SettingActor,
  input: { scope: SettingScope; key: string },
): Promise<SettingView> {
  return loadSettingView(ctx.db, input.scope, resolveScopeId(input.scope, actor), input.key);
}

/** What the audit row says about a change: never the value of a secret key (SEC-49). */
export function describeSettingChange(
  scope: SettingScope,
  key: string,
  definition: SettingDefinition,
  value: unknown,
): Record<string, unknown> {
  return definition.isSecret ? { key, scope } : { key, scope, value };
}

/**
 * Sets a declared key: 404 for an unknown key before the value is looked at, so an unknown key is
 * never written; 422 naming `value` when it does not match the declaration. The upsert and its
 * audit row go in one batch, which D1 runs as one transaction.
 */
export async function updateSetting(
  ctx: ServiceContext,
  actor: SettingActor,
  input: { scope: SettingScope; key: string; value: unknown },
): Promise<SettingView> {
  const { scope, key } = input;
  const definition = requireDefinition(scope, key);
  const result = z.object({ value: definition.schema }).safeParse({ value: input.value });
  if (!result.success) {
    throw new AppError("VALIDATION_ERROR", "The value does not match the setting's type.", {
      fields: listFieldErrors(result.error),
    });
  }
  const value = result.data.value;
  // A tenant's setting never raises a limit the platform controls (SEC-61): refused, not clamped,
  // so the caller learns the limit instead of silently getting less than it asked for.
  const bound = await readBound(ctx.db, definition);
  if (bound !== null && typeof value === "number" && value > bound) {
    throw new AppError("VALIDATION_ERROR", "The value is above the limit the platform allows.", {
      fields: [{ field: "value", message: `Must be at most ${bound} (the system setting ${definition.boundedBy}).` }],
    });
  }
  const scopeId = resolveScopeId(scope, actor);
  const now = Date.now();
  await ctx.db.batch([
    buildSettingUpsert(ctx.db, { scope, scopeId, key, value, updatedAt: now, updatedByUserId: actor.id }),
    buildAuditInsert(ctx, {
      action: "setting_changed",
      // A system setting belongs to no organization; user and organization ones to the caller's.
      organizationId: scope === "system" ? null : actor.organizationId,
      actorUserId: actor.id,
      target: `${scope}:${key}`,
      ip: ctx.ip,
      details: describeSettingChange(scope, key, definition, value),
    }),
  ]);
  return { key, value, default: definition.default, description: definition.description, updatedAt: now };
}
