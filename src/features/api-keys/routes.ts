// HTTP for /api-keys: an organization's machine credentials, managed by its org_admins.
import { minRole } from "../../middleware/access";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { jsonBody, jsonResponse, noContent, requireActor, requireSessionContext } from "../../platform/route-helpers";
import { IdParamSchema } from "../../platform/schemas";
import { serviceContextFrom } from "../../platform/service-context";
import { toISOString } from "../../lib/time";
import { ApiKeyInputSchema, ApiKeyListSchema, CreatedApiKeySchema } from "./schemas";
import { createApiKey, listApiKeys, revokeApiKey, type ListedApiKey } from "./service";
import type { ApiKeyScope } from "../../lib/api-key-scopes";

function toApiKeyResponse(key: ListedApiKey) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    role: key.role,
    scopes: key.scopes as ApiKeyScope[],
    rate_limit_per_minute: key.rateLimitPerMinute,
    ai_token_limit: key.aiTokenLimit,
    created_by: key.createdByUserId,
    created_at: toISOString(key.createdAt),
    last_used_at: key.lastUsedAt === null ? null : toISOString(key.lastUsedAt),
    expires_at: key.expiresAt === null ? null : toISOString(key.expiresAt),
  };
}

// Session only (no apiKeyScope): a key never manages keys (SEC-73).
const create = defineRoute(
  {
    access: minRole("org_admin"),
    errors: {
      FORBIDDEN: "the key's role would be above the caller's",
      REAUTH_REQUIRED: "no current_password (and code, with a second factor) and no sign-in in the last 10 minutes",
      RATE_LIMITED: "too many wrong current_password attempts on this account (the login budget, 5 per 15 min)",
    },
  },
  {
    method: "post",
    path: "/",
    tags: ["API keys"],
    summary: "Create an organization API key; the secret is in this response only",
    description:
      "Needs a fresh proof (SEC-69): current_password (plus code with a second factor), unless this session signed in within the last 10 minutes.",
    request: { body: jsonBody(ApiKeyInputSchema) },
    responses: { 201: jsonResponse(CreatedApiKeySchema, "Created; store `key` now, it is never shown again") },
  },
);

const list = defineRoute(
  { access: minRole("org_admin") },
  {
    method: "get",
    path: "/",
    tags: ["API keys"],
    summary: "The organization's live keys, without their secrets",
    responses: { 200: jsonResponse(ApiKeyListSchema, "The keys, newest first") },
  },
);

const revoke = defineRoute(
  { access: minRole("org_admin"), errors: { NOT_FOUND: "no such live key in your organization" } },
  {
    method: "delete",
    path: "/{id}",
    tags: ["API keys"],
    summary: "Revoke a key; it is refused from its very next request",
    request: { params: IdParamSchema },
    responses: { 204: noContent("Revoked") },
  },
);

export const apiKeyRoutes = createRouter()
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    const { session } = requireSessionContext(c);
    const { row, key } = await createApiKey(
      serviceContextFrom(c),
      requireActor(c),
      {
        name: body.name,
        role: body.role,
        scopes: body.scopes,
        expiresAt: body.expires_at === undefined ? null : Date.parse(body.expires_at),
        rateLimitPerMinute: body.rate_limit_per_minute ?? null,
        aiTokenLimit: body.ai_token_limit ?? null,
      },
      { authenticatedAt: session.authenticatedAt, currentPassword: body.current_password, code: body.code },
    );
    return c.json({ ...toApiKeyResponse(row), key }, 201);
  })
  .openapi(list, async (c) => {
    const keys = await listApiKeys(serviceContextFrom(c), requireActor(c));
    return c.json({ keys: keys.map(toApiKeyResponse) }, 200);
  })
  .openapi(revoke, async (c) => {
    await revokeApiKey(serviceContextFrom(c), requireActor(c), c.req.valid("param").id);
    return c.body(null, 204);
  });
