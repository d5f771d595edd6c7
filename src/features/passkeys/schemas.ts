// Request and response schemas of /auth/passkeys. The WebAuthn objects follow the JSON forms of
// WebAuthn Level 3 (§5.1.8, §5.1.10) that @simplewebauthn/browser sends and receives.
import { z } from "@hono/zod-openapi";
import { toISOString } from "../../lib/time";
import { FreshProofCodeSchema } from "../../platform/schemas";
import { PasswordAttemptSchema } from "../auth/schemas";
import type { PasskeyRow } from "./service";

/** Base64url without padding, bounded: authenticator data and attestations are small. */
function base64URL(maxLength: number) {
  return z
    .string()
    .max(maxLength)
    .regex(/^[A-Za-z0-9_-]*$/, "Expected base64url without padding.");
}

const CredentialIdSchema = base64URL(1366).min(1); // 1023 bytes at most (WebAuthn §4, "Credential ID")
const ClientExtensionResultsSchema = z.record(z.string(), z.unknown()).openapi({ type: "object" });
const AttachmentSchema = z.enum(["platform", "cross-platform"]).optional();

const RegistrationResponseSchema = z
  .object({
    id: CredentialIdSchema,
    rawId: CredentialIdSchema,
    type: z.literal("public-key"),
    response: z.object({
      clientDataJSON: base64URL(4096),
      attestationObject: base64URL(16384),
      authenticatorData: base64URL(4096).optional(),
      transports: z.array(z.string().max(32)).max(10).optional(),
      publicKeyAlgorithm: z.number().int().optional(),
      publicKey: base64URL(4096).optional(),
    }),
    authenticatorAttachment: AttachmentSchema,
    clientExtensionResults: ClientExtensionResultsSchema,
  })
  .openapi("PasskeyRegistrationResponse", {
    description:
      "What navigator.credentials.create() returned, as @simplewebauthn/browser's startRegistration() gives it.",
  });

const AuthenticationResponseSchema = z
  .object({
    id: CredentialIdSchema,
    rawId: CredentialIdSchema,
    type: z.literal("public-key"),
    response: z.object({
      clientDataJSON: base64URL(4096),
      authenticatorData: base64URL(4096),
      signature: base64URL(1024),
      userHandle: base64URL(128).optional(),
    }),
    authenticatorAttachment: AttachmentSchema,
    clientExtensionResults: ClientExtensionResultsSchema,
  })
  .openapi("PasskeyAuthenticationResponse", {
    description:
      "What navigator.credentials.get() returned, as @simplewebauthn/browser's startAuthentication() gives it.",
  });

const PasskeyNameSchema = z.string().trim().min(1).max(64).openapi({ example: "MacBook Touch ID" });

export const RegisterPasskeySchema = z
  .strictObject({ name: PasskeyNameSchema, response: RegistrationResponseSchema })
  .openapi("RegisterPasskey");

export const RenamePasskeySchema = z.strictObject({ name: PasskeyNameSchema }).openapi("RenamePasskey");

/** Optional: within 10 minutes of signing in, no body is needed (SEC-69). */
export const DeletePasskeySchema = z
  .strictObject({ current_password: PasswordAttemptSchema.optional(), code: FreshProofCodeSchema.optional() })
  .openapi("DeletePasskey");

export const PasskeySignInSchema = z.strictObject({ response: AuthenticationResponseSchema }).openapi("PasskeySignIn");

export const PasskeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    created_at: z.string().openapi({ format: "date-time" }),
    last_used_at: z.string().nullable().openapi({ format: "date-time" }),
  })
  .openapi("Passkey");

export const PasskeyListSchema = z.object({ passkeys: z.array(PasskeySchema) }).openapi("PasskeyList");

export const PasskeyIdParamSchema = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});

/** The options are passed as they are to @simplewebauthn/browser; only the challenge is ours to explain. */
export const CreationOptionsSchema = z
  .looseObject({
    challenge: z.string().openapi({ description: "Single use, valid 5 minutes." }),
    rp: z.object({ id: z.string().optional(), name: z.string() }),
    user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  })
  .openapi("PublicKeyCredentialCreationOptionsJSON");

export const RequestOptionsSchema = z
  .looseObject({
    challenge: z.string().openapi({ description: "Single use, valid 5 minutes." }),
    rpId: z.string().optional(),
    allowCredentials: z.array(z.looseObject({ id: z.string(), type: z.string() })).optional(),
  })
  .openapi("PublicKeyCredentialRequestOptionsJSON");

export function toPasskeyResponse(row: PasskeyRow): z.infer<typeof PasskeySchema> {
  return {
    id: row.id,
    name: row.name,
    created_at: toISOString(row.createdAt),
    last_used_at: row.lastUsedAt === null ? null : toISOString(row.lastUsedAt),
  };
}
