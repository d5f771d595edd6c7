import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { createClient } from "../../helpers/client";
import { readEmailedToken, readOutbox, signedInAccount, uniqueEmail } from "../../helpers/accounts";
import { auditActions, countRows, insertUser } from "../../helpers/factories";
import { hashToken } from "../../../src/lib/crypto";

const NEW_PASSWORD = "a brand new passphrase";

async function requestReset(email: string) {
  const client = createClient();
  expect((await client.post("/password/forgot", { email })).status).toBe(202);
  return { client, token: await readEmailedToken(client, email, "/reset-password") };
}

describe("password reset", () => {
  it("SEC-29 forgot-password answers known and unknown addresses the same", async () => {
    const user = await insertUser();
    const known = await createClient().post("/password/forgot", { email: user.email });
    const unknown = await createClient().post("/password/forgot", { email: uniqueEmail() });
    expect(known.status).toBe(202);
    expect(await known.text()).toBe(await unknown.text());
    expect(known.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("SEC-26 a reset token lives 1 hour", async () => {
    const user = await insertUser();
    const { token } = await requestReset(user.email);
    const row = await env.DB.prepare("SELECT created_at, expires_at FROM email_token WHERE token_hash = ?")
      .bind(await hashToken(token))
      .first<{ created_at: number; expires_at: number }>();
    expect(row!.expires_at - row!.created_at).toBe(60 * 60 * 1000);
  });

  it("SEC-23 a completed reset revokes all sessions, does not log in, and notifies the user", async () => {
    const account = await signedInAccount();
    const { client, token } = await requestReset(account.email);
    const response = await client.post("/password/reset", { token, new_password: NEW_PASSWORD });
    expect(response.status).toBe(200);
    // No session: only the device cookie of SEC-55, which signs nobody in.
    const cookies = response.headers.getSetCookie().map((line) => line.slice(0, line.indexOf("=")));
    expect(cookies).toEqual(["login_device"]);
    expect((await client.get("/users/me")).status).toBe(401);
    expect((await account.client.get("/users/me")).status).toBe(401);

    expect(
      (await createClient().post("/auth/login", { email: account.email, password: account.password })).status,
    ).toBe(401);
    expect((await createClient().post("/auth/login", { email: account.email, password: NEW_PASSWORD })).status).toBe(
      200,
    );
    const subjects = (await readOutbox(client, account.email)).map((message) => message.subject);
    expect(subjects[0]).toBe("Your password was changed");
  });

  it("SEC-27 lets exactly one of 10 parallel resets with one token succeed", async () => {
    const user = await insertUser();
    const { token } = await requestReset(user.email);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        createClient().post("/password/reset", { token, new_password: `${NEW_PASSWORD} ${i}` }),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(400)]);
  });

  it("SEC-28 a new reset link invalidates the earlier ones", async () => {
    const user = await insertUser();
    const first = (await requestReset(user.email)).token;
    const second = (await requestReset(user.email)).token;
    expect((await createClient().post("/password/reset", { token: first, new_password: NEW_PASSWORD })).status).toBe(
      400,
    );
    expect((await createClient().post("/password/reset", { token: second, new_password: NEW_PASSWORD })).status).toBe(
      200,
    );
  });

  it("SEC-3 refuses a common new password and keeps the token usable", async () => {
    const user = await insertUser();
    const { token } = await requestReset(user.email);
    expect((await createClient().post("/password/reset", { token, new_password: "qwerty123" })).status).toBe(422);
    expect((await createClient().post("/password/reset", { token, new_password: NEW_PASSWORD })).status).toBe(200);
  });

  it("refuses an expired token like an unknown one and changes nothing", async () => {
    const user = await insertUser();
    const { token } = await requestReset(user.email);
    await env.DB.prepare("UPDATE email_token SET expires_at = ? WHERE token_hash = ?")
      .bind(Date.now() - 1, await hashToken(token))
      .run();
    const expired = await createClient().post("/password/reset", { token, new_password: NEW_PASSWORD });
    const unknown = await createClient().post("/password/reset", { token: "E".repeat(43), new_password: NEW_PASSWORD });
    expect(expired.status).toBe(400);
    expect(await expired.text()).toBe(await unknown.text());
    expect((await createClient().post("/auth/login", { email: user.email, password: user.password })).status).toBe(200);
  });

  it("SEC-9 allows 3 forgot-password requests per hour per IP", async () => {
    const client = createClient();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await client.post("/password/forgot", { email: uniqueEmail() })).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
  });

  it("SEC-56 sends one address at most 3 reset emails an hour from any number of IPs, answering every request alike", async () => {
    const user = await insertUser();
    const unknownEmail = uniqueEmail();
    const known: Response[] = [];
    const unknown: Response[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await createClient().post("/password/forgot", { email: user.email }));
      unknown.push(await createClient().post("/password/forgot", { email: unknownEmail }));
    }
    const first = await known[0]!.text();
    for (const response of [...known.slice(1), ...unknown]) {
      expect(response.status).toBe(202);
      expect(await response.text()).toBe(first);
    }
    const resets = (await readOutbox(createClient(), user.email)).filter((m) => m.subject === "Reset your password");
    expect(resets).toHaveLength(3);
    expect(await countRows("email_token", "user_id = ? AND purpose = 'reset_password'", user.id)).toBe(3);
    // Another address is not affected by this one's limit.
    const other = await insertUser();
    await requestReset(other.email);
  });
});

