// HTTP for /auth: parse, authorize, call the service, respond.
import { z } from "@hono/zod-openapi";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { PUBLIC, minRole } from "../../middleware/access";
import { RATE_LIMITS } from "../../platform/rate-limit";
import { clearSessionCookie, writeSessionCookie } from "../../middleware/session-cookie";
import { toISOString } from "../../lib/time";
import { serviceContextFrom } from "../../platform/service-context";
import { UserSchema, toUserResponse } from "../users/schemas";
import { requireSessionContext, jsonBody, jsonResponse, noContent } from "../../platform/route-helpers";
import {
  EmailBodySchema,
  LoginSchema,
  MessageSchema,
  SessionIdParamSchema,
  SessionListSchema,
  SignupOrgSchema,
  SignupSchema,
  TokenBodySchema,
} from "./schemas";
import { listMySessions, logIn, logOut, resendVerification, revokeMySession, verifyEmail } from "./service";
import { signUp } from "./signup-service";
import { readDeviceCookie, writeDeviceCookie } from "./device-cookie";
import { writeMfaPendingCookie } from "../../middleware/mfa-pending-cookie";
import { MfaChallengeSchema } from "../mfa/schemas";

const SIGNUP_ACCEPTED = "Check your inbox to verify your email address.";

const signup = defineRoute(
  { access: PUBLIC, rateLimit: RATE_LIMITS.signup, onlyInMode: "b2c", botCheck: true },
  {
    method: "post",
    path: "/signup",
    tags: ["Authentication"],
    summary: "Create an account and a personal organization (B2C only)",
    description: "The same 201 whether or not the address already has an account (SEC-7).",
    request: { body: jsonBody(SignupSchema) },
    responses: { 201: jsonResponse(MessageSchema, "Accepted; a verification email is on its way") },
  },
);

const signupOrg = defineRoute(
  { access: PUBLIC, rateLimit: RATE_LIMITS.signupOrg, onlyInMode: "b2c", botCheck: true },
  {
    method: "post",
    path: "/signup-org",
    tags: ["Authentication"],
    summary: "Create an account and a named organization (B2C only)",
    description: "As /auth/signup, with the organization's name.",
    request: { body: jsonBody(SignupOrgSchema) },
    responses: { 201: jsonResponse(MessageSchema, "Accepted; a verification email is on its way") },
  },
);

const login = defineRoute(
  {
    access: PUBLIC,
    rateLimit: RATE_LIMITS.login,
    // The per-IP count runs beside the user lookup (features/auth/service.ts, logIn).
    overlapRateLimit: true,
    botCheck: true,
    errors: {
      INVALID_CREDENTIALS: "wrong email or password (identical for both)",
      EMAIL_NOT_VERIFIED: "the email address is not verified yet (only after the right password)",
      ACCOUNT_SUSPENDED: "the user is suspended (only after the right password)",
      ORG_SUSPENDED: "the organization is suspended (only after the right password)",
    },
  },
  {
    method: "post",
    path: "/login",
    tags: ["Authentication"],
    summary: "Sign in with email and password; sets the session and device cookies",
    description:
      "401 INVALID_CREDENTIALS is byte-identical for an unknown email and a wrong password. 403 EMAIL_NOT_VERIFIED, ACCOUNT_SUSPENDED or ORG_SUSPENDED only after the right password. An account with a second factor gets no session yet: 200 {mfa_required: true, methods} and an mfa_pending cookie (SEC-67). A success also sets a device cookie (30 days): with it, this browser is never held back by other clients' failed guesses on the account (SEC-55); without it, failed guesses on the account slow every new client by a few seconds at most.",
    request: { body: jsonBody(LoginSchema) },
    responses: {
      200: jsonResponse(
        z.union([UserSchema, MfaChallengeSchema]),
        "Signed in (the user; Set-Cookie carries the session and the device cookie), or, for an account with a second factor, {mfa_required, methods} and a 5-minute mfa_pending cookie: complete with POST /auth/mfa/verify",
      ),
    },
  },
);

const logout = defineRoute(
  { access: minRole("readonly") },
  {
    method: "post",
    path: "/logout",
    tags: ["Authentication"],
    summary: "Sign out: deletes the session and clears the cookie",
    responses: { 204: noContent("Signed out") },
  },
);

