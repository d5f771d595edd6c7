// HTTP for /auth/passkeys: parse, authorize, call the service, respond.
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { PUBLIC, minRole } from "../../middleware/access";
import { RATE_LIMITS } from "../../platform/rate-limit";
import { writeSessionCookie } from "../../middleware/session-cookie";
import { serviceContextFrom } from "../../platform/service-context";
import { jsonBody, jsonResponse, noContent, requireSessionContext } from "../../platform/route-helpers";
import { UserSchema, toUserResponse } from "../users/schemas";
import {
  CreationOptionsSchema,
  DeletePasskeySchema,
  PasskeyIdParamSchema,
  PasskeyListSchema,
  PasskeySchema,
  PasskeySignInSchema,
  RegisterPasskeySchema,
  RenamePasskeySchema,
  RequestOptionsSchema,
  toPasskeyResponse,
} from "./schemas";
import {
  deletePasskey,
  finishPasskeyRegistration,
  listPasskeys,
  renamePasskey,
  startPasskeyRegistration,
} from "./service";
import { completePasskeySignIn, startPasskeySignIn } from "./sign-in-service";
import { clearMfaPendingCookie, readMfaPendingCookie } from "../../middleware/mfa-pending-cookie";
import { writeDeviceCookie } from "../auth/device-cookie";

const TAGS = ["Passkeys"];

const registerOptions = defineRoute(
  { access: minRole("readonly"), rateLimit: RATE_LIMITS.passkeyChallenge },
  {
    method: "post",
    path: "/register/options",
    tags: TAGS,
    summary: "Start registering a passkey: the options for navigator.credentials.create()",
    description:
      "Pass the answer to @simplewebauthn/browser's startRegistration({ optionsJSON }). The challenge is single use and valid 5 minutes; the RP id is WEB_BASE_URL's host. Asks for a discoverable credential with user verification; the caller's passkeys are excluded.",
    responses: { 200: jsonResponse(CreationOptionsSchema, "PublicKeyCredentialCreationOptionsJSON") },
  },
);

const registerVerify = defineRoute(
  {
    access: minRole("readonly"),
    errors: {
      PASSKEY_REGISTRATION_INVALID:
        "the challenge is unknown, used, expired or another user's, or the response fails verification",
      CONFLICT: "the passkey is already registered, or the account holds 10 passkeys",
    },
  },
  {
    method: "post",
    path: "/register/verify",
    tags: TAGS,
    summary: "Finish registering a passkey",
    description: "`response` is what startRegistration() resolved to; `name` is the caller's label for it.",
    request: { body: jsonBody(RegisterPasskeySchema) },
    responses: { 201: jsonResponse(PasskeySchema, "Registered") },
  },
);

const list = defineRoute(
  { access: minRole("readonly") },
  {
    method: "get",
    path: "/",
    tags: TAGS,
    summary: "The caller's passkeys",
    responses: { 200: jsonResponse(PasskeyListSchema, "The caller's passkeys, oldest first") },
  },
);

const rename = defineRoute(
  { access: minRole("readonly"), errors: { NOT_FOUND: "not one of the caller's passkeys" } },
  {
    method: "patch",
    path: "/{id}",
    tags: TAGS,
    summary: "Rename one of the caller's passkeys",
    request: { params: PasskeyIdParamSchema, body: jsonBody(RenamePasskeySchema) },
    responses: { 200: jsonResponse(PasskeySchema, "Renamed") },
  },
);

const remove = defineRoute(
  {
    access: minRole("readonly"),
    errors: {
      NOT_FOUND: "not one of the caller's passkeys",
      REAUTH_REQUIRED: "no current_password and the sign-in is older than 10 minutes (or a code is missing)",
      VALIDATION_ERROR: "field current_password (or code) when it is wrong",
    },
  },
  {
    method: "delete",
    path: "/{id}",
    tags: TAGS,
    summary: "Delete one of the caller's passkeys (fresh proof)",
    description:
      "Needs a fresh proof (SEC-69): a sign-in on this session within 10 minutes, or current_password (plus code when a second factor is on) in an optional JSON body. 404 for an id that is not one of the caller's passkeys.",
    request: {
      params: PasskeyIdParamSchema,
      body: { required: false, content: { "application/json": { schema: DeletePasskeySchema } } },
    },
    responses: { 204: noContent("Deleted") },
  },
);

