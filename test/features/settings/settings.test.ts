import { env } from "cloudflare:test";
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { createDB } from "../../../src/db/client";
import type { Role } from "../../../src/lib/roles";
import { loadLedgerPolicy } from "../../../src/features/ai/ledger";
import {
  MAX_TOKEN_SETTING,
  SETTING_DEFINITIONS,
  type SettingDefinition,
} from "../../../src/features/settings/definitions";
import { describeSettingChange, readSetting } from "../../../src/features/settings/service";
import { createClient, type TestClient } from "../../helpers/client";
import { countRows, insertUser, type InsertedUser } from "../../helpers/factories";
import { testServiceContext } from "../../helpers/service-context";

interface SignedIn {
  client: TestClient;
  user: InsertedUser;
}

async function signIn(role: Role, options: { organizationId?: string } = {}): Promise<SignedIn> {
  const user = await insertUser({ role });
  if (options.organizationId) {
    await env.DB.prepare(`UPDATE membership SET organization_id = ? WHERE user_id = ?`)
      .bind(options.organizationId, user.id)
      .run();
    user.organizationId = options.organizationId;
  }
  const client = createClient();
  const response = await client.post("/auth/login", { email: user.email, password: user.password });
  expect(response.status).toBe(200);
  return { client, user };
}

interface StoredRow {
  scope: string;
  scope_id: string;
  key: string;
  value: string;
  updated_by_user_id: string | null;
}

async function storedRows(where = "1 = 1", ...params: unknown[]): Promise<StoredRow[]> {
  const { results } = await env.DB.prepare(
    `SELECT scope, scope_id, key, value, updated_by_user_id FROM setting WHERE ${where}`,
  )
    .bind(...params)
    .all<StoredRow>();
  return results;
}

/** Settings and audit rows together: "nothing was written" means neither moved. */
async function writtenState(): Promise<{ settings: number; audit: number }> {
  return { settings: await countRows("setting"), audit: await countRows("audit_log", "action = 'setting_changed'") };
}

async function expectError(
  response: Response,
  status: number,
  code: string,
): Promise<{ error: { details?: { fields?: { field: string; message: string }[] } } }> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as {
    error: { code: string; details?: { fields?: { field: string; message: string }[] } };
  };
  expect(body.error.code).toBe(code);
  return body;
}

/** A user, an organization admin and a system admin, each in their own organization. */
async function signInEachScope(): Promise<{ user: SignedIn; orgAdmin: SignedIn; sysAdmin: SignedIn }> {
  const [user, orgAdmin, sysAdmin] = await Promise.all([signIn("readonly"), signIn("org_admin"), signIn("sys_admin")]);
  return { user, orgAdmin, sysAdmin };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("settings declarations", () => {
  it("give every key a default its own schema accepts and a one-line description", () => {
    for (const [scope, keys] of Object.entries(SETTING_DEFINITIONS)) {
      for (const [key, definition] of Object.entries(keys as Record<string, SettingDefinition>)) {
        expect.soft(definition.schema.safeParse(definition.default).success, `${scope}.${key}`).toBe(true);
        expect.soft(definition.description, `${scope}.${key}`).toMatch(/^[^\n]{10,200}$/);
      }
    }
  });

  it("declare the keys the issue names, with their defaults", () => {
    expect(SETTING_DEFINITIONS.organization.overage_enabled.default).toBe(false);
    expect(SETTING_DEFINITIONS.organization.ai_overage_ceiling_tokens.default).toBe(0);
    expect(SETTING_DEFINITIONS.system.ai_overage_enabled.default).toBe(false);
    expect(SETTING_DEFINITIONS.user.theme.default).toBe("system");
    expect(SETTING_DEFINITIONS.user.email_notifications.default).toBe(true);
  });
});

describe("GET /settings/{scope}/{key}", () => {
  it("returns the declared default with updated_at null while a key is unset, in every scope", async () => {
    const { user, orgAdmin, sysAdmin } = await signInEachScope();
    const cases: [TestClient, string, unknown][] = [
      [user.client, "/settings/user/theme", "system"],
      [user.client, "/settings/user/email_notifications", true],
      [orgAdmin.client, "/settings/organization/overage_enabled", false],
      [orgAdmin.client, "/settings/organization/ai_overage_ceiling_tokens", 0],
      [sysAdmin.client, "/settings/system/ai_overage_enabled", false],
    ];
    for (const [client, path, fallback] of cases) {
      const response = await client.get(path);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        key: path.split("/").pop(),
        value: fallback,
        default: fallback,
        description: expect.any(String),
        updated_at: null,
      });
    }
  });
});

