// HTTP for /api-keys: an organization's machine credentials, managed by its org_admins.
import { minRole } from "../../middleware/access";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { jsonBody, jsonResponse, noContent, requireActor } from "../../platform/route-helpers";
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
    errors: { FORBIDDEN: "the key's role would be above the caller's" },
  },
  {
    method: "post",
    path: "/",
    tags: ["API keys"],
    summary: "Create an organization API key; the secret is in this response only",
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
    const { row, key } = await createApiKey(serviceContextFrom(c), requireActor(c), {
      name: body.name,
      role: body.role,
      scopes: body.scopes,
      expiresAt: body.expires_at === undefined ? null : Date.parse(body.expires_at),
      rateLimitPerMinute: body.rate_limit_per_minute ?? null,
    });
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
