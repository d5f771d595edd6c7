// HTTP for POST /auth/token and GET /.well-known/jwks.json (SEC-74).
import { minRole, PUBLIC } from "../../middleware/access";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { jsonResponse, requireActor, requireSessionContext } from "../../platform/route-helpers";
import { serviceContextFrom } from "../../platform/service-context";
import { AccessTokenSchema, JWKSSchema } from "./schemas";
import { issueAccessToken, readPublicKeySet } from "./service";

const JWKS_PATH = "/.well-known/jwks.json";

// Session only: an API key cannot mint a token that would outlive its own revocation check.
const issue = defineRoute(
  { access: minRole("readonly") },
  {
    method: "post",
    path: "/auth/token",
    tags: ["Auth"],
    summary: "A 5-minute ES256 access token for the project's own services",
    description: `Verify it with the keys at ${JWKS_PATH} (by kid), checking iss, aud and exp.`,
    responses: { 200: jsonResponse(AccessTokenSchema, "The token") },
  },
);

const jwks = defineRoute(
  { access: PUBLIC },
  {
    method: "get",
    path: JWKS_PATH,
    tags: ["Auth"],
    summary: "The public keys that verify access tokens: the current one and the previous ones",
    responses: { 200: jsonResponse(JWKSSchema, "A JWK set (RFC 7517)") },
  },
);

export const tokenRoutes = createRouter()
  .openapi(issue, async (c) => {
    const { session } = requireSessionContext(c);
    const issued = await issueAccessToken(serviceContextFrom(c), requireActor(c), session.id);
    return c.json({ token: issued.token, token_type: "Bearer" as const, expires_in: issued.expiresIn }, 200);
  })
  .openapi(jwks, async (c) => c.json(await readPublicKeySet(serviceContextFrom(c)), 200));
