// Note rows. Every function takes the organization id and filters by (organization_id, id).
import { and, desc, eq } from "drizzle-orm";
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

export function buildNoteInsert(db: Database, row: NoteRow) {
  return db.insert(notes).values(row);
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
