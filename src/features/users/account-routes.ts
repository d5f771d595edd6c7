// HTTP for the account lifecycle: email change, export, deletion (API.md "Account lifecycle").
import type { Context, TypedResponse } from "hono";
import { minRole, PUBLIC } from "../../middleware/access";
import type { AppEnv } from "../../env";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { RATE_LIMITS } from "../../platform/rate-limit";
import { jsonBody, jsonResponse, noContent, requireSessionContext } from "../../platform/route-helpers";
import { serviceContextFrom } from "../../platform/service-context";
import { MessageSchema, TokenBodySchema } from "../auth/schemas";
import { AccountDeletionSchema, AccountExportSchema, EmailChangeSchema } from "./account-schemas";
import { deleteAccount } from "./deletion-service";
import { confirmEmailChange, requestEmailChange } from "./email-change-service";
import { streamAccountExport } from "./export-service";

const FRESH_PROOF_ERRORS = {
  REAUTH_REQUIRED: "no current_password and no sign-in within 10 minutes on this session",
  VALIDATION_ERROR: "field current_password (or code) when it is wrong",
} as const;

const requestChange = defineRoute(
  { access: minRole("readonly"), rateLimit: RATE_LIMITS.emailChange, errors: FRESH_PROOF_ERRORS },
  {
    method: "post",
    path: "/me/email",
    tags: ["Users"],
    summary: "Ask to change the email address (fresh proof); a link goes to the new address",
    description:
      "Needs a fresh proof (SEC-69). Emails a confirmation link (1 h, single use) to new_email and a notice to the current address; nothing changes until the link is used. An address that already has an account gets no link, with the same 202.",
    request: { body: jsonBody(EmailChangeSchema) },
    responses: { 202: jsonResponse(MessageSchema, "Accepted: the link is on its way") },
  },
);

const confirmChange = defineRoute(
  {
    access: PUBLIC,
    rateLimit: RATE_LIMITS.confirmEmailChange,
    errors: {
      INVALID_TOKEN: "unknown, used or expired token",
      CONFLICT: "the address was taken by another account meanwhile",
    },
  },
  {
    method: "post",
    path: "/me/email/confirm",
    tags: ["Users"],
    summary: "Confirm an email change with the emailed token; signs out every session",
    description:
      "Single use, 1 hour (SEC-78). The account moves to the address the link was sent to, every session is revoked and the old address is told. 409 CONFLICT, with nothing changed, when that address got an account meanwhile.",
    request: { body: jsonBody(TokenBodySchema) },
    responses: { 200: jsonResponse(MessageSchema, "Email changed; sign in again") },
  },
);

const exportAccount = defineRoute(
  { access: minRole("readonly"), rateLimit: RATE_LIMITS.accountExport },
  {
    method: "get",
    path: "/me/export",
    tags: ["Users"],
    summary: "Everything stored about the caller, as one JSON document (streamed)",
    description:
      "Profile, memberships, OAuth links, sessions, settings, notes written, AI usage and audit events about the caller; never a password hash, token hash, key or secret (SEC-79). Written page by page (chunked): a failure mid-way ends the body early, leaving invalid JSON.",
    responses: {
      200: {
        description: "The export, streamed (Transfer-Encoding: chunked)",
        content: { "application/json": { schema: AccountExportSchema } },
      },
    },
  },
);

const deleteMe = defineRoute(
  {
    access: minRole("readonly"),
    rateLimit: RATE_LIMITS.accountDeletion,
    errors: {
      ...FRESH_PROOF_ERRORS,
      CONFLICT: "the caller is the last org_admin of an organization with other members",
      UPSTREAM_UNAVAILABLE:
        "Stripe failed while cancelling an emptied organization's subscription; nothing was deleted",
    },
  },
  {
    method: "delete",
    path: "/me",
    tags: ["Users"],
    summary: "Delete the caller's account (fresh proof)",
    description:
      "Needs a fresh proof (SEC-69). Organizations left without members are deleted with their data and their Stripe subscription cancelled; the personal data is erased in one batch and audit rows keep only ids (SEC-79). The address can sign up again.",
    request: { body: jsonBody(AccountDeletionSchema) },
    responses: { 204: noContent("Deleted; the session cookie no longer works") },
  },
);

/** The stream as the route's declared JSON response (Hono types JSON as a value it holds). */
function streamedJSON<T>(c: Context<AppEnv>, body: ReadableStream<Uint8Array>): TypedResponse<T, 200, "json"> {
  const response = c.body(body, 200, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Disposition": 'attachment; filename="account-export.json"',
    // The export is personal data: no shared cache may keep it.
    "Cache-Control": "no-store",
  });
  return response as unknown as TypedResponse<T, 200, "json">;
}

export const accountRoutes = createRouter()
  .openapi(requestChange, async (c) => {
    const { session, user } = requireSessionContext(c);
    const body = c.req.valid("json");
    await requestEmailChange(serviceContextFrom(c), {
      userId: user.id,
      organizationId: user.organizationId,
      authenticatedAt: session.authenticatedAt,
      newEmail: body.new_email,
      proof: { currentPassword: body.current_password, code: body.code },
    });
    return c.json({ message: "Check the new address for a confirmation link." }, 202);
  })
  .openapi(confirmChange, async (c) => {
    c.header("Referrer-Policy", "no-referrer");
    await confirmEmailChange(serviceContextFrom(c), c.req.valid("json").token);
    return c.json({ message: "Your email address was changed. Sign in with the new one." }, 200);
  })
  .openapi(exportAccount, (c) =>
    streamedJSON(c, streamAccountExport(serviceContextFrom(c), requireSessionContext(c).user.id)),
  )
  .openapi(deleteMe, async (c) => {
    const { session, user } = requireSessionContext(c);
    const body = c.req.valid("json");
    await deleteAccount(serviceContextFrom(c), {
      userId: user.id,
      authenticatedAt: session.authenticatedAt,
      proof: { currentPassword: body.current_password, code: body.code },
    });
    return c.body(null, 204);
  });
