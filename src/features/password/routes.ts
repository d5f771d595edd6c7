// HTTP for /password.
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { PUBLIC, minRole } from "../../middleware/access";
import { RATE_LIMITS } from "../../platform/rate-limit";
import { serviceContextFrom } from "../../platform/service-context";
import { jsonBody, jsonResponse, requireSessionContext } from "../../platform/route-helpers";
import { EmailBodySchema, MessageSchema } from "../auth/schemas";
import { writeDeviceCookie } from "../auth/device-cookie";
import { ResetPasswordSchema, UpdatePasswordSchema } from "./schemas";
import { requestPasswordReset, resetPassword, updatePassword } from "./service";

const forgot = defineRoute(
  { access: PUBLIC, rateLimit: RATE_LIMITS.forgotPassword, botCheck: true },
  {
    method: "post",
    path: "/forgot",
    tags: ["Password"],
    summary: "Email a reset link if the account exists; always 202",
    request: { body: jsonBody(EmailBodySchema) },
    responses: { 202: jsonResponse(MessageSchema, "Accepted") },
  },
);

const reset = defineRoute(
  {
    access: PUBLIC,
    rateLimit: RATE_LIMITS.resetPassword,
    errors: { INVALID_TOKEN: "unknown, used or expired token" },
  },
  {
    method: "post",
    path: "/reset",
    tags: ["Password"],
    summary: "Set a new password with the emailed token (single use, 1 h); revokes all sessions",
    description:
      "Does not sign in. Lifts the sign-in back-off on the account and sets the device cookie, so strangers' guesses never hold this browser back (SEC-55). 400 INVALID_TOKEN for an unknown, used or expired token alike.",
    request: { body: jsonBody(ResetPasswordSchema) },
    responses: {
      200: jsonResponse(MessageSchema, "Password changed; sign in again. Set-Cookie carries the device cookie"),
    },
  },
);

const update = defineRoute(
  {
    access: minRole("readonly"),
    rateLimit: RATE_LIMITS.passwordUpdate,
    errors: {
      CONFLICT: "the account has no password (Google sign-in)",
      VALIDATION_ERROR: "field current_password (or code) when it is wrong",
      REAUTH_REQUIRED: "a second factor is on and no code was sent",
    },
  },
  {
    method: "post",
    path: "/update",
    tags: ["Password"],
    summary: "Change the password; revokes all other sessions",
    description:
      "Always needs current_password, plus code when the account has a second factor (the password path of a fresh proof, SEC-69). 422 VALIDATION_ERROR with field current_password when it is wrong; 409 CONFLICT for an account without a password (Google sign-in).",
    request: { body: jsonBody(UpdatePasswordSchema) },
    responses: { 200: jsonResponse(MessageSchema, "Password changed") },
  },
);

export const passwordRoutes = createRouter()
  .openapi(forgot, (c) => {
    c.header("Referrer-Policy", "no-referrer");
    requestPasswordReset(serviceContextFrom(c), c.req.valid("json").email);
    return c.json({ message: "If the address has an account, a reset link is on its way." }, 202);
  })
  .openapi(reset, async (c) => {
    c.header("Referrer-Policy", "no-referrer");
    const body = c.req.valid("json");
    const { deviceToken } = await resetPassword(serviceContextFrom(c), {
      token: body.token,
      newPassword: body.new_password,
    });
    if (deviceToken) writeDeviceCookie(c, deviceToken);
    return c.json({ message: "Your password was changed. Sign in with the new one." }, 200);
  })
  .openapi(update, async (c) => {
    const { session, user } = requireSessionContext(c);
    const body = c.req.valid("json");
    await updatePassword(serviceContextFrom(c), {
      userId: user.id,
      organizationId: user.organizationId,
      sessionId: session.id,
      authenticatedAt: session.authenticatedAt,
      currentPassword: body.current_password,
      code: body.code,
      newPassword: body.new_password,
    });
    return c.json({ message: "Your password was changed. Your other sessions were signed out." }, 200);
  });