describe("PUT /settings/{scope}/{key}", () => {
  it("sets a value in every scope and GET returns it with the time it was set", async () => {
    const { user, orgAdmin, sysAdmin } = await signInEachScope();
    const cases: [TestClient, string, unknown, unknown][] = [
      [user.client, "/settings/user/theme", "dark", "system"],
      [user.client, "/settings/user/email_notifications", false, true],
      [orgAdmin.client, "/settings/organization/overage_enabled", true, false],
      [orgAdmin.client, "/settings/organization/ai_overage_ceiling_tokens", 250_000, 0],
      [sysAdmin.client, "/settings/system/ai_overage_enabled", true, false],
    ];
    for (const [client, path, value, fallback] of cases) {
      const before = Date.now();
      const put = await client.put(path, { value });
      expect(put.status).toBe(200);
      const written = (await put.json()) as { updated_at: string };
      expect(written).toMatchObject({ key: path.split("/").pop(), value, default: fallback });
      expect(Date.parse(written.updated_at)).toBeGreaterThanOrEqual(before);
      expect(await (await client.get(path)).json()).toEqual({ ...written, description: expect.any(String) });
    }
  });

  it("overwrites a key in place: one row per (scope, owner, key), with the last value and who set it", async () => {
    const { client, user } = await signIn("readonly");
    for (const value of ["dark", "light", "dark"])
      expect((await client.put("/settings/user/theme", { value })).status).toBe(200);
    expect(await storedRows("scope = 'user' AND scope_id = ?", user.id)).toEqual([
      { scope: "user", scope_id: user.id, key: "theme", value: '"dark"', updated_by_user_id: user.id },
    ]);
  });

  it("lets a readonly user set their own user settings", async () => {
    const { client } = await signIn("readonly");
    const response = await client.put("/settings/user/email_notifications", { value: false });
    expect(response.status).toBe(200);
    expect(await (await client.get("/settings/user/email_notifications")).json()).toMatchObject({ value: false });
  });

  it("keeps user settings per user, even within one organization", async () => {
    const first = await signIn("member");
    const second = await signIn("member", { organizationId: first.user.organizationId });
    expect((await first.client.put("/settings/user/theme", { value: "dark" })).status).toBe(200);
    expect(await (await second.client.get("/settings/user/theme")).json()).toMatchObject({
      value: "system",
      updated_at: null,
    });
  });
});

describe("unknown keys", () => {
  it("are 404 NOT_FOUND on GET and PUT in every scope, even with a valid-looking value, and nothing is written", async () => {
    const { sysAdmin } = await signInEachScope();
    const before = await writtenState();
    // A key of another scope, prototype names and near misses are all just unknown here.
    const paths = [
      "/settings/user/nope",
      "/settings/user/overage_enabled",
      "/settings/user/__proto__",
      "/settings/user/constructor",
      "/settings/user/toString",
      "/settings/user/THEME",
      "/settings/organization/ai_overage_enabled",
      "/settings/organization/hasOwnProperty",
      "/settings/system/overage_enabled",
      "/settings/system/ai_overage_enabled%20",
    ];
    for (const path of paths) {
      await expectError(await sysAdmin.client.get(path), 404, "NOT_FOUND");
      await expectError(await sysAdmin.client.put(path, { value: true }), 404, "NOT_FOUND");
      // The key is checked before the value: an unknown key with a bad value is still 404.
      await expectError(await sysAdmin.client.put(path, { value: { nested: [1] } }), 404, "NOT_FOUND");
    }
    expect(await writtenState()).toEqual(before);
  });
});

