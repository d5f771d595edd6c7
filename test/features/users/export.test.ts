// GET /users/me/export (API.md "Account lifecycle", SEC-79): everything about the caller, streamed.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { EXPORT_PAGE_SIZE } from "../../../src/features/users/export-service";
import { createKey, type CreatedKey } from "../../helpers/api-keys";
import { createClient } from "../../helpers/client";
import { type SignedInUser, signedInUser } from "./lifecycle-helpers";

/** More than two pages, and not a multiple of the page size. */
const NOTE_COUNT = EXPORT_PAGE_SIZE * 2 + 17;

const PASSKEY_CREDENTIAL_ID = `cred-${crypto.randomUUID()}`;
const PASSKEY_PUBLIC_KEY = `pubkey-${crypto.randomUUID()}`;

interface Export {
  format: string;
  profile: { id: string; email: string };
  memberships: { organization_id: string; role: string }[];
  oauth_accounts: { provider: string }[];
  sessions: Record<string, unknown>[];
  settings: { key: string }[];
  passkeys: { name: string }[];
  api_keys: Record<string, unknown>[];
  second_factors: { totp_enabled_at: string | null; recovery_codes_left: number };
  notes: { id: string; title: string }[];
  ai_usage: unknown[];
  audit_events: { action: string }[];
}

describe("GET /users/me/export", () => {
  let user: SignedInUser;
  let otherNoteId: string;
  let ownKey: CreatedKey;
  let othersKey: CreatedKey;
  beforeAll(async () => {
    user = await signedInUser();
    const now = Date.now();
    const insertNote = env.DB.prepare(
      "INSERT INTO note (id, organization_id, created_by_user_id, title, content, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    await env.DB.batch(
      Array.from({ length: NOTE_COUNT }, (_, i) =>
        insertNote.bind(crypto.randomUUID(), user.organizationId, user.id, `note ${i}`, "x".repeat(200), now, now),
      ),
    );
    // Someone else's note in the same organization: not the caller's to export.
    const other = await signedInUser();
    otherNoteId = crypto.randomUUID();
    await insertNote.bind(otherNoteId, user.organizationId, other.id, "theirs", "theirs", now, now).run();
    ownKey = await createKey(user.client, { role: "readonly", scopes: ["notes:read"] });
    othersKey = await createKey(other.client);
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO oauth_account (id, provider, subject, user_id, email, created_at) VALUES (?, 'google', ?, ?, ?, ?)",
      ).bind(crypto.randomUUID(), `sub-${user.id}`, user.id, user.email, now),
      env.DB.prepare(
        "INSERT INTO setting (scope, scope_id, key, value, updated_at) VALUES ('user', ?, 'theme', '\"dark\"', ?)",
      ).bind(user.id, now),
      env.DB.prepare(
        "INSERT INTO passkey (id, user_id, credential_id, public_key, counter, transports, name, created_at) VALUES (?, ?, ?, ?, 0, '[]', 'laptop', ?)",
      ).bind(crypto.randomUUID(), user.id, PASSKEY_CREDENTIAL_ID, PASSKEY_PUBLIC_KEY, now),
    ]);
  });

  it("SEC-79: streams everything about the caller over several pages, with no hash, token or secret", async () => {
    const response = await user.client.get("/users/me/export");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const text = await response.text();
    const body = JSON.parse(text) as Export;

    expect(body.format).toBe("rampart-account-export/1");
    expect(body.profile).toMatchObject({ id: user.id, email: user.email });
    expect(body.memberships).toEqual([
      { organization_id: user.organizationId, organization_name: "Org", role: "org_admin" },
    ]);
    expect(body.oauth_accounts).toEqual([expect.objectContaining({ provider: "google" })]);
    expect(body.settings).toEqual([expect.objectContaining({ key: "theme", value: "dark" })]);
    expect(body.passkeys).toEqual([expect.objectContaining({ name: "laptop" })]);
    expect(body.second_factors).toEqual({ totp_enabled_at: null, recovery_codes_left: 0 });
    expect(text).not.toContain(PASSKEY_PUBLIC_KEY);
    expect(text).not.toContain(PASSKEY_CREDENTIAL_ID);
    // The keys the caller created, not another person's; the display prefix, never the key or its hash.
    expect(body.api_keys).toEqual([
      {
        id: ownKey.id,
        organization_id: user.organizationId,
        name: "test key",
        prefix: ownKey.prefix,
        role: "readonly",
        scopes: ["notes:read"],
        created_at: expect.any(String),
        expires_at: null,
        last_used_at: null,
        revoked_at: null,
      },
    ]);
    expect(text).not.toContain(othersKey.id);
    expect(text).not.toContain(ownKey.key);
    expect(body.notes).toHaveLength(NOTE_COUNT);
    expect(new Set(body.notes.map((note) => note.id)).size).toBe(NOTE_COUNT);
    expect(body.notes.some((note) => note.id === otherNoteId)).toBe(false);
    expect(body.sessions).toHaveLength(1);
    expect(body.audit_events.map((event) => event.action)).toContain("login_succeeded");

    const keyHash = await env.DB.prepare("SELECT key_hash AS hash FROM api_key WHERE id = ?")
      .bind(ownKey.id)
      .first<{ hash: string }>();
    expect(text).not.toContain(keyHash!.hash);
    const secrets = await env.DB.prepare(
      `SELECT u.password_hash AS hash, s.token_hash AS token FROM "user" u JOIN session s ON s.user_id = u.id WHERE u.id = ?`,
    )
      .bind(user.id)
      .first<{ hash: string; token: string }>();
    expect(text).not.toContain(secrets!.hash);
    expect(text).not.toContain(secrets!.token);
    expect(text).not.toMatch(/password_hash|token_hash|subject/);
  });

  it("is 401 without a session", async () => {
    expect((await createClient().get("/users/me/export")).status).toBe(401);
  });
});