const verify = defineRoute(
  {
    access: PUBLIC,
    rateLimit: RATE_LIMITS.verifyEmail,
    errors: { INVALID_TOKEN: "unknown, used or expired token" },
  },
  {
    method: "post",
    path: "/verify-email",
    tags: ["Authentication"],
    summary: "Verify the email address with the emailed token (single use, 24 h)",
    description: "400 INVALID_TOKEN for an unknown, used or expired token alike.",
    request: { body: jsonBody(TokenBodySchema) },
    responses: { 200: jsonResponse(MessageSchema, "Verified") },
  },
);

const resend = defineRoute(
  { access: PUBLIC, rateLimit: RATE_LIMITS.resendVerification, botCheck: true },
  {
    method: "post",
    path: "/resend-verification",
    tags: ["Authentication"],
    summary: "Send a new verification link; always 202",
    request: { body: jsonBody(EmailBodySchema) },
    responses: { 202: jsonResponse(MessageSchema, "Accepted") },
  },
);

const sessionsList = defineRoute(
  { access: minRole("readonly") },
  {
    method: "get",
    path: "/sessions",
    tags: ["Authentication"],
    summary: "The caller's active sessions",
    responses: { 200: jsonResponse(SessionListSchema, "Active sessions, oldest first") },
  },
);

const sessionRevoke = defineRoute(
  { access: minRole("readonly"), errors: { NOT_FOUND: "not one of the caller's sessions" } },
  {
    method: "delete",
    path: "/sessions/{id}",
    tags: ["Authentication"],
    summary: "Revoke one of the caller's sessions",
    description:
      "404 for an id that is not one of the caller's sessions. Revoking the current one also clears the cookie.",
    request: { params: SessionIdParamSchema },
    responses: { 204: noContent("Revoked") },
  },
);

export const authRoutes = createRouter()
  .openapi(signup, async (c) => {
    const body = c.req.valid("json");
    await signUp(serviceContextFrom(c), {
      email: body.email,
      password: body.password,
      firstName: body.first_name ?? null,
      lastName: body.last_name ?? null,
      organizationName: null,
    });
    return c.json({ message: SIGNUP_ACCEPTED }, 201);
  })
  .openapi(signupOrg, async (c) => {
    const body = c.req.valid("json");
    await signUp(serviceContextFrom(c), {
      email: body.email,
      password: body.password,
      firstName: body.first_name ?? null,
      lastName: body.last_name ?? null,
      organizationName: body.organization_name,
    });
    return c.json({ message: SIGNUP_ACCEPTED }, 201);
  })
  .openapi(login, async (c) => {
    const { email, password } = c.req.valid("json");
    const result = await logIn(serviceContextFrom(c), {
      email,
      password,
      deviceToken: readDeviceCookie(c),
      clientLimit: c.get("clientLimit"),
    });
    if (result.kind === "second_factor_required") {
      writeMfaPendingCookie(c, result.pending.token);
      return c.json({ mfa_required: true as const, methods: result.methods }, 200);
    }
    writeSessionCookie(c, result.session.token);
    if (result.deviceToken) writeDeviceCookie(c, result.deviceToken);
    return c.json(toUserResponse(result.user), 200);
  })
  .openapi(logout, async (c) => {
    const { session, user } = requireSessionContext(c);
    await logOut(serviceContextFrom(c), {
      sessionId: session.id,
      userId: user.id,
      organizationId: user.organizationId,
    });
    clearSessionCookie(c);
    return c.body(null, 204);
  })
  .openapi(verify, async (c) => {
    c.header("Referrer-Policy", "no-referrer");
    await verifyEmail(serviceContextFrom(c), c.req.valid("json").token);
    return c.json({ message: "Your email address is verified. You can sign in now." }, 200);
  })
  .openapi(resend, (c) => {
    resendVerification(serviceContextFrom(c), c.req.valid("json").email);
    return c.json({ message: "If the address has an unverified account, a new link is on its way." }, 202);
  })
  .openapi(sessionsList, async (c) => {
    const { session, user } = requireSessionContext(c);
    const rows = await listMySessions(serviceContextFrom(c), user.id);
    return c.json(
      {
        sessions: rows.map((row) => ({
          id: row.id,
          created_at: toISOString(row.createdAt),
          expires_at: toISOString(row.expiresAt),
          user_agent: row.userAgent,
          current: row.id === session.id,
        })),
      },
      200,
    );
  })
  .openapi(sessionRevoke, async (c) => {
    const { session, user } = requireSessionContext(c);
    const { id } = c.req.valid("param");
    await revokeMySession(serviceContextFrom(c), { userId: user.id, organizationId: user.organizationId }, id);
    if (id === session.id) clearSessionCookie(c);
    return c.body(null, 204);
  });
