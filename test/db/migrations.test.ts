// Migrations that move data are tested on a database filled by the schema before them: apply the
// migrations up to the previous one, insert rows the way that schema stored them, apply the rest,
// and check nothing was lost.
import { applyD1Migrations, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";

const db = env.MIGRATION_TEST_DB;

/** The migrations before the one named `name` (the lead may renumber them; the name stays). */
function migrationsBefore(name: string) {
  const index = env.TEST_MIGRATIONS.findIndex((migration) => migration.name.endsWith(`_${name}.sql`));
  if (index < 0) throw new Error(`no migration named ${name}`);
  return env.TEST_MIGRATIONS.slice(0, index);
}

async function all<T>(query: string): Promise<T[]> {
  return (await db.prepare(query).all<T>()).results;
}

describe("migration memberships: user.organization_id and user.role move into membership", () => {
  const now = 1_700_000_000_000;
  beforeAll(async () => {
    await applyD1Migrations(db, migrationsBefore("memberships"));
    const user = (id: string, org: string, role: string, verified: number | null) =>
      db
        .prepare(
          `INSERT INTO "user" (id, organization_id, email, password_hash, first_name, last_name, role,
             email_verified_at, suspended_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
        )
        .bind(id, org, `${id}@example.com`, `$argon2id$${id}`, `First ${id}`, null, role, verified, now + 1, now + 2);
    await db.batch([
      db
        .prepare("INSERT INTO organization (id, name, created_at) VALUES ('org-a', 'A', ?), ('org-b', 'B', ?)")
        .bind(now, now),
      user("admin", "org-a", "org_admin", now),
      user("member", "org-a", "member", now),
      user("reader", "org-a", "readonly", null),
      user("platform", "org-b", "sys_admin", now),
      db.prepare(
        `INSERT INTO session (id, token_hash, user_id, created_at, authenticated_at, expires_at, user_agent, ip) VALUES
           ('s-admin', 'h-admin', 'admin', 1, 5, 9, 'ua', '192.0.2.1'), ('s-platform', 'h-platform', 'platform', 2, 0, 9, NULL, NULL)`,
      ),
      db.prepare(
        `INSERT INTO email_token (id, token_hash, user_id, purpose, created_at, expires_at, used_at)
           VALUES ('t-reader', 'h-t', 'reader', 'verify_email', 1, 9, NULL)`,
      ),
      db.prepare(
        `INSERT INTO oauth_account (id, provider, subject, user_id, email, created_at)
           VALUES ('o-member', 'google', 'sub-1', 'member', 'member@example.com', 1)`,
      ),
      db.prepare(
        `INSERT INTO passkey (id, user_id, credential_id, public_key, counter, transports, name, created_at, last_used_at)
           VALUES ('p-admin', 'admin', 'cred-1', 'pk', 3, '[]', 'laptop', 1, NULL)`,
      ),
      db.prepare(
        `INSERT INTO webauthn_challenge (challenge, ceremony, user_id, expires_at) VALUES ('c-1', 'registration', 'admin', 9)`,
      ),
      db.prepare(
        `INSERT INTO totp_credential (user_id, encrypted_secret, confirmed_at, last_used_step, created_at)
           VALUES ('admin', 'enc', 1, 7, 1)`,
      ),
      db.prepare(
        `INSERT INTO recovery_code (id, user_id, code_hash, created_at, used_at) VALUES ('r-1', 'admin', 'h', 1, NULL)`,
      ),
      db.prepare(
        `INSERT INTO mfa_pending_login (id, token_hash, user_id, first_factor, attempts_left, created_at, expires_at)
           VALUES ('m-1', 'h-m', 'admin', 'password', 5, 1, 9)`,
      ),
      db.prepare(
        `INSERT INTO note (id, organization_id, created_by_user_id, title, content, created_at, updated_at)
           VALUES ('n-1', 'org-a', 'member', 'kept', 'body', 1, 1)`,
      ),
    ]);
    await applyD1Migrations(db, env.TEST_MIGRATIONS);
  });

  it("keeps every account field, and sys_admin becomes the user's platform attribute", async () => {
    expect(
      await all(
        `SELECT id, email, password_hash, first_name, last_name, is_sys_admin, email_verified_at, suspended_at,
           created_at, updated_at FROM "user" ORDER BY id`,
      ),
    ).toEqual(
      ["admin", "member", "platform", "reader"].map((id) => ({
        id,
        email: `${id}@example.com`,
        password_hash: `$argon2id$${id}`,
        first_name: `First ${id}`,
        last_name: null,
        is_sys_admin: id === "platform" ? 1 : 0,
        email_verified_at: id === "reader" ? null : now,
        suspended_at: null,
        created_at: now + 1,
        updated_at: now + 2,
      })),
    );
  });

  it("gives every user one membership with their role (a sys_admin is org_admin of its organization)", async () => {
    expect(
      await all("SELECT user_id, organization_id, role, created_at, last_active_at FROM membership ORDER BY user_id"),
    ).toEqual([
      { user_id: "admin", organization_id: "org-a", role: "org_admin", created_at: now + 1, last_active_at: now + 1 },
      { user_id: "member", organization_id: "org-a", role: "member", created_at: now + 1, last_active_at: now + 1 },
      {
        user_id: "platform",
        organization_id: "org-b",
        role: "org_admin",
        created_at: now + 1,
        last_active_at: now + 1,
      },
      { user_id: "reader", organization_id: "org-a", role: "readonly", created_at: now + 1, last_active_at: now + 1 },
    ]);
  });

  it("keeps sessions (acting in the user's organization), tokens, Google links, passkeys, second factors and note authors", async () => {
    expect(
      await all(
        "SELECT id, token_hash, user_id, active_organization_id, created_at, authenticated_at, expires_at, user_agent, ip FROM session ORDER BY id",
      ),
    ).toEqual([
      {
        id: "s-admin",
        token_hash: "h-admin",
        user_id: "admin",
        active_organization_id: "org-a",
        created_at: 1,
        authenticated_at: 5,
        expires_at: 9,
        user_agent: "ua",
        ip: "192.0.2.1",
      },
      {
        id: "s-platform",
        token_hash: "h-platform",
        user_id: "platform",
        active_organization_id: "org-b",
        created_at: 2,
        authenticated_at: 0,
        expires_at: 9,
        user_agent: null,
        ip: null,
      },
    ]);
    expect(await all("SELECT id, user_id FROM email_token")).toEqual([{ id: "t-reader", user_id: "reader" }]);
    expect(await all("SELECT id, user_id FROM oauth_account")).toEqual([{ id: "o-member", user_id: "member" }]);
    expect(await all("SELECT id, user_id, counter FROM passkey")).toEqual([
      { id: "p-admin", user_id: "admin", counter: 3 },
    ]);
    expect(await all("SELECT challenge, user_id FROM webauthn_challenge")).toEqual([
      { challenge: "c-1", user_id: "admin" },
    ]);
    expect(await all("SELECT id, created_by_user_id FROM note")).toEqual([{ id: "n-1", created_by_user_id: "member" }]);
  });

  it("leaves no helper table behind, and the foreign keys hold", async () => {
    expect(await all("SELECT name FROM sqlite_master WHERE name LIKE '\\_\\_%' ESCAPE '\\'")).toEqual([]);
    expect(await all("PRAGMA foreign_key_check")).toEqual([]);
    // The cascade still works on the rebuilt table: deleting a user takes its rows with it.
    await db.prepare(`DELETE FROM "user" WHERE id = 'member'`).run();
    expect(await all("SELECT id FROM oauth_account")).toEqual([]);
    expect(await all("SELECT user_id FROM membership WHERE user_id = 'member'")).toEqual([]);
    expect(await all("SELECT created_by_user_id FROM note")).toEqual([{ created_by_user_id: null }]);
  });
});
