// Request and response schemas of /organization, /invitations and /admin/organizations.
import { z } from "@hono/zod-openapi";
import { EmailSchema, NewPasswordSchema, TokenSchema } from "../auth/schemas";
import { NameSchema } from "../users/schemas";
import { pageSchema } from "../../platform/schemas";
import { toISOString } from "../../lib/time";

export type { AssignableRole } from "../../lib/roles";
import { ASSIGNABLE_ROLES, type AssignableRole } from "../../lib/roles";

const Timestamp = z.string().openapi({ format: "date-time" });

export const OrganizationSchema = z
  .object({ id: z.string(), name: z.string(), created_at: Timestamp, member_count: z.number().int() })
  .openapi("Organization");

export const MemberSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    role: z.enum(["readonly", "member", "org_admin", "sys_admin"]),
    email_verified: z.boolean(),
    suspended: z.boolean(),
    created_at: Timestamp,
  })
  .openapi("Member");

export interface MemberRow {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  role: z.infer<typeof MemberSchema>["role"];
  emailVerifiedAt: number | null;
  suspendedAt: number | null;
  createdAt: number;
}

export function toMemberResponse(row: MemberRow): z.infer<typeof MemberSchema> {
  return {
    id: row.id,
    email: row.email,
    first_name: row.firstName,
    last_name: row.lastName,
    role: row.role,
    email_verified: row.emailVerifiedAt !== null,
    suspended: row.suspendedAt !== null,
    created_at: toISOString(row.createdAt),
  };
}

export const MemberListSchema = z.object({ members: z.array(MemberSchema) }).openapi("MemberList");

export const ChangeRoleSchema = z.strictObject({ role: z.enum(ASSIGNABLE_ROLES) }).openapi("ChangeRole");

export const InvitationSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    role: z.enum(ASSIGNABLE_ROLES),
    invited_by_user_id: z.string().nullable(),
    created_at: Timestamp,
    expires_at: Timestamp,
  })
  .openapi("Invitation");

export const InvitationListSchema = z.object({ invitations: z.array(InvitationSchema) }).openapi("InvitationList");

export const CreateInvitationSchema = z
  .strictObject({ email: EmailSchema, role: z.enum(ASSIGNABLE_ROLES) })
  .openapi("CreateInvitation");

export const AcceptInvitationSchema = z
  .strictObject({
    token: TokenSchema,
    /** Required to create the account; left out when the invited email already has one (signed in). */
    password: NewPasswordSchema.optional(),
    first_name: NameSchema.optional(),
    last_name: NameSchema.optional(),
  })
  .openapi("AcceptInvitation");

const AdminOrganizationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    created_at: Timestamp,
    suspended: z.boolean(),
    member_count: z.number().int(),
  })
  .openapi("AdminOrganization");

export const AdminOrganizationPageSchema = pageSchema(AdminOrganizationSchema, "AdminOrganizationPage");

export const CreateOrganizationSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    admin_email: EmailSchema,
    admin_full_name: z.string().trim().min(1).max(200).optional(),
  })
  .openapi("CreateOrganization");

export const CreatedOrganizationSchema = z
  .object({ organization: AdminOrganizationSchema, invitation: InvitationSchema })
  .openapi("CreatedOrganization");

export function toInvitationResponse(row: {
  id: string;
  email: string;
  role: AssignableRole;
  invitedByUserId: string | null;
  createdAt: number;
  expiresAt: number;
}) {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    invited_by_user_id: row.invitedByUserId,
    created_at: toISOString(row.createdAt),
    expires_at: toISOString(row.expiresAt),
  };
}

export const MembershipSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(ASSIGNABLE_ROLES),
    suspended: z.boolean(),
    /** The session's active organization. */
    active: z.boolean(),
  })
  .openapi("Membership");

export const MembershipListSchema = z.array(MembershipSchema).openapi("MembershipList");

export function toMembershipResponse(row: {
  organizationId: string;
  name: string;
  role: AssignableRole;
  suspended: boolean;
  active: boolean;
}): z.infer<typeof MembershipSchema> {
  return { id: row.organizationId, name: row.name, role: row.role, suspended: row.suspended, active: row.active };
}

export const CreateMyOrganizationSchema = z
  .strictObject({ name: z.string().trim().min(1).max(100) })
  .openapi("CreateMyOrganization");

export const SwitchOrganizationSchema = z
  .strictObject({ organization_id: z.string().min(1).max(64) })
  .openapi("SwitchOrganization");