const loginOptions = defineRoute(
  {
    access: PUBLIC,
    rateLimit: RATE_LIMITS.passkeyChallenge,
    errors: {
      MFA_CHALLENGE_INVALID: "an mfa_pending cookie was sent and its pending sign-in is expired, used or unknown",
    },
  },
  {
    method: "post",
    path: "/login/options",
    tags: TAGS,
    summary: "Start a passkey sign-in: the options for navigator.credentials.get()",
    description:
      "Pass the answer to @simplewebauthn/browser's startAuthentication({ optionsJSON }). Without a pending login, allowCredentials is empty (a discoverable credential names the account) and user verification is required. With the mfa_pending cookie of a password login, they list that user's passkeys. The challenge is single use and valid 5 minutes.",
    responses: { 200: jsonResponse(RequestOptionsSchema, "PublicKeyCredentialRequestOptionsJSON") },
  },
);

const loginVerify = defineRoute(
  {
    access: PUBLIC,
    rateLimit: RATE_LIMITS.login,
    errors: {
      PASSKEY_INVALID:
        "unknown passkey, used or expired challenge, wrong origin or RP id, no user verification, bad signature, or a signature counter that went backwards (the same answer for all)",
      EMAIL_NOT_VERIFIED: "the email address is not verified yet (only after a valid passkey)",
      ACCOUNT_SUSPENDED: "the user is suspended (only after a valid passkey)",
      ORG_SUSPENDED: "the organization is suspended (only after a valid passkey)",
      MFA_CHALLENGE_INVALID: "with an mfa_pending cookie: the pending sign-in is expired, used or out of attempts",
    },
  },
  {
    method: "post",
    path: "/login/verify",
    tags: TAGS,
    summary: "Finish a passkey sign-in; sets the session cookie",
    description:
      "`response` is what startAuthentication() resolved to. A passkey is a full sign-in (possession plus the user verification that unlocked it). With the mfa_pending cookie of a password login it completes that sign-in instead (one of its 5 attempts; only that user's passkeys) and also sets the device cookie. Counted against the same per-IP limit as /auth/login.",
    request: { body: jsonBody(PasskeySignInSchema) },
    responses: { 200: jsonResponse(UserSchema, "Signed in; Set-Cookie carries the session") },
  },
);

export const passkeyRoutes = createRouter()
  .openapi(registerOptions, async (c) => {
    const { user } = requireSessionContext(c);
    return c.json(await startPasskeyRegistration(serviceContextFrom(c), user), 200);
  })
  .openapi(registerVerify, async (c) => {
    const { user } = requireSessionContext(c);
    const { name, response } = c.req.valid("json");
    const row = await finishPasskeyRegistration(serviceContextFrom(c), user, { name, response });
    return c.json(toPasskeyResponse(row), 201);
  })
  .openapi(list, async (c) => {
    const { user } = requireSessionContext(c);
    const rows = await listPasskeys(serviceContextFrom(c), user.id);
    return c.json({ passkeys: rows.map(toPasskeyResponse) }, 200);
  })
  .openapi(rename, async (c) => {
    const { user } = requireSessionContext(c);
    const row = await renamePasskey(serviceContextFrom(c), user.id, c.req.valid("param").id, c.req.valid("json").name);
    return c.json(toPasskeyResponse(row), 200);
  })
  .openapi(remove, async (c) => {
    const { user, session } = requireSessionContext(c);
    const body = c.req.valid("json");
    await deletePasskey(serviceContextFrom(c), {
      userId: user.id,
      organizationId: user.organizationId,
      authenticatedAt: session.authenticatedAt,
      passkeyId: c.req.valid("param").id,
      proof: { currentPassword: body.current_password, code: body.code },
    });
    return c.body(null, 204);
  })
  .openapi(loginOptions, async (c) => {
    return c.json(await startPasskeySignIn(serviceContextFrom(c), readMfaPendingCookie(c)), 200);
  })
  .openapi(loginVerify, async (c) => {
    const pendingToken = readMfaPendingCookie(c);
    const signIn = await completePasskeySignIn(serviceContextFrom(c), pendingToken, c.req.valid("json").response);
    if (pendingToken !== null) clearMfaPendingCookie(c);
    writeSessionCookie(c, signIn.session.token);
    if (signIn.deviceToken) writeDeviceCookie(c, signIn.deviceToken);
    return c.json(toUserResponse(signIn.user), 200);
  });
