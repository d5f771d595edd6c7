// DELETE /users/me (API.md "Account lifecycle", SEC-69, SEC-79).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createClient } from "../../helpers/client";
import { countRows, insertMembershipStatement } from "../../helpers/factories";
import { fakeStripe } from "../../helpers/fake-stripe";
import { readDBState } from "../../helpers/db-state";
import { ageSignIn, type SignedInUser, signedInUser } from "./lifecycle-helpers";

async function addMember(organizationId: string, role: "member" | "org_admin"): Promise<string> {
  const id = crypto.randomUUID();
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO "user" (id, email, email_verified_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
    ).bind(id, `${id}@example.com`, now, now, now),
    insertMembershipStatement({ userId: id, organizationId, role, now }),
  ]);
  return id;
}

async function insertNote(user: SignedInUser): Promise<string> {
  const id = crypto.randomUUID();
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO note (id, organization_id, created_by_user_id, title, content, created_at, updated_at) VALUES (?, ?, ?, 't', 'c', ?, ?)",
  )
    .bind(id, user.organizationId, user.id, now, now)
    .run();
  return id;
}

function deleteMe(user: SignedInUser, body: Record<string, unknown> = { current_password: user.password }) {
  return user.client.delete("/users/me", { json: body });
}

describe("DELETE /users/me", () => {
  it("SEC-79: erases the account in one batch, deletes the organization it leaves empty and cancels its subscription", async () => {
    const user = await signedInUser();
    const subscriptionId = `sub_${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.batch([
      env.DB.prepare(
        "UPDATE organization SET stripe_subscription_id = ?, subscription_status = 'active' WHERE id = ?",
      ).bind(subscriptionId, user.organizationId),
      env.DB.prepare(
        "INSERT INTO oauth_account (id, provider, subject, user_id, email, created_at) VALUES (?, 'google', ?, ?, ?, ?)",
      ).bind(crypto.randomUUID(), `sub-${user.id}`, user.id, user.email, Date.now()),
      env.DB.prepare(
        "INSERT INTO setting (scope, scope_id, key, value, updated_at) VALUES ('user', ?, 'theme', '\"dark\"', ?)",
      ).bind(user.id, Date.now()),
      env.DB.prepare(
        "INSERT INTO passkey (id, user_id, credential_id, public_key, counter, transports, name, created_at) VALUES (?, ?, ?, 'pk', 0, '[]', 'laptop', ?)",
      ).bind(crypto.randomUUID(), user.id, crypto.randomUUID(), Date.now()),
      // Pending (unconfirmed), so the password alone is still the fresh proof.
      env.DB.prepare(
        "INSERT INTO totp_credential (user_id, encrypted_secret, created_at) VALUES (?, 'sealed', ?)",
      ).bind(user.id, Date.now()),
    ]);
    await insertNote(user);
    const cookie = user.client.cookieHeader();

    const response = await deleteMe(user);
    expect(response.status).toBe(204);
    expect(fakeStripe.canceledSubscriptions.has(subscriptionId)).toBe(true);
    expect(await countRows("user", "id = ?", user.id)).toBe(0);
    expect(await countRows("organization", "id = ?", user.organizationId)).toBe(0);
    expect(await countRows("note", "organization_id = ?", user.organizationId)).toBe(0);
    for (const table of ["session", "oauth_account", "email_token", "passkey", "totp_credential"]) {
      expect(await countRows(table, "user_id = ?", user.id)).toBe(0);
    }
    expect(await countRows("setting", "scope = 'user' AND scope_id = ?", user.id)).toBe(0);
    // Audit rows keep the ids and nothing else about the person.
    expect(await countRows("audit_log", "actor_user_id = ?", user.id)).toBeGreaterThan(0);
    expect(
      await countRows(
        "audit_log",
        "(actor_user_id = ? OR target = ?) AND (ip IS NOT NULL OR details IS NOT NULL)",
        user.id,
        user.id,
      ),
    ).toBe(0);
    expect(await countRows("audit_log", "actor_user_id = ? AND action = 'account_deleted'", user.id)).toBe(1);

    expect((await createClient().get("/users/me", { headers: { cookie } })).status).toBe(401);
    const again = await createClient().post("/auth/signup", { email: user.email, password: user.password });
    expect(again.status).toBe(201);
    expect(await countRows("user", "email = ?", user.email)).toBe(1);
  });

  it("SEC-79: is 409 CONFLICT, with nothing changed, while the caller is the last org_admin of an organization with other members", async () => {
    const user = await signedInUser();
    await addMember(user.organizationId, "member");
    const before = await readDBState();
    const response = await deleteMe(user);
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: "CONFLICT" } });
    expect(await readDBState()).toEqual(before);
    expect((await user.client.get("/users/me")).status).toBe(200);
  });

  it("SEC-79: with another org_admin the organization and its notes live on, without the author", async () => {
    const user = await signedInUser();
    const otherAdmin = await addMember(user.organizationId, "org_admin");
    const noteId = await insertNote(user);
    expect((await deleteMe(user)).status).toBe(204);
    expect(await countRows("organization", "id = ?", user.organizationId)).toBe(1);
    expect(await countRows("user", "id = ?", otherAdmin)).toBe(1);
    expect(await countRows("note", "id = ? AND created_by_user_id IS NULL", noteId)).toBe(1);
  });

  it("SEC-69: an older sign-in without the password is 401 REAUTH_REQUIRED and deletes nothing; a wrong password is 422", async () => {
    const user = await signedInUser();
    await ageSignIn(user.id);
    const stale = await deleteMe(user, {});
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ error: { code: "REAUTH_REQUIRED" } });
    expect((await deleteMe(user, { current_password: "not the password" })).status).toBe(422);
    expect(await countRows("user", "id = ?", user.id)).toBe(1);
    expect((await user.client.get("/users/me")).status).toBe(200);
  });

  it("SEC-69: an account without a password deletes itself within 10 minutes of signing in", async () => {
    const user = await signedInUser();
    await env.DB.prepare(`UPDATE "user" SET password_hash = NULL WHERE id = ?`).bind(user.id).run();
    expect((await deleteMe(user, {})).status).toBe(204);
    expect(await countRows("user", "id = ?", user.id)).toBe(0);
  });
});

describe("DELETE /users/me with Stripe down", () => {
  it("deletes nothing when the subscription cannot be cancelled", async () => {
    const user = await signedInUser();
    await env.DB.prepare("UPDATE organization SET stripe_subscription_id = 'sub_down' WHERE id = ?")
      .bind(user.organizationId)
      .run();
    fakeStripe.outage = "error";
    try {
      expect((await deleteMe(user)).status).toBe(502);
    } finally {
      fakeStripe.outage = "up";
    }
    expect(await countRows("user", "id = ?", user.id)).toBe(1);
    expect(await countRows("organization", "id = ?", user.organizationId)).toBe(1);
  });
});