describe("values of the wrong type", () => {
  it("are 422 VALIDATION_ERROR naming field value, and nothing is written", async () => {
    const { user, orgAdmin, sysAdmin } = await signInEachScope();
    const before = await writtenState();
    const cases: [TestClient, string, unknown][] = [
      [orgAdmin.client, "/settings/organization/overage_enabled", "true"],
      [orgAdmin.client, "/settings/organization/overage_enabled", 1],
      [orgAdmin.client, "/settings/organization/overage_enabled", null],
      [orgAdmin.client, "/settings/organization/ai_overage_ceiling_tokens", 1.5],
      [orgAdmin.client, "/settings/organization/ai_overage_ceiling_tokens", -1],
      [orgAdmin.client, "/settings/organization/ai_overage_ceiling_tokens", "100"],
      [orgAdmin.client, "/settings/organization/ai_overage_ceiling_tokens", 2 ** 60],
      [orgAdmin.client, "/settings/organization/ai_overage_ceiling_tokens", null],
      [sysAdmin.client, "/settings/system/ai_overage_enabled", "yes"],
      [sysAdmin.client, "/settings/system/ai_overage_enabled", [true]],
      [user.client, "/settings/user/theme", "blue"],
      [user.client, "/settings/user/theme", { theme: "dark" }],
      [user.client, "/settings/user/email_notifications", null],
    ];
    for (const [client, path, value] of cases) {
      const body = await expectError(await client.put(path, { value }), 422, "VALIDATION_ERROR");
      expect
        .soft(
          body.error.details?.fields?.map((field) => field.field),
          `${path} = ${JSON.stringify(value)}`,
        )
        .toEqual(["value"]);
    }
    expect(await writtenState()).toEqual(before);
  });

  it("are 422 for a body without value, and for unknown body fields naming each one (SEC-47)", async () => {
    const { client } = await signIn("org_admin");
    const before = await writtenState();
    const missing = await expectError(
      await client.put("/settings/organization/overage_enabled", {}),
      422,
      "VALIDATION_ERROR",
    );
    expect(missing.error.details?.fields?.map((field) => field.field)).toEqual(["value"]);
    const extra = await expectError(
      await client.put("/settings/organization/overage_enabled", {
        value: true,
        key: "ai_overage_ceiling_tokens",
        scope: "system",
      }),
      422,
      "VALIDATION_ERROR",
    );
    expect(extra.error.details?.fields).toEqual([
      { field: "key", message: "is not a known field" },
      { field: "scope", message: "is not a known field" },
    ]);
    expect(await writtenState()).toEqual(before);
  });
  it("are 422 for hostile JSON against a declared key (overflow, huge integers, deep nesting), never a 500", async () => {
    const { client } = await signIn("org_admin");
    const before = await writtenState();
    const values = [
      "1e999",
      "123456789012345678901234567890",
      "9007199254740993",
      `${"[".repeat(5000)}${"]".repeat(5000)}`,
      `{"__proto__":true}`,
      '"\\u0000"',
    ];
    for (const value of values) {
      const response = await client.request("PUT", "/settings/organization/ai_overage_ceiling_tokens", {
        headers: { "content-type": "application/json" },
        body: `{"value":${value}}`,
      });
      expect
        .soft({ value: value.slice(0, 20), status: response.status })
        .toEqual({ value: value.slice(0, 20), status: 422 });
    }
    expect(await writtenState()).toEqual(before);
  });
});

describe("who may read and change which scope", () => {
  it("SEC-33, SEC-34: readonly and member callers get 403 FORBIDDEN on organization settings, and nothing is written", async () => {
    for (const role of ["readonly", "member"] as const) {
      const { client } = await signIn(role);
      const before = await writtenState();
      await expectError(await client.get("/settings/organization/overage_enabled"), 403, "FORBIDDEN");
      await expectError(await client.put("/settings/organization/overage_enabled", { value: true }), 403, "FORBIDDEN");
      expect(await writtenState()).toEqual(before);
    }
  });

  it("SEC-33, SEC-34: an org_admin gets 403 FORBIDDEN on system settings, and nothing is written", async () => {
    const { client } = await signIn("org_admin");
    const before = await writtenState();
    const systemRows = await storedRows("scope = 'system'");
    await expectError(await client.get("/settings/system/ai_overage_enabled"), 403, "FORBIDDEN");
    await expectError(await client.put("/settings/system/ai_overage_enabled", { value: true }), 403, "FORBIDDEN");
    await expectError(await client.put("/settings/system/ai_overage_enabled", { value: false }), 403, "FORBIDDEN");
    expect(await writtenState()).toEqual(before);
    expect(await storedRows("scope = 'system'")).toEqual(systemRows);
  });

  it("lets a sys_admin change system settings, which every reader then sees", async () => {
    const { client } = await signIn("sys_admin");
    expect((await client.put("/settings/system/ai_overage_enabled", { value: true })).status).toBe(200);
    expect(await readSetting(testServiceContext(), "system", "", "ai_overage_enabled")).toBe(true);
    expect((await client.put("/settings/system/ai_overage_enabled", { value: false })).status).toBe(200);
    expect(await readSetting(testServiceContext(), "system", "", "ai_overage_enabled")).toBe(false);
  });

  it("401 UNAUTHENTICATED without a session, and nothing is written", async () => {
    const before = await writtenState();
    for (const scope of ["user/theme", "organization/overage_enabled", "system/ai_overage_enabled"]) {
      await expectError(await createClient().get(`/settings/${scope}`), 401, "UNAUTHENTICATED");
      await expectError(await createClient().put(`/settings/${scope}`, { value: true }), 401, "UNAUTHENTICATED");
    }
    expect(await writtenState()).toEqual(before);
  });
});

