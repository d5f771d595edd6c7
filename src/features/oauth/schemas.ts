// Request and response schemas of /auth/oauth; they validate requests and feed /openapi.json.
import { z } from "@hono/zod-openapi";
import { TokenSchema } from "../auth/schemas";
import { OAUTH_ERROR_CODES } from "./errors";

export const AuthorizeURLQuerySchema = z.object({
  invitation_token: TokenSchema.optional().openapi({
    description:
      "The token of the invitation link the person came from: the sign-in then accepts that invitation, and no other, for an email without an account. Without it, a new account in B2B mode is refused.",
  }),
});

export const AuthorizeURLSchema = z
  .object({ url: z.url().openapi({ description: "Send the browser here (a top-level navigation, not fetch)." }) })
  .openapi("OAuthAuthorizeURL");

/**
 * Whatever the provider appends is accepted here and judged by the callback, which always
 * answers with a redirect: a repeated parameter arrives as an array and counts as absent.
 * Unknown parameters (Google adds scope, authuser, prompt, hd) are ignored.
 */
const CallbackParam = z.union([z.string(), z.array(z.string())]).optional();

export const CallbackQuerySchema = z.object({
  state: CallbackParam.openapi({
    description: "The state from /auth/oauth/google/authorize-url, echoed by the provider.",
  }),
  code: CallbackParam.openapi({ description: "The authorization code." }),
  error: CallbackParam.openapi({ description: "The provider's error, instead of a code (e.g. access_denied)." }),
  iss: CallbackParam.openapi({ description: "The provider's issuer identifier (RFC 9207), checked when present." }),
});

/** The single value of a query parameter; undefined when absent or repeated. */
export function singleParam(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export const CALLBACK_REDIRECT_DESCRIPTION = [
  "Success: 302 to WEB_BASE_URL with the session cookie set.",
  "An account with a second factor (Google is its first factor only): 302 to WEB_BASE_URL/login?mfa=required with an mfa_pending cookie, no session; complete with POST /auth/mfa/verify.",
  `Any failure: 302 to WEB_BASE_URL/login?error=CODE, CODE one of ${OAUTH_ERROR_CODES.join(", ")}.`,
  "The state and PKCE cookies are cleared either way.",
].join(" ");
