// Request schemas of the account lifecycle routes (email change, deletion).
import { z } from "@hono/zod-openapi";
import { FreshProofCodeSchema } from "../../platform/schemas";
import { EmailSchema, PasswordAttemptSchema } from "../auth/schemas";

const currentPassword = PasswordAttemptSchema.optional().openapi({
  description:
    "The current password: the fresh proof (SEC-69). May be left out within 10 minutes of signing in on this session (the only way for an account without a password).",
});

export const EmailChangeSchema = z
  .strictObject({
    new_email: EmailSchema,
    current_password: currentPassword,
    code: FreshProofCodeSchema.optional(),
  })
  .openapi("EmailChange");

export const AccountDeletionSchema = z
  .strictObject({ current_password: currentPassword, code: FreshProofCodeSchema.optional() })
  .openapi("AccountDeletion");

/** The export is a stream; its shape is documented in docs/account-lifecycle.md. */
export const AccountExportSchema = z
  .object({ format: z.string(), profile: z.object({ id: z.string(), email: z.string() }) })
  .passthrough()
  .openapi("AccountExport");
