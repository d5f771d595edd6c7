// The user as the API shows it (snake_case, FastSvelte's wire format).
import { z } from "@hono/zod-openapi";
import { ROLES } from "../../lib/roles";
import { toISOString } from "../../lib/time";
import type { UserProfile } from "../../platform/user-profile";

export const NameSchema = z.string().trim().min(1).max(100).nullable();

export const UserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    /** The effective role: sys_admin for platform admins, otherwise the role in the active organization. */
    role: z.enum(ROLES),
    /** The session's active organization. */
    organization_id: z.string(),
    organizations_count: z.number().int(),
    email_verified: z.boolean(),
    has_password: z.boolean(),
    created_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("User");

export type UserResponse = z.infer<typeof UserSchema>;

export function toUserResponse(user: UserProfile): UserResponse {
  return {
    id: user.id,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    role: user.role,
    organization_id: user.organizationId,
    organizations_count: user.organizationsCount,
    email_verified: user.emailVerified,
    has_password: user.hasPassword,
    created_at: toISOString(user.createdAt),
  };
}

export const UpdateMeSchema = z
  .strictObject({ first_name: NameSchema.optional(), last_name: NameSchema.optional() })
  .openapi("UpdateMe");
