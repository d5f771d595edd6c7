// Request and response schemas of /notes.
import { z } from "@hono/zod-openapi";
import { pageSchema } from "../../platform/schemas";

const NOTE_TITLE_MAX = 200;
const NOTE_CONTENT_MAX = 20_000;

export const NoteSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    content: z.string(),
    created_by_user_id: z.string().nullable(),
    created_at: z.string().openapi({ format: "date-time" }),
    updated_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Note");

export const NotePageSchema = pageSchema(NoteSchema, "NotePage");

export const NoteInputSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(NOTE_TITLE_MAX),
    content: z.string().max(NOTE_CONTENT_MAX).optional(),
  })
  .openapi("NoteInput");
