// Request and response schemas of the access tokens and their key set.
import { z } from "@hono/zod-openapi";

export const AccessTokenSchema = z
  .object({
    token: z
      .string()
      .openapi({ description: "An ES256 JWT: iss, aud, sub, org, role, sid, iat, exp, jti; kid in its header" }),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().openapi({ example: 300 }),
  })
  .openapi("AccessToken");

const PublicJWKSchema = z.object({
  kty: z.string(),
  crv: z.string(),
  x: z.string(),
  y: z.string(),
  kid: z.string(),
  alg: z.string(),
  use: z.string(),
});

export const JWKSSchema = z.object({ keys: z.array(PublicJWKSchema) }).openapi("JWKS");
