// HTTP for /auth/mfa: parse, authorize, call the service, respond.
import { PUBLIC, minRole } from "../../middleware/access";
import { clearMfaPendingCookie, readMfaPendingCookie } from "../../middleware/mfa-pending-cookie";
import { writeSessionCookie } from "../../middleware/session-cookie";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { RATE_LIMITS } from "../../platform/rate-limit";
import { jsonBody, jsonResponse, noContent, requireSessionContext } from "../../platform/route-helpers";
import { serviceContextFrom } from "../../platform/service-context";
import { writeDeviceCookie } from "../auth/device-cookie";
import { UserSchema, toUserResponse } from "../users/schemas";
import {
  FreshProofSchema,
  MfaStatusSchema,
  MfaVerifySchema,
  RecoveryCodesSchema,
  TotpConfirmSchema,
  TotpSetupSchema,
} from "./schemas";
import {
  confirmTotp,
  getMfaStatus,
  regenerateRecoveryCodes,
  removeTotp,
  type SecondFactorChangeProof,
  setUpTotp,
} from "./service";
import { completePendingLogin } from "./verify-service";

const FRESH_PROOF_ERRORS = {
  REAUTH_REQUIRED: "no current_password (with a code when TOTP is on) and no sign-in within 10 minutes",
  VALIDATION_ERROR: "the current password or the code is wrong (details.fields names which)",
} as const;

const status = defineRoute(
  { access: minRole("readonly") },
  {
    method: "get",
    path: "/",
    tags: ["Second factors"],
    summary: "The caller's second factors",
    responses: { 200: jsonResponse(MfaStatusSchema, "Which second factors are enabled") },
  },
);

const totpSetup = defineRoute(
  {
    access: minRole("readonly"),
    rateLimit: RATE_LIMITS.mfaManage,
    errors: { ...FRESH_PROOF_ERRORS, CONFLICT: "TOTP is already enabled" },
  },
  {
    method: "post",
    path: "/totp/setup",
    tags: ["Second factors"],
    summary: "Start TOTP enrolment: a new secret, pending until a first code confirms it",
    description:
      "Needs a fresh proof (SEC-69): current_password, or a sign-in within 10 minutes. Answers the secret in base32 and as an otpauth:// URI (RFC 6238: SHA-1, 6 digits, 30 s). A setup not yet confirmed is replaced by the next one.",
    request: { body: jsonBody(FreshProofSchema) },
    responses: { 200: jsonResponse(TotpSetupSchema, "The secret; shown once") },
  },
);

const totpConfirm = defineRoute(
  {
    access: minRole("readonly"),
    rateLimit: RATE_LIMITS.mfaManage,
    errors: { MFA_CODE_INVALID: "the code does not match the pending secret", CONFLICT: "no pending setup" },
  },
  {
    method: "post",
    path: "/totp/confirm",
    tags: ["Second factors"],
    summary: "Confirm TOTP with a first code; answers 10 recovery codes, shown once",
    request: { body: jsonBody(TotpConfirmSchema) },
    responses: { 200: jsonResponse(RecoveryCodesSchema, "TOTP is enabled") },
  },
);

const totpRemove = defineRoute(
  { access: minRole("readonly"), rateLimit: RATE_LIMITS.mfaManage, errors: FRESH_PROOF_ERRORS },
  {
    method: "delete",
    path: "/totp",
    tags: ["Second factors"],
    summary: "Remove TOTP and its recovery codes",
    description: "Needs a fresh proof (SEC-69): current_password and a TOTP code, or a sign-in within 10 minutes.",
    request: { body: jsonBody(FreshProofSchema) },
    responses: { 204: noContent("Removed") },
  },
);

const recoveryCodes = defineRoute(
  {
    access: minRole("readonly"),
    rateLimit: RATE_LIMITS.mfaManage,
    errors: { ...FRESH_PROOF_ERRORS, CONFLICT: "no second factor is enabled" },
  },
  {
    method: "post",
    path: "/recovery-codes",
    tags: ["Second factors"],
    summary: "A new set of 10 recovery codes; the old ones stop working",
    description: "Needs a fresh proof (SEC-69): current_password and a TOTP code, or a sign-in within 10 minutes.",
    request: { body: jsonBody(FreshProofSchema) },
    responses: { 200: jsonResponse(RecoveryCodesSchema, "The new codes; shown once") },
  },
);

