// HTTP for /auth/oauth: the Google authorization URL and the callback. Redirects only ever go to
// the configured web base URL (SEC-42), never to anything taken from the request.
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { PUBLIC } from "../../middleware/access";
import type { RateLimitPolicy } from "../../platform/rate-limit";
import { writeSessionCookie } from "../../middleware/session-cookie";
import { writeMfaPendingCookie } from "../../middleware/mfa-pending-cookie";
import { serviceContextFrom } from "../../platform/service-context";
import { jsonResponse } from "../../platform/route-helpers";
import {
  AuthorizeURLQuerySchema,
  AuthorizeURLSchema,
  CALLBACK_REDIRECT_DESCRIPTION,
  CallbackQuerySchema,
  singleParam,
} from "./schemas";
import { OAuthFailure } from "./errors";
import { completeGoogleSignIn, requireGoogle, startGoogleSignIn } from "./service";
import { clearStateCookies, readStateCookies, writeStateCookies } from "./state-cookie";

/** Each call mints a state and two cookies; a page needs one per click on "Sign in with Google". */
const AUTHORIZE_RATE_LIMIT: RateLimitPolicy = { name: "oauth-authorize", limit: 30, windowSeconds: 15 * 60 };

const NOT_ENABLED = "Google sign-in is not configured (GOOGLE_CLIENT_ID / GOOGLE_CLIENT_SECRET unset)";

const authorizeURL = defineRoute(
  {
    access: PUBLIC,
    rateLimit: AUTHORIZE_RATE_LIMIT,
    errors: {
      INVALID_TOKEN: "invitation_token names no pending invitation (unknown, used, revoked and expired look the same)",
      NOT_FOUND: NOT_ENABLED,
      UPSTREAM_UNAVAILABLE: "the provider's discovery document could not be fetched",
    },
  },
  {
    method: "get",
    path: "/google/authorize-url",
    tags: ["Authentication"],
    summary: "Start Google sign-in: the URL to send the browser to",
    description: [
      "Sets the one-time state and PKCE cookies (HttpOnly; Secure; SameSite=Lax; 10 minutes; outside dev `__Host-` cookies with Path=/, in dev Path=/auth/oauth), so call it with credentials from the page that then navigates to `url`.",
      "From an invitation link, pass its token as `invitation_token`: the signed state binds that invitation, and the callback accepts it (and only it) when the Google account's verified email is the invited one and has no account yet.",
    ].join(" "),
    request: { query: AuthorizeURLQuerySchema },
    responses: {
      200: jsonResponse(
        AuthorizeURLSchema,
        "The provider's authorization URL; Set-Cookie carries the state and PKCE verifier",
      ),
    },
  },
);

const callback = defineRoute(
  { access: PUBLIC, errors: { NOT_FOUND: NOT_ENABLED } },
  {
    method: "get",
    path: "/google/callback",
    tags: ["Authentication"],
    summary: "Google redirects the browser here; signs in and redirects to the web app",
    description: CALLBACK_REDIRECT_DESCRIPTION,
    request: { query: CallbackQuerySchema },
    responses: {
      302: {
        description: CALLBACK_REDIRECT_DESCRIPTION,
        headers: {
          Location: {
            description: "WEB_BASE_URL/, WEB_BASE_URL/login?mfa=required or WEB_BASE_URL/login?error=CODE",
            schema: { type: "string" },
          },
        },
      },
    },
  },
);

export const oauthRoutes = createRouter()
  .openapi(authorizeURL, async (c) => {
    const { invitation_token: invitationToken } = c.req.valid("query");
    const request = await startGoogleSignIn(serviceContextFrom(c), { invitationToken });
    writeStateCookies(c, { state: request.state, codeVerifier: request.codeVerifier });
    return c.json({ url: request.url }, 200);
  })
  .openapi(callback, async (c) => {
    requireGoogle(c.get("config"));
    const cookies = readStateCookies(c);
    // One-time: whatever happens next, this browser's state is spent (SEC-39).
    clearStateCookies(c);
    const query = c.req.valid("query");
    const webBaseURL = c.get("config").webBaseURL;
    try {
      const signIn = await completeGoogleSignIn(serviceContextFrom(c), {
        state: singleParam(query.state),
        code: singleParam(query.code),
        error: singleParam(query.error),
        iss: singleParam(query.iss),
        stateCookie: cookies.state,
        verifierCookie: cookies.codeVerifier,
      });
      if (signIn.kind === "second_factor") {
        // The web app asks for the code and posts it to /auth/mfa/verify with this cookie.
        writeMfaPendingCookie(c, signIn.pending.token);
        return c.redirect(`${webBaseURL}/login?mfa=required`, 302);
      }
      writeSessionCookie(c, signIn.session.token);
      return c.redirect(`${webBaseURL}/`, 302);
    } catch (error) {
      if (!(error instanceof OAuthFailure)) throw error;
      return c.redirect(`${webBaseURL}/login?error=${error.code}`, 302);
    }
  });
