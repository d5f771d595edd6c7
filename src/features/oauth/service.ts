// Google sign-in (SEC-39 to SEC-42): the authorization request, then the callback's checks in
// order (state, provider answer, code exchange, ID token) before the account rules decide who signs
// in. Knows nothing about HTTP: the routes hand over the query and the cookies' values.
import { AppError, RateLimitedError } from "../../errors";
import type { Config } from "../../config";
import { generateSecret, timingSafeEqual } from "../../lib/crypto";
import { logEvent } from "../../lib/log";
import { summarizeError } from "../../db/error-summary";
import { clientIPKey, consumeRateLimit, type RateLimitPolicy } from "../../platform/rate-limit";
import type { ServiceContext } from "../../platform/service-context";
import { recordAuditEvent } from "../audit/service";
import { requirePendingInvitation } from "../orgs/invitations-service";
import { signInWithIdentity, type OAuthSignIn } from "./account-service";
import { discoverProvider, type ProviderMetadata } from "./discovery";
import { OAuthFailure } from "./errors";
import { acceptedIssuers, verifyIDToken } from "./id-token";
import { createPKCEPair, matchesCodeChallenge } from "./pkce";
import { MAX_STATE_LENGTH, STATE_TTL_SECONDS, signState, verifyState } from "./state";
import { exchangeAuthorizationCode } from "./token-exchange";

const GOOGLE_PROVIDER = "google";

/** What Google is asked for: the ID token's identity claims, nothing to act on the user's behalf. */
const SCOPE = "openid email profile";

/** Callbacks per client IP: a person needs one per sign-in; each one may cost three provider calls. */
const CALLBACK_RATE_LIMIT: RateLimitPolicy = { name: "oauth-callback", limit: 20, windowSeconds: 15 * 60 };

/** Each state is accepted once, globally: its id is consumed in the rate-limiter object (limit 1). */
const STATE_USE: RateLimitPolicy = { name: "oauth-state", limit: 1, windowSeconds: STATE_TTL_SECONDS };

const MAX_CODE_LENGTH = 2048;

type GoogleSettings = NonNullable<Config["google"]>;

/** The Google settings, or 404 when Google sign-in is not configured (it is optional). */
export function requireGoogle(config: Config): GoogleSettings & { stateSecret: string } {
  // Config validation guarantees JWT_SECRET whenever Google is configured.
  if (!config.google || !config.jwtSecret) throw new AppError("NOT_FOUND", "Google sign-in is not enabled.");
  return { ...config.google, stateSecret: config.jwtSecret };
}

export interface AuthorizationRequest {
  /** Where the browser goes to sign in at Google. */
  url: string;
  /** The signed state: in the URL and in the state cookie. */
  state: string;
  /** The PKCE verifier: in its own cookie only, never in a URL. */
  codeVerifier: string;
}

/**
 * A fresh state, nonce and PKCE pair for one sign-in attempt, and the provider's authorization URL.
 * Started from an invitation link, the state also binds that invitation (SEC-62): its token must
 * name a pending invitation (400 INVALID_TOKEN otherwise, like accepting it), and the callback
 * will accept that invitation and no other.
 */
export async function startGoogleSignIn(
  ctx: ServiceContext,
  options: { invitationToken?: string | undefined } = {},
): Promise<AuthorizationRequest> {
  const google = requireGoogle(ctx.config);
  const invitation =
    options.invitationToken === undefined ? null : await requirePendingInvitation(ctx, options.invitationToken);
  let metadata: ProviderMetadata;
  try {
    metadata = await discover(ctx, google);
  } catch (error) {
    const reason = error instanceof OAuthFailure ? error.reason : String(error);
    logEvent("error", "oauth_provider_unavailable", { provider: GOOGLE_PROVIDER, reason });
    throw new AppError("UPSTREAM_UNAVAILABLE", "Google sign-in is unavailable right now. Try again in a moment.");
  }
  const pkce = await createPKCEPair();
  const nonce = generateSecret(32);
  const { token } = await signState(google.stateSecret, {
    provider: GOOGLE_PROVIDER,
    nonce,
    codeChallenge: pkce.challenge,
    invitationId: invitation?.id ?? null,
  });
  const url = new URL(metadata.authorizationEndpoint);
  for (const [name, value] of Object.entries({
    response_type: "code",
    client_id: google.clientId,
    redirect_uri: google.redirectURI,
    scope: SCOPE,
    state: token,
    nonce,
    code_challenge: pkce.challenge,
    code_challenge_method: "S256",
  })) {
    url.searchParams.set(name, value);
  }
  return { url: url.toString(), state: token, codeVerifier: pkce.verifier };
}

export interface CallbackInput {
  /** Query parameters; undefined when absent or repeated. */
  state: string | undefined;
  code: string | undefined;
  error: string | undefined;
  iss: string | undefined;
  /** The cookies' values; null when absent or sent twice (a planted copy). */
  stateCookie: string | null;
  verifierCookie: string | null;
}

