// HTTP for /invitations: create, list, revoke (org_admin) and accept (public, with the token).
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { PUBLIC, minRole, readCurrentSession, requireCurrentSession } from "../../middleware/access";
import { RATE_LIMITS } from "../../platform/rate-limit";
import { writeSessionCookie } from "../../middleware/session-cookie";
import { serviceContextFrom } from "../../platform/service-context";
import { jsonBody, jsonResponse, noContent, requireActor } from "../../platform/route-helpers";
import { UserSchema, toUserResponse } from "../users/schemas";
import {
  AcceptInvitationSchema,
  CreateInvitationSchema,
  InvitationListSchema,
  InvitationSchema,
  toInvitationResponse,
} from "./schemas";
import { acceptInvitation, createInvitation, listInvitations, revokeInvitation } from "./invitations-service";
import { IdParamSchema } from "../../platform/schemas";

const create = defineRoute(
  {
    access: minRole("org_admin"),
    rateLimit: RATE_LIMITS.createInvitation,
    errors: {
      FORBIDDEN: "a role above your own",
      VALIDATION_ERROR: "role must be readonly, member or org_admin",
      RATE_LIMITED:
        "also over 100 invitations a day for the organization, or 3 an hour for the recipient address; see Retry-After",
    },
  },
  {
    method: "post",
    path: "/",
    tags: ["Invitations"],
    summary: "Invite an email into the caller's organization; emails a single-use 7-day link",
    description: [
      "A new invitation to the same email revokes the earlier pending ones.",
      "The answer is the same whether or not the address already has an account (an existing account is handled when the invitation is accepted).",
      "Limited per client IP (30 an hour), per organization (100 a day) and per recipient address (3 an hour); re-inviting counts too.",
    ].join(" "),
    request: { body: jsonBody(CreateInvitationSchema) },
    responses: { 201: jsonResponse(InvitationSchema, "Invited") },
  },
);

const list = defineRoute(
  { access: minRole("org_admin") },
  {
    method: "get",
    path: "/",
    tags: ["Invitations"],
    summary: "Pending invitations of the caller's organization",
    responses: { 200: jsonResponse(InvitationListSchema, "Pending invitations, newest first") },
  },
);

const revoke = defineRoute(
  { access: minRole("org_admin"), errors: { NOT_FOUND: "no such pending invitation in your organization" } },
  {
    method: "delete",
    path: "/{id}",
    tags: ["Invitations"],
    summary: "Revoke a pending invitation",
    request: { params: IdParamSchema },
    responses: { 204: noContent("Revoked") },
  },
);

const accept = defineRoute(
  {
    access: PUBLIC,
    rateLimit: RATE_LIMITS.acceptInvitation,
    errors: {
      INVALID_TOKEN: "unknown, used, revoked or expired invitation (all look the same)",
      CONFLICT:
        "the invited email already has an account and the caller is not signed in as it; the invitation stays pending",
      VALIDATION_ERROR: "no password, when the invited email has no account yet",
    },
  },
  {
    method: "post",
    path: "/accept",
    tags: ["Invitations"],
    summary: "Accept an invitation: creates the account and signs in, or adds a signed-in account",
    description:
      "Invited email without an account: `{token, password, first_name?, last_name?}` creates it in the inviting organization with the invited role (its email counts as verified) and sets a fresh session cookie (201). Invited email with an account: sign in as it, then `{token}` adds the membership and makes it the session's active organization (200).",
    request: { body: jsonBody(AcceptInvitationSchema) },
    responses: {
      201: jsonResponse(UserSchema, "Account created and signed in"),
      200: jsonResponse(UserSchema, "Joined; the user as seen in the organization joined"),
    },
  },
);

export const invitationRoutes = createRouter()
  .openapi(create, async (c) => {
    const row = await createInvitation(serviceContextFrom(c), requireActor(c), c.req.valid("json"));
    return c.json(toInvitationResponse(row), 201);
  })
  .openapi(list, async (c) => {
    const rows = await listInvitations(serviceContextFrom(c), requireActor(c));
    return c.json({ invitations: rows.map(toInvitationResponse) }, 200);
  })
  .openapi(revoke, async (c) => {
    await revokeInvitation(serviceContextFrom(c), requireActor(c), c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(accept, async (c) => {
    c.header("Referrer-Policy", "no-referrer");
    const body = c.req.valid("json");
    const current = await readCurrentSession(c);
    const accepted = await acceptInvitation(serviceContextFrom(c), {
      token: body.token,
      password: body.password,
      firstName: body.first_name ?? null,
      lastName: body.last_name ?? null,
      signedIn: current ? { userId: current.user.id, sessionId: current.session.id } : null,
    });
    if (accepted.kind === "joined") return c.json(toUserResponse((await requireCurrentSession(c)).user), 200);
    writeSessionCookie(c, accepted.session.token);
    return c.json(toUserResponse(accepted.user), 201);
  });
