// Request and response schemas of the copilot routes.
import { z } from "@hono/zod-openapi";
import { COPILOT_TONES } from "./copilot-service";

export const CopilotInputSchema = z
  .strictObject({
    tone: z.enum(COPILOT_TONES).optional().openapi({ description: "Tone of the answer; neutral when omitted" }),
  })
  .openapi("CopilotInput");

export const CopilotStreamSchema = z.string().openapi({
  description: "UTF-8 text, streamed in chunks as the model writes it",
  example: "A clearer version of the note…",
});