describe("organization settings are the caller's own organization's", () => {
  it("SEC-35, SEC-36: org B's admin turning overage on leaves org A's off, on read and through readSetting", async () => {
    const a = await signIn("org_admin");
    const b = await signIn("org_admin");
    expect((await b.client.put("/settings/organization/overage_enabled", { value: true })).status).toBe(200);
    expect(await (await b.client.get("/settings/organization/overage_enabled")).json()).toMatchObject({ value: true });
    expect(await (await a.client.get("/settings/organization/overage_enabled")).json()).toMatchObject({
      value: false,
      updated_at: null,
    });
    const db = createDB(env.DB);
    expect(
      await readSetting(testServiceContext({ db }), "organization", a.user.organizationId, "overage_enabled"),
    ).toBe(false);
    expect(
      await readSetting(testServiceContext({ db }), "organization", b.user.organizationId, "overage_enabled"),
    ).toBe(true);
    expect(
      await storedRows(
        "scope = 'organization' AND key = 'overage_enabled' AND scope_id IN (?, ?)",
        a.user.organizationId,
        b.user.organizationId,
      ),
    ).toEqual([expect.objectContaining({ scope_id: b.user.organizationId, value: "true" })]);
  });

  it("SEC-35, SEC-37: organization_id in the body is 422 and changes no organization's setting", async () => {
    const a = await signIn("org_admin");
    const b = await signIn("org_admin");
    const before = await writtenState();
    const body = await expectError(
      await b.client.put("/settings/organization/overage_enabled", {
        value: true,
        organization_id: a.user.organizationId,
      }),
      422,
      "VALIDATION_ERROR",
    );
    expect(body.error.details?.fields).toEqual([{ field: "organization_id", message: "is not a known field" }]);
    expect(await writtenState()).toEqual(before);
    const db = createDB(env.DB);
    expect(
      await readSetting(testServiceContext({ db }), "organization", a.user.organizationId, "overage_enabled"),
    ).toBe(false);
    expect(
      await readSetting(testServiceContext({ db }), "organization", b.user.organizationId, "overage_enabled"),
    ).toBe(false);
  });

  it("SEC-35: an organization id in a header or the query is ignored; the write lands in the caller's own organization", async () => {
    const a = await signIn("org_admin");
    const b = await signIn("org_admin");
    const foreign = a.user.organizationId;
    const headers = { "x-org-id": foreign, "x-organization-id": foreign };
    const path = `/settings/organization/ai_overage_ceiling_tokens?organization_id=${foreign}&org_id=${foreign}`;
    const put = await b.client.put(path, { value: 5000 }, { headers });
    expect(put.status).toBe(200);
    expect(await (await b.client.get(path, { headers })).json()).toMatchObject({ value: 5000 });
    expect(await (await a.client.get("/settings/organization/ai_overage_ceiling_tokens")).json()).toMatchObject({
      value: 0,
    });
    expect(await storedRows("scope = 'organization' AND scope_id = ?", foreign)).toEqual([]);
    expect(await storedRows("scope = 'organization' AND scope_id = ?", b.user.organizationId)).toHaveLength(1);
  });
});

