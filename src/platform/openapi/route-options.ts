// What a route declares besides its OpenAPI shape; read by defineRoute and by the error responses.
import type { Mode } from "../../config";
import type { Access } from "../../middleware/access";
import type { RateLimitPolicy } from "../rate-limit";

export interface RouteOptions {
  access: Access;
  rateLimit?: RateLimitPolicy;
  /** The route exists only in this mode; in the other it is 404 before anything else runs. */
  onlyInMode?: Mode;
  /** The route's own error outcomes, by status: "CODE: when". Shared ones are added for it. */
  errors?: Partial<Record<400 | 401 | 402 | 403 | 404 | 409 | 422, string>>;
}
