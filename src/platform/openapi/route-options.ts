// What a route declares besides its OpenAPI shape; read by defineRoute and by the error responses.
import type { Mode } from "../../config";
import type { Environment } from "../../config/contract";
import type { ErrorCode } from "../../errors";
import type { Access } from "../../middleware/access";
import type { RateLimitPolicy } from "../rate-limit";

export interface RouteOptions {
  access: Access;
  rateLimit?: RateLimitPolicy;
  /**
   * The rate limit's count is started before the handler and awaited by it (`clientLimit`), so the
   * handler can overlap the round trip with reads; it must await the verdict before any write, hash
   * or other limit (middleware/rate-limit.ts, rateLimitOverlapped). Only login uses it (issue 18).
   */
  overlapRateLimit?: boolean;
  /** The route exists only in this mode; in the other it is 404 before anything else runs. */
  onlyInMode?: Mode;
  /** The route exists only with this ENVIRONMENT; elsewhere it is 404 before anything else runs. */
  onlyInEnvironment?: Environment;
  /**
   * With TURNSTILE_SECRET_KEY set, the request needs a token Cloudflare Turnstile accepts, checked
   * after the rate limit and before validation or the handler (SEC-72, middleware/turnstile.ts).
   */
  botCheck?: boolean;
  /** The route's own error outcomes, by code: when it happens. Shared ones are added for it. */
  errors?: RouteErrors;
}

/** A route's own error outcomes: the code (its status comes from the error table) and when. */
type RouteErrors = Partial<Record<ErrorCode, string>>;
