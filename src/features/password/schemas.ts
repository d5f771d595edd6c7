// Request schemas of /password.
import { z } from "@hono/zod-openapi";
import { FreshProofCodeSchema } from "../../platform/schemas";
import { NewPasswordSchema, PasswordAttemptSchema, TokenSchema } from "../auth/schemas";

export const ResetPasswordSchema = z
  .strictObject({ token: TokenSchema, new_password: NewPasswordSchema })
  .openapi("ResetPassword");

export const UpdatePasswordSchema = z
  .strictObject({
    current_password: PasswordAttemptSchema,
    new_password: NewPasswordSchema,
    code: FreshProofCodeSchema.optional(),
  })
  .openapi("UpdatePassword");
