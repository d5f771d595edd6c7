// Request and response schemas every feature shares: the id path parameter and paginated lists.
import { z } from "@hono/zod-openapi";
import { DEFAULT_PAGE_SIZE, MAX_OFFSET, MAX_PAGE_SIZE } from "../lib/pagination";

export const PageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  offset: z.coerce.number().int().min(0).max(MAX_OFFSET).default(0),
});

export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({ items: z.array(item), limit: z.number().int(), offset: z.number().int(), has_more: z.boolean() })
    .openapi(name);
}

/** The `{id}` path parameter of every single-resource route. */
export const IdParamSchema = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});

/**
 * The second-factor part of a fresh proof (platform/fresh-proof.ts), sent with current_password.
 * Loose on purpose: the factor's own check (e.g. TOTP, 6 digits) decides what a valid code is.
 */
export const FreshProofCodeSchema = z.string().min(1).max(64).openapi({
  description: "With current_password, when the account has a second factor: a code from it.",
});
