// Note rules: org-scoped CRUD whose create and delete go through the max_notes quota hook.
import { AppError } from "../../errors";
import type { PageRequest } from "../../lib/pagination";
import type { ServiceContext } from "../../platform/service-context";
import type { Actor } from "../../platform/actor";
import { buildAuditInsertIfChanged, describeKeyActor, logAuditEvent, type AuditEvent } from "../audit/service";
import {
  buildNoteDeletion,
  buildNoteInsertIfChanged,
  buildNoteUpdate,
  findNote,
  listNotesPage,
  selectNoteQuotaPeriod,
  type NoteRow,
} from "./repo";

export type { NoteRow };

const NOT_FOUND_MESSAGE = "No such note in your organization.";

export function listNotes(ctx: ServiceContext, actor: Actor, page: PageRequest) {
  return listNotesPage(ctx.db, actor.organizationId, page);
}

export async function getNote(ctx: ServiceContext, actor: Actor, noteId: string): Promise<NoteRow> {
  const note = await findNote(ctx.db, actor.organizationId, noteId);
  // Another organization's note is indistinguishable from a missing one (SEC-36).
  if (!note) throw new AppError("NOT_FOUND", NOT_FOUND_MESSAGE);
  return note;
}

/**
 * One unit of max_notes, the note and its audit row in one batch (one transaction): the quota's
 * conditional upsert first, the insert only if it took the unit, the audit row only if the insert
 * happened. A refusal or a failed insert leaves nothing behind, so there is no unit to give back,
 * and the route pays two round trips to the primary (the plan read, then this batch).
 */
export async function createNote(
  ctx: ServiceContext,
  actor: Actor,
  input: { title: string; content: string },
): Promise<NoteRow> {
  const take = await ctx.quota.prepareTake(actor.organizationId, "max_notes", 1);
  const now = Date.now();
  const note: NoteRow = {
    id: crypto.randomUUID(),
    organizationId: actor.organizationId,
    createdByUserId: actor.userId,
    title: input.title,
    content: input.content,
    // The period the unit was taken from, so a deletion gives it back there (SEC-60).
    quotaPeriodStart: take.periodStart,
    createdAt: now,
    updatedAt: now,
  };
  const event: AuditEvent = {
    action: "note_created",
    organizationId: actor.organizationId,
    actorUserId: actor.userId,
    target: note.id,
    ip: ctx.ip,
    details: describeKeyActor(actor),
  };
  const [taken] = await ctx.db.batch([
    take.statement,
    buildNoteInsertIfChanged(ctx.db, note),
    buildAuditInsertIfChanged(ctx, event),
  ]);
  if ((taken as unknown[]).length === 0) {
    const { limit, used } = await take.readRefusal();
    throw new AppError("QUOTA_EXCEEDED", "Your plan's note limit is reached.", {
      feature: "max_notes",
      limit,
      used,
    });
  }
  logAuditEvent(event);
  return note;
}

export async function updateNote(
  ctx: ServiceContext,
  actor: Actor,
  noteId: string,
  input: { title: string; content: string },
): Promise<NoteRow> {
  const event: AuditEvent = {
    action: "note_updated",
    organizationId: actor.organizationId,
    actorUserId: actor.userId,
    target: noteId,
    ip: ctx.ip,
    details: describeKeyActor(actor),
  };
  const [updated] = await ctx.db.batch([
    buildNoteUpdate(ctx.db, actor.organizationId, noteId, { ...input, updatedAt: Date.now() }),
    buildAuditInsertIfChanged(ctx, event),
  ]);
  const note = updated[0];
  if (!note) throw new AppError("NOT_FOUND", NOT_FOUND_MESSAGE);
  logAuditEvent(event);
  return note;
}

/**
 * Deletes the note and gives its max_notes unit back to the period it was counted in (SEC-60), in
 * one transaction: the release reads the note's period before the delete removes it, so a note
 * deleted twice at once (or already gone) gives nothing back twice.
 */
export async function deleteNote(ctx: ServiceContext, actor: Actor, noteId: string): Promise<void> {
  const event: AuditEvent = {
    action: "note_deleted",
    organizationId: actor.organizationId,
    actorUserId: actor.userId,
    target: noteId,
    ip: ctx.ip,
    details: describeKeyActor(actor),
  };
  const period = selectNoteQuotaPeriod(ctx.db, actor.organizationId, noteId);
  const [, deleted] = await ctx.db.batch([
    ctx.quota.buildRelease(actor.organizationId, "max_notes", period, 1),
    buildNoteDeletion(ctx.db, actor.organizationId, noteId),
    buildAuditInsertIfChanged(ctx, event),
  ]);
  if (deleted.length === 0) throw new AppError("NOT_FOUND", NOT_FOUND_MESSAGE);
  logAuditEvent(event);
}