describe("the audit log", () => {
  interface AuditRow {
    organization_id: string | null;
    actor_user_id: string;
    target: string;
    ip: string | null;
    details: string;
  }

  async function settingAudits(userId: string): Promise<AuditRow[]> {
    const { results } = await env.DB.prepare(
      "SELECT organization_id, actor_user_id, target, ip, details FROM audit_log WHERE action = 'setting_changed' AND actor_user_id = ? ORDER BY id",
    )
      .bind(userId)
      .all<AuditRow>();
    return results;
  }

  it("SEC-49: records each change with its actor, organization, IP, scope:key target and the key and scope", async () => {
    const { client, user } = await signIn("org_admin");
    expect((await client.put("/settings/organization/overage_enabled", { value: true })).status).toBe(200);
    expect((await client.put("/settings/user/theme", { value: "light" })).status).toBe(200);
    const rows = await settingAudits(user.id);
    expect(rows).toEqual([
      {
        organization_id: user.organizationId,
        actor_user_id: user.id,
        target: "organization:overage_enabled",
        ip: client.ip,
        details: expect.any(String),
      },
      {
        organization_id: user.organizationId,
        actor_user_id: user.id,
        target: "user:theme",
        ip: client.ip,
        details: expect.any(String),
      },
    ]);
    expect(JSON.parse(rows[0]!.details)).toEqual({ key: "overage_enabled", scope: "organization", value: true });
    expect(JSON.parse(rows[1]!.details)).toEqual({ key: "theme", scope: "user", value: "light" });
  });

  it("SEC-49: records a system change under no organization", async () => {
    const { client, user } = await signIn("sys_admin");
    expect((await client.put("/settings/system/ai_overage_enabled", { value: true })).status).toBe(200);
    expect(await settingAudits(user.id)).toEqual([
      expect.objectContaining({ organization_id: null, target: "system:ai_overage_enabled" }),
    ]);
    expect((await client.put("/settings/system/ai_overage_enabled", { value: false })).status).toBe(200);
  });

  it("SEC-49: never records the value of a key declared secret", () => {
    const secret: SettingDefinition = { ...SETTING_DEFINITIONS.system.ai_overage_enabled, isSecret: true };
    expect(describeSettingChange("system", "api_key", secret, "sk_live_x")).toEqual({
      key: "api_key",
      scope: "system",
    });
  });
});

describe("readSetting", () => {
  it("is typed by key and returns the default while unset", async () => {
    const db = createDB(env.DB);
    const orgId = crypto.randomUUID();
    expectTypeOf(
      readSetting(testServiceContext({ db }), "organization", orgId, "overage_enabled"),
    ).resolves.toEqualTypeOf<boolean>();
    expectTypeOf(
      readSetting(testServiceContext({ db }), "organization", orgId, "ai_overage_ceiling_tokens"),
    ).resolves.toEqualTypeOf<number>();
    expectTypeOf(readSetting(testServiceContext({ db }), "user", orgId, "theme")).resolves.toEqualTypeOf<
      "light" | "dark" | "system"
    >();
    // @ts-expect-error: a key of another scope does not compile.
    void readSetting(testServiceContext({ db }), "organization", orgId, "ai_overage_enabled").catch(() => undefined);
    expect(await readSetting(testServiceContext({ db }), "organization", orgId, "overage_enabled")).toBe(false);
    expect(await readSetting(testServiceContext({ db }), "organization", orgId, "ai_overage_ceiling_tokens")).toBe(0);
    expect(await readSetting(testServiceContext({ db }), "user", crypto.randomUUID(), "email_notifications")).toBe(
      true,
    );
  });
});