describe("POST /password/update", () => {
  it("SEC-22 needs the current password, revokes all other sessions and keeps the current one", async () => {
    const account = await signedInAccount();
    const other = createClient();
    await other.post("/auth/login", { email: account.email, password: account.password });

    const response = await account.client.post("/password/update", {
      current_password: account.password,
      new_password: NEW_PASSWORD,
    });
    expect(response.status).toBe(200);
    expect((await account.client.get("/users/me")).status).toBe(200);
    expect((await other.get("/users/me")).status).toBe(401);
    expect((await createClient().post("/auth/login", { email: account.email, password: NEW_PASSWORD })).status).toBe(
      200,
    );
    const user = await env.DB.prepare(`SELECT id FROM "user" WHERE email = ?`)
      .bind(account.email)
      .first<{ id: string }>();
    expect(await auditActions(user!.id)).toContain("password_changed");
  });

  it("SEC-22 with a wrong current password changes nothing", async () => {
    const account = await signedInAccount();
    const other = createClient();
    await other.post("/auth/login", { email: account.email, password: account.password });
    const hashBefore = await env.DB.prepare(`SELECT password_hash FROM "user" WHERE email = ?`)
      .bind(account.email)
      .first();

    const response = await account.client.post("/password/update", {
      current_password: "not my password",
      new_password: NEW_PASSWORD,
    });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({
      error: { code: "VALIDATION_ERROR", details: { fields: [{ field: "current_password" }] } },
    });
    expect((await other.get("/users/me")).status).toBe(200);
    expect(
      await env.DB.prepare(`SELECT password_hash FROM "user" WHERE email = ?`).bind(account.email).first(),
    ).toEqual(hashBefore);
  });

  it("SEC-13 throttles current-password guesses per account, even from many IPs", async () => {
    const account = await signedInAccount();
    const cookie = account.client.cookieHeader();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const client = createClient();
      const response = await client.post(
        "/password/update",
        { current_password: `guess number ${i}`, new_password: NEW_PASSWORD },
        { headers: { cookie } },
      );
      statuses.push(response.status);
    }
    expect(statuses).toEqual([422, 422, 422, 422, 422, 429]);
  });

  it("tells an account without a password (Google sign-in) to use forgot-password", async () => {
    const user = await insertUser();
    const client = createClient();
    await client.post("/auth/login", { email: user.email, password: user.password });
    await env.DB.prepare(`UPDATE "user" SET password_hash = NULL WHERE id = ?`).bind(user.id).run();
    const response = await client.post("/password/update", {
      current_password: "anything at all",
      new_password: NEW_PASSWORD,
    });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/no password/);
  });

  it("is 401 without a session", async () => {
    const response = await createClient().post("/password/update", {
      current_password: "x".repeat(8),
      new_password: NEW_PASSWORD,
    });
    expect(response.status).toBe(401);
    expect(await countRows("audit_log", "action = 'password_changed' AND ip IS NULL")).toBe(0);
  });
});