const verify = defineRoute(
  {
    access: PUBLIC,
    rateLimit: RATE_LIMITS.mfaVerify,
    errors: {
      MFA_CODE_INVALID: "wrong, expired or already used code; details.attempts_left says how many remain",
      MFA_CHALLENGE_INVALID: "no pending sign-in, or it expired, was completed or used its 5 attempts",
      EMAIL_NOT_VERIFIED: "the account changed since the password step",
      ACCOUNT_SUSPENDED: "the user was suspended since the password step",
      ORG_SUSPENDED: "the organization was suspended since the password step",
    },
  },
  {
    method: "post",
    path: "/verify",
    tags: ["Second factors"],
    summary: "Complete a sign-in with a TOTP code or a recovery code",
    description:
      "Reads the mfa_pending cookie POST /auth/login set. 5 attempts per pending sign-in, then 401 MFA_CHALLENGE_INVALID; a code is accepted once (SEC-65, SEC-67). Success sets the session and device cookies.",
    request: { body: jsonBody(MfaVerifySchema) },
    responses: { 200: jsonResponse(UserSchema, "Signed in; Set-Cookie carries the session and the device cookie") },
  },
);

export const mfaRoutes = createRouter()
  .openapi(status, async (c) => {
    const { user } = requireSessionContext(c);
    const mfa = await getMfaStatus(serviceContextFrom(c), user.id);
    return c.json({ totp: mfa.totp, passkeys: mfa.passkeys, recovery_codes_left: mfa.recoveryCodesLeft }, 200);
  })
  .openapi(totpSetup, async (c) => {
    const { session, user } = requireSessionContext(c);
    const setup = await setUpTotp(serviceContextFrom(c), user, changeProofOf(session, c.req.valid("json")));
    c.header("Cache-Control", "no-store");
    return c.json({ secret: setup.secret, otpauth_url: setup.otpauthURL }, 200);
  })
  .openapi(totpConfirm, async (c) => {
    const { user } = requireSessionContext(c);
    const codes = await confirmTotp(serviceContextFrom(c), user, c.req.valid("json").code);
    c.header("Cache-Control", "no-store");
    return c.json({ recovery_codes: codes }, 200);
  })
  .openapi(totpRemove, async (c) => {
    const { session, user } = requireSessionContext(c);
    await removeTotp(serviceContextFrom(c), user, changeProofOf(session, c.req.valid("json")));
    return c.body(null, 204);
  })
  .openapi(recoveryCodes, async (c) => {
    const { session, user } = requireSessionContext(c);
    const codes = await regenerateRecoveryCodes(
      serviceContextFrom(c),
      user,
      changeProofOf(session, c.req.valid("json")),
    );
    c.header("Cache-Control", "no-store");
    return c.json({ recovery_codes: codes }, 200);
  })
  .openapi(verify, async (c) => {
    const body = c.req.valid("json");
    const submission =
      body.code !== undefined
        ? { kind: "totp" as const, code: body.code }
        : { kind: "recovery_code" as const, code: body.recovery_code ?? "" };
    const signIn = await completePendingLogin(serviceContextFrom(c), readMfaPendingCookie(c), submission);
    clearMfaPendingCookie(c);
    writeSessionCookie(c, signIn.session.token);
    if (signIn.deviceToken) writeDeviceCookie(c, signIn.deviceToken);
    return c.json(toUserResponse(signIn.user), 200);
  });

/** A second-factor change's fresh proof (SEC-69): the session's sign-in time and the body's claim. */
function changeProofOf(
  session: { authenticatedAt: number },
  body: { current_password?: string; code?: string },
): SecondFactorChangeProof {
  return {
    authenticatedAt: session.authenticatedAt,
    claim: { currentPassword: body.current_password, code: body.code },
  };
}
