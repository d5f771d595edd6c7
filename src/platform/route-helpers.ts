// Small helpers shared by the feature routers: body and response declarations, session access.
import type { Context } from "hono";
import type { ZodType } from "zod";
import type { AppEnv } from "../env";
import type { SessionContext } from "./sessions/service";
import { AppError } from "../errors";
import type { Actor } from "./actor";

/** A required JSON body: any other content type is 415, a missing body 422. */
export function jsonBody<T extends ZodType>(schema: T) {
  return { required: true, content: { "application/json": { schema } } } as const;
}

export function jsonResponse<T extends ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

export function noContent(description: string) {
  return { description } as const;
}

/** The session the access middleware loaded; a route declared with minRole always has one. */
export function requireSessionContext(c: Context<AppEnv>): SessionContext {
  const session = c.get("session");
  if (!session) throw new AppError("UNAUTHENTICATED", "Sign in to continue.");
  return session;
}

/** The caller as services see them: who, in which organization, with which role. */
export function requireActor(c: Context<AppEnv>): Actor {
  const { user } = requireSessionContext(c);
  return { userId: user.id, organizationId: user.organizationId, role: user.role };
}

/** The caller and the session they act through (switching or leaving changes that session). */
export function requireSessionActor(c: Context<AppEnv>): Actor & { sessionId: string } {
  const { session } = requireSessionContext(c);
  return { ...requireActor(c), sessionId: session.id };
}
