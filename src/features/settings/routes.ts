// HTTP for /settings/{user,organization,system}/{key}: the caller's own user and organization only.
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import type { SettingScope } from "../../db/schema";
import type { Role } from "../../lib/roles";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { minRole } from "../../middleware/access";
import { jsonBody, jsonResponse, requireSessionContext } from "../../platform/route-helpers";
import { serviceContextFrom } from "../../platform/service-context";
import { SETTING_DEFINITIONS } from "./definitions";
import {
  PutSettingSchema,
  SettingKeyParamSchema,
  SettingSchema,
  toSettingResponse,
  type SettingResponse,
} from "./schemas";
import { getSetting, updateSetting } from "./service";

const SCOPE_NOTES: Record<SettingScope, string> = {
  user: "The signed-in user's own settings.",
  organization:
    "Settings of the caller's own organization, taken from the session; an organization id in a header or body has no effect (SEC-35).",
  system: "Settings of the whole deployment.",
};

/** The declared keys of a scope, for the API reference. */
function describeKeys(scope: SettingScope): string {
  const lines = Object.entries(SETTING_DEFINITIONS[scope]).map(
    ([key, definition]) =>
      `- \`${key}\` (default \`${JSON.stringify(definition.default)}\`): ${definition.description}`,
  );
  return [SCOPE_NOTES[scope], "Keys:", ...lines].join("\n");
}

function defineSettingRoutes<const S extends SettingScope>(scope: S, role: Role) {
  const path = `/${scope}/{key}` as const;
  const tags = ["Settings"];
  const get = defineRoute(
    { access: minRole(role), errors: { NOT_FOUND: `the key is not declared for ${scope} settings` } },
    {
      method: "get",
      path,
      tags,
      summary: `Read a ${scope} setting (the default while unset)`,
      description: describeKeys(scope),
      request: { params: SettingKeyParamSchema },
      responses: { 200: jsonResponse(SettingSchema, "The setting") },
    },
  );
  const put = defineRoute(
    {
      access: minRole(role),
      errors: {
        NOT_FOUND: `the key is not declared for ${scope} settings (nothing is written)`,
        VALIDATION_ERROR: "field value when it does not match the key's declared type",
      },
    },
    {
      method: "put",
      path,
      tags,
      summary: `Set a ${scope} setting`,
      description: `${describeKeys(scope)}\n\nThe change is recorded in the audit log.`,
      request: { params: SettingKeyParamSchema, body: jsonBody(PutSettingSchema) },
      responses: { 200: jsonResponse(SettingSchema, "The setting as now in effect") },
    },
  );
  return { get, put };
}

const userSettings = defineSettingRoutes("user", "readonly");
const organizationSettings = defineSettingRoutes("organization", "org_admin");
const systemSettings = defineSettingRoutes("system", "sys_admin");

async function showSetting(c: Context<AppEnv>, scope: SettingScope, key: string): Promise<SettingResponse> {
  const { user } = requireSessionContext(c);
  return toSettingResponse(await getSetting(serviceContextFrom(c), user, { scope, key }));
}

async function changeSetting(
  c: Context<AppEnv>,
  scope: SettingScope,
  key: string,
  value: unknown,
): Promise<SettingResponse> {
  const { user } = requireSessionContext(c);
  return toSettingResponse(await updateSetting(serviceContextFrom(c), user, { scope, key, value }));
}

export const settingsRoutes = createRouter()
  .openapi(userSettings.get, async (c) => c.json(await showSetting(c, "user", c.req.valid("param").key), 200))
  .openapi(userSettings.put, async (c) =>
    c.json(await changeSetting(c, "user", c.req.valid("param").key, c.req.valid("json").value), 200),
  )
  .openapi(organizationSettings.get, async (c) =>
    c.json(await showSetting(c, "organization", c.req.valid("param").key), 200),
  )
  .openapi(organizationSettings.put, async (c) =>
    c.json(await changeSetting(c, "organization", c.req.valid("param").key, c.req.valid("json").value), 200),
  )
  .openapi(systemSettings.get, async (c) => c.json(await showSetting(c, "system", c.req.valid("param").key), 200))
  .openapi(systemSettings.put, async (c) =>
    c.json(await changeSetting(c, "system", c.req.valid("param").key, c.req.valid("json").value), 200),
  );