/**
 * Completes a sign-in or throws OAuthFailure with the code for the login page. Every failure is
 * logged and recorded in the audit log with its reason.
 */
export async function completeGoogleSignIn(ctx: ServiceContext, input: CallbackInput): Promise<OAuthSignIn> {
  const google = requireGoogle(ctx.config);
  try {
    return await runCallback(ctx, google, input);
  } catch (error) {
    const failure = error instanceof OAuthFailure ? error : new OAuthFailure("server_error", "unexpected");
    if (!(error instanceof OAuthFailure)) {
      logEvent("error", "oauth_callback_error", summarizeError(error));
    }
    await recordFailure(ctx, failure);
    throw failure;
  }
}

async function runCallback(
  ctx: ServiceContext,
  google: GoogleSettings & { stateSecret: string },
  input: CallbackInput,
): Promise<OAuthSignIn> {
  try {
    await consumeRateLimit(ctx.env, `${CALLBACK_RATE_LIMIT.name}:${clientIPKey(ctx.ip)}`, CALLBACK_RATE_LIMIT);
  } catch (error) {
    if (error instanceof RateLimitedError) throw new OAuthFailure("rate_limited", "callback_rate_limited");
    throw error;
  }

  // 1. The state (SEC-39): present, the very value this browser's cookie holds, ours, unexpired,
  //    with this browser's PKCE verifier, and never used before.
  if (!input.state) throw new OAuthFailure("invalid_state", "state_missing");
  if (!input.stateCookie) throw new OAuthFailure("invalid_state", "state_cookie_missing");
  if (input.state.length > MAX_STATE_LENGTH || !timingSafeEqual(input.state, input.stateCookie)) {
    throw new OAuthFailure("invalid_state", "state_cookie_mismatch");
  }
  const state = await verifyState(google.stateSecret, input.state, GOOGLE_PROVIDER);
  if (!input.verifierCookie || !(await matchesCodeChallenge(input.verifierCookie, state.codeChallenge))) {
    throw new OAuthFailure("invalid_state", "pkce_verifier_mismatch");
  }
  try {
    await consumeRateLimit(ctx.env, `${STATE_USE.name}:${state.id}`, STATE_USE);
  } catch (error) {
    if (error instanceof RateLimitedError) throw new OAuthFailure("invalid_state", "state_replayed");
    throw error;
  }

  // 2. The provider's answer.
  if (input.error !== undefined) {
    if (input.error === "access_denied") throw new OAuthFailure("access_denied", "provider_access_denied");
    const error = /^[a-z_]{1,40}$/.test(input.error) ? input.error : "unknown";
    throw new OAuthFailure("provider_error", `provider_error_${error}`);
  }
  // RFC 9207: when the provider names itself, it must be the one we sent the browser to.
  if (input.iss !== undefined && !acceptedIssuers(google.issuer).includes(input.iss)) {
    throw new OAuthFailure("provider_error", "iss_mismatch");
  }
  if (!input.code || input.code.length > MAX_CODE_LENGTH) throw new OAuthFailure("provider_error", "code_missing");

  // 3. The code, exchanged with this browser's verifier; 4. the ID token, for this state's nonce.
  const metadata = await discover(ctx, google);
  const idToken = await exchangeAuthorizationCode(metadata, {
    clientId: google.clientId,
    clientSecret: google.clientSecret,
    code: input.code,
    redirectURI: google.redirectURI,
    codeVerifier: input.verifierCookie,
  });
  const identity = await verifyIDToken(idToken, { metadata, clientId: google.clientId, nonce: state.nonce });

  // 5. Who that is (SEC-40, SEC-41), with a fresh session (SEC-16), and the invitation this very
  //    sign-in was started from, if any (SEC-62).
  return signInWithIdentity(ctx, GOOGLE_PROVIDER, identity, { invitationId: state.invitationId });
}

function discover(ctx: ServiceContext, google: GoogleSettings): Promise<ProviderMetadata> {
  return discoverProvider(google.issuer, { requireHTTPS: ctx.config.environment !== "dev" });
}

async function recordFailure(ctx: ServiceContext, failure: OAuthFailure): Promise<void> {
  // Over the limit, a request must cost nothing but the log line: no D1 write per attempt.
  if (failure.code === "rate_limited") {
    logEvent("warn", "audit.oauth_login_failed", { ip: ctx.ip, code: failure.code, reason: failure.reason });
    return;
  }
  try {
    await recordAuditEvent(ctx, {
      action: "oauth_login_failed",
      organizationId: failure.subject?.organizationId ?? null,
      actorUserId: failure.subject?.userId ?? null,
      ip: ctx.ip,
      details: { provider: GOOGLE_PROVIDER, code: failure.code, reason: failure.reason },
    });
  } catch (error) {
    // The browser still gets its error page; the log line below keeps the event.
    logEvent("error", "oauth_audit_failed", { code: failure.code, reason: failure.reason, ...summarizeError(error) });
  }
}
