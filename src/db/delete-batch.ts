// One bounded batch of a table's rows, for the maintenance job's prunes: every prune deletes at
// most `batchSize` rows per statement, so one run's D1 work stays bounded however far behind it is.
import { inArray, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "./client";

export interface RowsToDelete {
  table: SQLiteTable;
  /** The primary key the batch is picked by. */
  id: SQLiteColumn;
  where: SQL | undefined;
  /** Picks the oldest rows first, so an interrupted backlog shrinks from its old end. */
  oldestFirst?: SQLiteColumn;
}

/** Deletes up to `batchSize` rows matching `where`; returns how many were deleted. */
export async function deleteRowsBatch(db: Database, rows: RowsToDelete, batchSize: number): Promise<number> {
  const picked = db.select({ id: rows.id }).from(rows.table).where(rows.where);
  const victims = (rows.oldestFirst === undefined ? picked : picked.orderBy(rows.oldestFirst)).limit(batchSize);
  const deleted = await db.delete(rows.table).where(inArray(rows.id, victims)).returning({ id: rows.id });
  return deleted.length;
}
