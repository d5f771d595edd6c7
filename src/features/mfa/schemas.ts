// Request and response schemas of /auth/mfa; they validate requests and feed /openapi.json.
import { z } from "@hono/zod-openapi";
import { PasswordAttemptSchema } from "../auth/schemas";

/** Six digits; a code's shape is checked here, its value by the service. */
const TotpCodeSchema = z
  .string()
  .regex(/^\d{6}$/, "six digits")
  .openapi({ example: "123456", description: "The 6-digit code the authenticator app shows." });

/** As printed (`xxxx-xxxx-xxxx-xxxx`); case, dashes and spaces do not matter. */
const RecoveryCodeSchema = z
  .string()
  .min(1)
  .max(64)
  .openapi({ example: "7k2m-9q4t-hx3p-w8zc", description: "One of the recovery codes, as printed." });

export const MfaStatusSchema = z
  .object({
    totp: z.boolean(),
    passkeys: z.number().int().nonnegative(),
    recovery_codes_left: z.number().int().nonnegative(),
  })
  .openapi("MfaStatus");

/** The fresh proof (SEC-69): optional, as a sign-in within 10 minutes stands in for it. */
export const FreshProofSchema = z.strictObject({
  current_password: PasswordAttemptSchema.optional().openapi({
    description: "The current password; optional within 10 minutes of signing in.",
  }),
  code: TotpCodeSchema.optional().openapi({ description: "With current_password, when TOTP is enabled." }),
});

export const TotpSetupSchema = z
  .object({
    secret: z.string().openapi({ description: "Base32, for typing into an authenticator app." }),
    otpauth_url: z.string().openapi({ description: "The otpauth:// URI for a QR code." }),
  })
  .openapi("TotpSetup");

export const TotpConfirmSchema = z.strictObject({ code: TotpCodeSchema });

export const RecoveryCodesSchema = z
  .object({
    recovery_codes: z.array(z.string()).openapi({ description: "Shown once; each works once." }),
  })
  .openapi("RecoveryCodes");

/**
 * A TOTP code or a recovery code. One closed object rather than a union, so the OpenAPI body stays
 * a closed object (SEC-47); with both, the TOTP code is the one checked.
 */
export const MfaVerifySchema = z
  .strictObject({
    code: TotpCodeSchema.optional(),
    recovery_code: RecoveryCodeSchema.optional(),
  })
  .refine((body) => body.code !== undefined || body.recovery_code !== undefined, {
    message: "Send code (from the authenticator app) or recovery_code.",
  });

export const MfaChallengeSchema = z
  .object({
    mfa_required: z.literal(true),
    methods: z.array(z.enum(["totp", "passkey", "recovery_code"])),
  })
  .openapi("MfaChallenge");
