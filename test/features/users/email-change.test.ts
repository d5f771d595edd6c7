// POST /users/me/email and /users/me/email/confirm (API.md "Account lifecycle", SEC-69, SEC-78).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { auditActions, countRows, insertUser } from "../../helpers/factories";
import { createClient } from "../../helpers/client";
import { readEmailedToken, readOutbox, uniqueEmail } from "../../helpers/accounts";
import { ageSignIn, type SignedInUser, signedInUser } from "./lifecycle-helpers";

const CONFIRM_PATH = "/confirm-email-change";

async function emailOf(userId: string): Promise<string | undefined> {
  const row = await env.DB.prepare(`SELECT email FROM "user" WHERE id = ?`).bind(userId).first<{ email: string }>();
  return row?.email;
}

/** Asks for the change with the password and returns the emailed token. */
async function requestChange(user: SignedInUser, newEmail: string): Promise<string> {
  const response = await user.client.post("/users/me/email", { new_email: newEmail, current_password: user.password });
  expect(response.status).toBe(202);
  return readEmailedToken(user.client, newEmail, CONFIRM_PATH);
}

describe("email change", () => {
  it("SEC-78: the link goes to the new address, a notice to the old one; confirming moves the account, revokes every session and keeps the Google link", async () => {
    const user = await signedInUser();
    const other = createClient();
    await other.post("/auth/login", { email: user.email, password: user.password });
    await env.DB.prepare(
      "INSERT INTO oauth_account (id, provider, subject, user_id, email, created_at) VALUES (?, 'google', ?, ?, ?, ?)",
    )
      .bind(crypto.randomUUID(), `sub-${user.id}`, user.id, user.email, Date.now())
      .run();
    const newEmail = uniqueEmail("moved");

    const token = await requestChange(user, ` ${newEmail.toUpperCase()} `);
    const notices = await readOutbox(user.client, user.email);
    expect(notices.map((m) => m.subject)).toContain("A change of your email address was requested");
    expect(notices.flatMap((m) => m.links).some((link) => link.includes(CONFIRM_PATH))).toBe(false);
    expect(await emailOf(user.id)).toBe(user.email);

    const confirm = await createClient().post("/users/me/email/confirm", { token });
    expect(confirm.status).toBe(200);
    expect(await emailOf(user.id)).toBe(newEmail);
    expect((await user.client.get("/users/me")).status).toBe(401);
    expect((await other.get("/users/me")).status).toBe(401);
    expect(await countRows("session", "user_id = ?", user.id)).toBe(0);
    expect((await readOutbox(user.client, user.email)).map((m) => m.subject)).toContain(
      "Your email address was changed",
    );
    expect((await createClient().post("/auth/login", { email: newEmail, password: user.password })).status).toBe(200);
    expect((await createClient().post("/auth/login", { email: user.email, password: user.password })).status).toBe(401);
    expect(await countRows("oauth_account", "user_id = ? AND subject = ?", user.id, `sub-${user.id}`)).toBe(1);
    expect(await auditActions(user.id)).toEqual(expect.arrayContaining(["email_change_requested", "email_changed"]));
  });

  it("SEC-78: a token used twice, expired, or for an address taken meanwhile changes nothing", async () => {
    const user = await signedInUser();
    const first = uniqueEmail("first");
    const token = await requestChange(user, first);
    expect((await createClient().post("/users/me/email/confirm", { token })).status).toBe(200);
    const again = await createClient().post("/users/me/email/confirm", { token });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: { code: "INVALID_TOKEN" } });
    expect(await emailOf(user.id)).toBe(first);

    const moved = { ...user, email: first };
    await moved.client.post("/auth/login", { email: first, password: user.password });
    const expiredToken = await requestChange(moved, uniqueEmail("late"));
    await env.DB.prepare("UPDATE email_token SET expires_at = ? WHERE user_id = ? AND used_at IS NULL")
      .bind(Date.now() - 1, user.id)
      .run();
    expect((await createClient().post("/users/me/email/confirm", { token: expiredToken })).status).toBe(400);

    const wanted = uniqueEmail("wanted");
    const takenToken = await requestChange(moved, wanted);
    await insertUser({ email: wanted, passwordHash: null });
    const taken = await createClient().post("/users/me/email/confirm", { token: takenToken });
    expect(taken.status).toBe(409);
    expect(await taken.json()).toMatchObject({ error: { code: "CONFLICT" } });
    expect(await emailOf(user.id)).toBe(first);
    expect((await moved.client.get("/users/me")).status).toBe(200);
  });

  it("SEC-78: a new request replaces the earlier link", async () => {
    const user = await signedInUser();
    const older = await requestChange(user, uniqueEmail("older"));
    const newer = await requestChange(user, uniqueEmail("newer"));
    expect((await createClient().post("/users/me/email/confirm", { token: older })).status).toBe(400);
    expect((await createClient().post("/users/me/email/confirm", { token: newer })).status).toBe(200);
  });

  it("SEC-69: without the password an older sign-in is 401 REAUTH_REQUIRED and nothing is issued; a recent one needs none", async () => {
    const user = await signedInUser();
    const recent = await user.client.post("/users/me/email", { new_email: uniqueEmail("recent") });
    expect(recent.status).toBe(202);
    await ageSignIn(user.id);
    const tokensBefore = await countRows("email_token", "user_id = ?", user.id);
    const stale = await user.client.post("/users/me/email", { new_email: uniqueEmail("stale") });
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ error: { code: "REAUTH_REQUIRED" } });
    const wrong = await user.client.post("/users/me/email", {
      new_email: uniqueEmail("wrong"),
      current_password: "not the password",
    });
    expect(wrong.status).toBe(422);
    expect(await countRows("email_token", "user_id = ?", user.id)).toBe(tokensBefore);
  });

  it("sends no link to an address that already has an account, with the same 202", async () => {
    const user = await signedInUser();
    const owner = await insertUser({ passwordHash: null });
    const response = await user.client.post("/users/me/email", {
      new_email: owner.email,
      current_password: user.password,
    });
    expect(response.status).toBe(202);
    expect(await readOutbox(user.client, owner.email)).toEqual([]);
  });
});
