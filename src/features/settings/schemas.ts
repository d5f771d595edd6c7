// Settings as the API shows them (snake_case), and the one body PUT takes.
import { z } from "@hono/zod-openapi";
import { toISOString } from "../../lib/time";
import type { SettingView } from "./service";

/**
 * Any string: which keys exist is the declaration's business, so an undeclared key reaches the
 * service and is 404 NOT_FOUND, not a 422 from this schema.
 */
export const SettingKeyParamSchema = z.object({
  key: z.string().openapi({ param: { name: "key", in: "path" }, example: "overage_enabled" }),
});

/** Only `value`; its type is the key's, checked by the service once the key is known. */
export const PutSettingSchema = z
  .strictObject({
    value: z.unknown().openapi({ description: "A value of the key's declared type" }),
  })
  .openapi("PutSetting");

export const SettingSchema = z
  .object({
    key: z.string(),
    value: z.unknown().openapi({ description: "The value in effect: the stored one, or the default" }),
    default: z.unknown(),
    description: z.string(),
    updated_at: z.string().nullable().openapi({ format: "date-time", description: "null while the default applies" }),
  })
  .openapi("Setting");

export type SettingResponse = z.infer<typeof SettingSchema>;

export function toSettingResponse(view: SettingView): SettingResponse {
  return {
    key: view.key,
    value: view.value,
    default: view.default,
    description: view.description,
    updated_at: view.updatedAt === null ? null : toISOString(view.updatedAt),
  };
}
