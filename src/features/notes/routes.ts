// HTTP for /notes, the sample org-scoped resource.
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { IdParamSchema, PageQuerySchema } from "../../platform/schemas";
import { minRole } from "../../middleware/access";
import { toPage } from "../../lib/pagination";
import { toISOString } from "../../lib/time";
import { serviceContextFrom } from "../../platform/service-context";
import { jsonBody, jsonResponse, noContent, requireActor } from "../../platform/route-helpers";
import { NoteInputSchema, NotePageSchema, NoteSchema } from "./schemas";
import { createNote, deleteNote, getNote, listNotes, updateNote } from "./service";
import type { NoteRow } from "./service";

function toNoteResponse(note: NoteRow) {
  return {
    id: note.id,
    title: note.title,
    content: note.content,
    created_by_user_id: note.createdByUserId,
    created_at: toISOString(note.createdAt),
    updated_at: toISOString(note.updatedAt),
  };
}

const NO_SUCH_NOTE = { NOT_FOUND: "no such note in your organization" } as const;

const list = defineRoute(
  { access: minRole("readonly", { apiKeyScope: "notes:read" }) },
  {
    method: "get",
    path: "/",
    tags: ["Notes"],
    summary: "The caller's organization's notes, newest first",
    request: { query: PageQuerySchema },
    responses: { 200: jsonResponse(NotePageSchema, "A page of notes") },
  },
);

const create = defineRoute(
  {
    access: minRole("member", { apiKeyScope: "notes:write" }),
    errors: { QUOTA_EXCEEDED: "the plan's max_notes is reached" },
  },
  {
    method: "post",
    path: "/",
    tags: ["Notes"],
    summary: "Create a note; meters the max_notes quota",
    request: { body: jsonBody(NoteInputSchema) },
    responses: {
      201: jsonResponse(NoteSchema, "Created"),
    },
  },
);

const read = defineRoute(
  { access: minRole("readonly", { apiKeyScope: "notes:read" }), errors: NO_SUCH_NOTE },
  {
    method: "get",
    path: "/{id}",
    tags: ["Notes"],
    summary: "One note of the caller's organization",
    request: { params: IdParamSchema },
    responses: { 200: jsonResponse(NoteSchema, "The note") },
  },
);

const replace = defineRoute(
  { access: minRole("member", { apiKeyScope: "notes:write" }), errors: NO_SUCH_NOTE },
  {
    method: "put",
    path: "/{id}",
    tags: ["Notes"],
    summary: "Replace a note's title and content",
    request: { params: IdParamSchema, body: jsonBody(NoteInputSchema) },
    responses: { 200: jsonResponse(NoteSchema, "The updated note") },
  },
);

const remove = defineRoute(
  { access: minRole("member", { apiKeyScope: "notes:write" }), errors: NO_SUCH_NOTE },
  {
    method: "delete",
    path: "/{id}",
    tags: ["Notes"],
    summary: "Delete a note; gives its max_notes unit back",
    request: { params: IdParamSchema },
    responses: { 204: noContent("Deleted") },
  },
);

export const noteRoutes = createRouter()
  .openapi(list, async (c) => {
    const page = c.req.valid("query");
    const rows = await listNotes(serviceContextFrom(c), requireActor(c), page);
    return c.json(toPage(rows, page, toNoteResponse), 200);
  })
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    const note = await createNote(serviceContextFrom(c), requireActor(c), {
      title: body.title,
      content: body.content ?? "",
    });
    return c.json(toNoteResponse(note), 201);
  })
  .openapi(read, async (c) => {
    const note = await getNote(serviceContextFrom(c), requireActor(c), c.req.valid("param").id);
    return c.json(toNoteResponse(note), 200);
  })
  .openapi(replace, async (c) => {
    const body = c.req.valid("json");
    const note = await updateNote(serviceContextFrom(c), requireActor(c), c.req.valid("param").id, {
      title: body.title,
      content: body.content ?? "",
    });
    return c.json(toNoteResponse(note), 200);
  })
  .openapi(remove, async (c) => {
    await deleteNote(serviceContextFrom(c), requireActor(c), c.req.valid("param").id);
    return c.body(null, 204);
  });
