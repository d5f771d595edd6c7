// Stored setting rows. No rules here: which keys exist and what they may hold is the service's.
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { settings, type SettingScope } from "../../db/schema";

export interface StoredSetting {
  /** The column's JSON text as stored, unparsed: the service decides what a bad one means. */
  valueJSON: string;
  updatedAt: number;
}

export function findStoredSetting(
  db: Database,
  scope: SettingScope,
  scopeId: string,
  key: string,
): Promise<StoredSetting | undefined> {
  return db
    .select({ valueJSON: sql<string>`${settings.value}`, updatedAt: settings.updatedAt })
    .from(settings)
    .where(and(eq(settings.scope, scope), eq(settings.scopeId, scopeId), eq(settings.key, key)))
    .get();
}

export interface SettingRow {
  scope: SettingScope;
  scopeId: string;
  key: string;
  value: unknown;
  updatedAt: number;
  updatedByUserId: string;
}

/** One INSERT ... ON CONFLICT DO UPDATE on the (scope, scope_id, key) primary key. */
export function buildSettingUpsert(db: Database, row: SettingRow) {
  return db
    .insert(settings)
    .values(row)
    .onConflictDoUpdate({
      target: [settings.scope, settings.scopeId, settings.key],
      set: { value: row.value, updatedAt: row.updatedAt, updatedByUserId: row.updatedByUserId },
    });
}