describe("a stored value that no longer matches its declaration (drift)", () => {
  it("falls back to the default with a logged warning, never a 500, and a PUT replaces it", async () => {
    const warnings: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((line: unknown) => void warnings.push(String(line)));
    const { client, user } = await signIn("org_admin");
    const orgId = user.organizationId;
    const insert = env.DB.prepare(
      "INSERT INTO setting (scope, scope_id, key, value, updated_at) VALUES ('organization', ?, ?, ?, ?)",
    );
    await env.DB.batch([
      insert.bind(orgId, "overage_enabled", '"yes"', Date.now()),
      insert.bind(orgId, "ai_overage_ceiling_tokens", "not json at all", Date.now()),
    ]);

    for (const [key, fallback] of [
      ["overage_enabled", false],
      ["ai_overage_ceiling_tokens", 0],
    ] as const) {
      const response = await client.get(`/settings/organization/${key}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ key, value: fallback, updated_at: null });
    }
    const db = createDB(env.DB);
    expect(await readSetting(testServiceContext({ db }), "organization", orgId, "overage_enabled")).toBe(false);
    expect(await readSetting(testServiceContext({ db }), "organization", orgId, "ai_overage_ceiling_tokens")).toBe(0);

    const drifts = warnings
      .filter((line) => line.includes('"setting_drift"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(drifts).toContainEqual(
      expect.objectContaining({ level: "warn", scope: "organization", scope_id: orgId, key: "overage_enabled" }),
    );
    expect(drifts).toContainEqual(expect.objectContaining({ key: "ai_overage_ceiling_tokens" }));
    // The warning names the row, not what is in it.
    expect(warnings.join("\n")).not.toContain("not json at all");

    expect((await client.put("/settings/organization/overage_enabled", { value: true })).status).toBe(200);
    expect(await readSetting(testServiceContext({ db }), "organization", orgId, "overage_enabled")).toBe(true);
  });
});

describe("limits the platform controls (SEC-61)", () => {
  const CEILING = "/settings/organization/ai_overage_ceiling_tokens";
  const MAX = "/settings/system/ai_overage_ceiling_max_tokens";

  it("SEC-61 an org_admin cannot raise ai_overage_ceiling_tokens past the system bound: 2^53 and bound + 1 are 422, nothing is written", async () => {
    const { client } = await signIn("org_admin");
    const bound = await readSetting(testServiceContext(), "system", "", "ai_overage_ceiling_max_tokens");
    expect(bound).toBe(SETTING_DEFINITIONS.system.ai_overage_ceiling_max_tokens.default);
    const before = await writtenState();
    for (const value of [2 ** 53, 2 ** 53 - 1, MAX_TOKEN_SETTING + 1, bound + 1]) {
      const body = await expectError(await client.put(CEILING, { value }), 422, "VALIDATION_ERROR");
      expect(body.error.details?.fields?.[0]?.field).toBe("value");
    }
    const refused = await expectError(await client.put(CEILING, { value: bound + 1 }), 422, "VALIDATION_ERROR");
    expect(refused.error.details?.fields?.[0]?.message).toContain(`at most ${bound}`);
    expect(await writtenState()).toEqual(before);
    expect((await client.put(CEILING, { value: bound })).status).toBe(200);
  });

  it("SEC-61 the org_admin cannot move the bound itself; a sys_admin can, and a value set before a lower bound is clamped to it, for the ledger too", async () => {
    const orgAdmin = await signIn("org_admin");
    const sysAdmin = await signIn("sys_admin");
    await expectError(await orgAdmin.client.put(MAX, { value: 2 ** 40 }), 403, "FORBIDDEN");
    expect((await orgAdmin.client.put(CEILING, { value: 250_000 })).status).toBe(200);
    try {
      expect((await sysAdmin.client.put(MAX, { value: 500 })).status).toBe(200);
      const shown = (await (await orgAdmin.client.get(CEILING)).json()) as { value: number };
      expect(shown.value).toBe(500);
      const policy = await loadLedgerPolicy(testServiceContext(), orgAdmin.user.organizationId);
      expect(policy.limits.overageCeiling).toBe(500);
    } finally {
      await sysAdmin.client.put(MAX, { value: SETTING_DEFINITIONS.system.ai_overage_ceiling_max_tokens.default });
    }
    const policy = await loadLedgerPolicy(testServiceContext(), orgAdmin.user.organizationId);
    expect(policy.limits.overageCeiling).toBe(250_000);
  });

  it("SEC-61 the bound is a token count: negative, fractional and past MAX_TOKEN_SETTING values are 422 for the sys_admin too", async () => {
    const { client } = await signIn("sys_admin");
    for (const value of [-1, 1.5, MAX_TOKEN_SETTING + 1, 2 ** 53]) {
      await expectError(await client.put(MAX, { value }), 422, "VALIDATION_ERROR");
    }
  });
});
