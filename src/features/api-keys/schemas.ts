// Request and response schemas of /api-keys.
import { z } from "@hono/zod-openapi";
import { API_KEY_ROLES, API_KEY_SCOPES } from "../../lib/api-key-scopes";
import { FreshProofCodeSchema } from "../../platform/schemas";
import { PasswordAttemptSchema } from "../auth/schemas";

const NAME_MAX = 100;
/** An exact limit per key; above this a key is a bulk pipe, better split or agreed with the operator. */
const RATE_LIMIT_MAX = 6000;

const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ example: "rk_AbC123xY" }),
    role: z.enum(API_KEY_ROLES),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    rate_limit_per_minute: z.number().int(),
    ai_token_limit: z.number().int().nullable().openapi({
      description:
        "AI tokens this key may use per billing period, on top of the organization's caps; null: no cap of its own",
    }),
    created_by: z.string(),
    created_at: z.string().openapi({ format: "date-time" }),
    last_used_at: z.string().nullable().openapi({ format: "date-time" }),
    expires_at: z.string().nullable().openapi({ format: "date-time" }),
  })
  .openapi("ApiKey");

export const ApiKeyListSchema = z.object({ keys: z.array(ApiKeySchema) }).openapi("ApiKeyList");

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: "The secret: shown in this response only, stored as its SHA-256." }),
}).openapi("CreatedApiKey");

export const ApiKeyInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(NAME_MAX),
    role: z.enum(API_KEY_ROLES),
    // Deny by default: a key holds exactly the scopes listed, at least one, each once.
    scopes: z
      .array(z.enum(API_KEY_SCOPES))
      .min(1)
      .max(API_KEY_SCOPES.length)
      .refine((scopes) => new Set(scopes).size === scopes.length, "each scope at most once"),
    expires_at: z.iso.datetime({ offset: true }).optional(),
    rate_limit_per_minute: z.number().int().min(1).max(RATE_LIMIT_MAX).optional(),
    ai_token_limit: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    // The fresh proof (SEC-69): needed unless this session signed in within the last 10 minutes.
    current_password: PasswordAttemptSchema.optional(),
    code: FreshProofCodeSchema.optional(),
  })
  .openapi("ApiKeyInput");
