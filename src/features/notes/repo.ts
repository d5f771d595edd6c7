// Note rows. Every function takes the organization id and filters by (organization_id, id).
import { and, desc, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { notes } from "../../db/schema";
import type { PageRequest } from "../../lib/pagination";

export type NoteRow = typeof notes.$inferSelect;

export function listNotesPage(db: Database, organizationId: string, page: PageRequest) {
  return db
    .select()
    .from(notes)
    .where(eq(notes.organizationId, organizationId))
    .orderBy(desc(notes.createdAt), notes.id)
    .limit(page.limit + 1)
    .offset(page.offset);
}

export function findNote(db: Database, organizationId: string, noteId: string) {
  return db
    .select()
    .from(notes)
    .where(and(eq(notes.organizationId, organizationId), eq(notes.id, noteId)))
    .get();
}

/** The billing period the note's max_notes unit was counted in, as a subquery for a batch (SEC-60). */
export function selectNoteQuotaPeriod(db: Database, organizationId: string, noteId: string) {
  return db
    .select({ periodStart: notes.quotaPeriodStart })
    .from(notes)
    .where(and(eq(notes.organizationId, organizationId), eq(notes.id, noteId)));
}

/**
 * Inserts the note only if the statement just before it in the same batch changed a row (the
 * quota take: SQLite's changes() reports that statement's count). drizzle's insert-select needs
 * every column, in table order.
 */
export function buildNoteInsertIfChanged(db: Database, row: NoteRow) {
  const values = db
    .select({
      id: sql<string>`${row.id}`.as("id"),
      organizationId: sql<string>`${row.organizationId}`.as("organization_id"),
      createdByUserId: sql<string | null>`${row.createdByUserId}`.as("created_by_user_id"),
      title: sql<string>`${row.title}`.as("title"),
      content: sql<string>`${row.content}`.as("content"),
      quotaPeriodStart: sql<number | null>`${row.quotaPeriodStart}`.as("quota_period_start"),
      createdAt: sql<number>`${row.createdAt}`.as("created_at"),
      updatedAt: sql<number>`${row.updatedAt}`.as("updated_at"),
    })
    .from(sql`(SELECT 1)`)
    .where(sql`changes() > 0`);
  return db.insert(notes).select(values);
}

export function buildNoteUpdate(
  db: Database,
  organizationId: string,
  noteId: string,
  changes: { title: string; content: string; updatedAt: number },
) {
  return db
    .update(notes)
    .set(changes)
    .where(and(eq(notes.organizationId, organizationId), eq(notes.id, noteId)))
    .returning();
}

export function buildNoteDeletion(db: Database, organizationId: string, noteId: string) {
  return db
    .delete(notes)
    .where(and(eq(notes.organizationId, organizationId), eq(notes.id, noteId)))
    .returning({ id: notes.id });
}
