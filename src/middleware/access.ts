// Deny by default (SEC-33): every route declares who may call it, and this is the only gate.
import { createMiddleware } from "hono/factory";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { misconfiguredError } from "../config";
import { AppError } from "../errors";
import { hasRoleAtLeast, type Role } from "../lib/roles";
import { timingSafeEqual } from "../lib/crypto";
import type { ApiKeyScope } from "../lib/api-key-scopes";
import type { ApiKeyPrincipal } from "../platform/api-keys/service";
import { type SessionContext, validateSessionToken } from "../platform/sessions/service";
import { readSessionCookie } from "./session-cookie";
import { authenticateBearerApiKey, readAuthorization } from "./api-key-auth";

declare module "hono" {
  interface ContextVariableMap {
    /** Set by a role gate once the session cookie proved valid; unset on routes that need none. */
    session: SessionContext | undefined;
    /** Set by a role gate that accepts API keys once the key proved valid and in scope. */
    apiKey: ApiKeyPrincipal | undefined;
  }
}

/**
 * Who may call a route: anyone, a session of at least a role, the cron bearer secret, or a
 * server that signs its requests (a webhook). A signature scheme brings its own check, which
 * verifies the raw body before the handler runs; the feature that owns the secret defines it.
 * A role route accepts the session cookie only, unless it names the scope an organization API key
 * needs to call it (`apiKeyScope`): then a key holding that scope, whose role ceiling reaches
 * minRole, is accepted too (SEC-73).
 */
export type Access =
  | { kind: "public" }
  | { kind: "role"; minRole: Role; apiKeyScope?: ApiKeyScope }
  | { kind: "cron-secret" }
  | { kind: "signature"; scheme: string; verify: MiddlewareHandler<AppEnv> };

/** Every access rule but "public", which has nothing to check. */
export type GatedAccess = Exclude<Access, { kind: "public" }>;

export const PUBLIC: Access = { kind: "public" };
export const CRON_SECRET: GatedAccess = { kind: "cron-secret" };
export function minRole(role: Role, credentials: { apiKeyScope?: ApiKeyScope } = {}): GatedAccess {
  return credentials.apiKeyScope
    ? { kind: "role", minRole: role, apiKeyScope: credentials.apiKeyScope }
    : { kind: "role", minRole: role };
}

/** The credentials a route accepts, in the names of the OpenAPI security schemes. */
export function acceptedCredentials(access: Access): ("sessionCookie" | "apiKey")[] {
  if (access.kind !== "role") return [];
  return access.apiKeyScope ? ["sessionCookie", "apiKey"] : ["sessionCookie"];
}

/** The label used in the route table and the OpenAPI document. */
export function describeAccess(access: Access): string {
  switch (access.kind) {
    case "public":
      return "public";
    case "cron-secret":
      return "cron-secret";
    case "role":
      return access.minRole;
    case "signature":
      return `${access.scheme}-signature`;
  }
}

/**
 * The gate of a rule that checks something. A public route gets no gate at all rather than one
 * that only calls next(): every layer costs each request a promise and a frame (issue 18).
 */
export function requireAccess(access: GatedAccess): MiddlewareHandler<AppEnv> {
  switch (access.kind) {
    case "cron-secret":
      return requireCronSecret;
    case "role":
      return access.apiKeyScope ? requireRoleOrApiKey(access.minRole, access.apiKeyScope) : requireRole(access.minRole);
    case "signature":
      return access.verify;
  }
}

/**
 * The session the request's cookie names, as D1 holds it right now, or null. Besides the role
 * gate: a public route that also serves signed-in callers, and a route that changed its own
 * session (switching organization) and answers with the new state.
 */
export async function readCurrentSession(c: Context<AppEnv>): Promise<SessionContext | null> {
  const token = readSessionCookie(c);
  // Authorization is read from D1 on every request, never from the cookie (SEC-24).
  return token ? validateSessionToken(c.get("db"), token) : null;
}

/** As readCurrentSession, for a route whose caller must still have a session (401 otherwise). */
export async function requireCurrentSession(c: Context<AppEnv>): Promise<SessionContext> {
  const session = await readCurrentSession(c);
  if (!session) throw new AppError("UNAUTHENTICATED", "Sign in to continue.");
  return session;
}

/**
 * A session of at least `minimum`, or an API key with `scope` whose ceiling reaches `minimum`.
 * Exactly one credential: a request with both is refused, so which principal acts is never a guess.
 */
function requireRoleOrApiKey(minimum: Role, scope: ApiKeyScope): MiddlewareHandler<AppEnv> {
  const requireSession = requireRole(minimum);
  return createMiddleware<AppEnv>(async function requireRoleOrApiKey(c, next) {
    const authorization = readAuthorization(c);
    if (authorization === undefined) return requireSession(c, next);
    if (readSessionCookie(c)) {
      throw new AppError("AMBIGUOUS_CREDENTIALS", "Send either a session cookie or an API key, not both.");
    }
    const key = await authenticateBearerApiKey(c, authorization);
    if (!key.scopes.has(scope)) {
      throw new AppError("SCOPE_MISSING", `This API key lacks the ${scope} scope this route needs.`, { scope });
    }
    if (!hasRoleAtLeast(key.role, minimum)) {
      throw new AppError("FORBIDDEN", `This API key's role does not allow this action (it needs ${minimum} or above).`);
    }
    c.set("apiKey", key);
    await next();
  });
}

function requireRole(minimum: Role): MiddlewareHandler<AppEnv> {
  return createMiddleware<AppEnv>(async function requireRole(c, next) {
    const session = await readCurrentSession(c);
    if (!session) throw new AppError("UNAUTHENTICATED", "Sign in to continue.");
    if (!hasRoleAtLeast(session.user.role, minimum)) {
      // Naming the minimum is no leak: every route's x-min-role is in the OpenAPI document.
      throw new AppError("FORBIDDEN", `Your role does not allow this action (it needs ${minimum} or above).`);
    }
    if (session.secondFactorMissing && !isOpenWithoutSecondFactor(c.req.path)) {
      throw new AppError(
        "MFA_REQUIRED",
        "Your organization requires a second factor: set one up at /auth/mfa before going on.",
      );
    }
    c.set("session", session);
    await next();
  });
}

/**
 * What a member of a require_mfa organization without a second factor may still reach (SEC-70):
 * their own account, authentication (enrolment is under /auth/mfa, sign-out under /auth), the
 * list of their organizations with switching (/organizations*), and leaving the active one, so they
 * can enrol, switch or leave (API.md), plus the active organization's own profile (which one asks).
 * Its other routes (/organization/users, its audit log, ...) are org-scoped like everything else
 * and answer 403 MFA_REQUIRED, to an org_admin as to anyone.
 */
const OPEN_WITHOUT_SECOND_FACTOR = [
  /^\/users\/me(\/|$)/,
  /^\/auth\//,
  /^\/organizations(\/|$)/,
  /^\/organization(\/membership)?$/,
];

function isOpenWithoutSecondFactor(path: string): boolean {
  return OPEN_WITHOUT_SECOND_FACTOR.some((pattern) => pattern.test(path));
}

const requireCronSecret = createMiddleware<AppEnv>(async function requireCronSecret(c, next) {
  const secret = c.get("config").cronSecret;
  if (!secret) throw misconfiguredError(["CRON_SECRET"], { message: "CRON_SECRET is not set." });
  const header = c.req.header("authorization") ?? "";
  if (!timingSafeEqual(header, `Bearer ${secret}`)) {
    throw new AppError("UNAUTHENTICATED", "A valid cron bearer token is required.");
  }
  await next();
});
