// Request and response schemas of /auth; they validate requests and feed /openapi.json.
import { z } from "@hono/zod-openapi";
import { EMAIL_MAX_LENGTH } from "../../lib/email-address";
import {
  PASSWORD_MAX_CODE_POINTS,
  PASSWORD_MIN_CODE_POINTS,
  PASSWORD_POLICY_MESSAGES,
  checkPasswordPolicy,
} from "../../lib/password-policy";
import { NameSchema } from "../users/schemas";

/** Trimmed and lowercased before validation (SEC-32); +tags are kept. */
export const EmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(EMAIL_MAX_LENGTH)
  .pipe(z.email())
  .openapi({ type: "string", format: "email", maxLength: EMAIL_MAX_LENGTH, example: "ada@example.com" });

/** A new password: 8 to 64 code points, not a common one (SEC-2, SEC-3). Checked before hashing. */
export const NewPasswordSchema = z
  .string()
  .superRefine((value, ctx) => {
    const violation = checkPasswordPolicy(value);
    if (violation) ctx.addIssue({ code: "custom", message: PASSWORD_POLICY_MESSAGES[violation] });
  })
  .openapi({
    minLength: PASSWORD_MIN_CODE_POINTS,
    maxLength: PASSWORD_MAX_CODE_POINTS,
    example: "correct horse battery",
  });

/** A password being checked, not set: only bounded, so a 1 MB guess never reaches Argon2 (SEC-4). */
export const PasswordAttemptSchema = z.string().max(PASSWORD_MAX_CODE_POINTS * 4);

export const TokenSchema = z.string().max(256).openapi({ description: "The token from the emailed link." });

export const SignupSchema = z
  .strictObject({
    email: EmailSchema,
    password: NewPasswordSchema,
    first_name: NameSchema.optional(),
    last_name: NameSchema.optional(),
  })
  .openapi("Signup");

export const SignupOrgSchema = z
  .strictObject({
    organization_name: z.string().trim().min(1).max(100),
    email: EmailSchema,
    password: NewPasswordSchema,
    first_name: NameSchema.optional(),
    last_name: NameSchema.optional(),
  })
  .openapi("SignupOrg");

export const LoginSchema = z.strictObject({ email: EmailSchema, password: PasswordAttemptSchema }).openapi("Login");

export const TokenBodySchema = z.strictObject({ token: TokenSchema }).openapi("TokenBody");

export const EmailBodySchema = z.strictObject({ email: EmailSchema }).openapi("EmailBody");

export const MessageSchema = z.object({ message: z.string() }).openapi("Message");

const SessionSchema = z
  .object({
    id: z.string(),
    created_at: z.string().openapi({ format: "date-time" }),
    expires_at: z.string().openapi({ format: "date-time" }),
    user_agent: z.string().nullable(),
    current: z.boolean(),
  })
  .openapi("Session");

export const SessionListSchema = z.object({ sessions: z.array(SessionSchema) }).openapi("SessionList");

export const SessionIdParamSchema = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});
