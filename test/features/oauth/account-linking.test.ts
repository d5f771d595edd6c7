// Who a Google identity signs in as (SEC-40, SEC-41): keyed by (provider, subject), linked by email
// only on email_verified: true, unverified accounts claimed in one batch, B2B only by invitation,
// suspended users and organizations refused. Every sign-in goes through the real provider.
import { env } from "cloudflare:test";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { createClient } from "../../helpers/client";
import { GOOD_PASSWORD, readEmailedToken, uniqueEmail } from "../../helpers/accounts";
import { auditActions, countRows, insertUser } from "../../helpers/factories";
import { readDBState } from "../../helpers/db-state";
import { roleOf, signIn } from "../../helpers/orgs";
import { hashToken } from "../../../src/lib/crypto";
import {
  WEB_BASE_URL,
  authorizeAtProvider,
  followCallback,
  googleClient,
  loginErrorOf,
  registerGoogleAccount,
  signInWithGoogle,
  startSignIn,
} from "../../helpers/google";

interface Me {
  id: string;
  email: string;
  role: string;
  organization_id: string;
  email_verified: boolean;
  has_password: boolean;
}

async function signInAndReadMe(
  account: { subject: string; email: string },
  options: { mode?: "b2b"; invitationToken?: string } = {},
): Promise<Me> {
  const client = googleClient(options.mode ? { env: { MODE: options.mode } } : {});
  const response = await signInWithGoogle(
    account,
    client,
    options.invitationToken ? { invitationToken: options.invitationToken } : {},
  );
  expect(response.headers.get("location"), await response.clone().text()).toBe(`${WEB_BASE_URL}/`);
  const me = await client.get("/users/me");
  expect(me.status).toBe(200);
  return (await me.json()) as Me;
}

/** `owner` invites `email`; the token of the emailed link. */
async function invite(owner: { email: string; password: string }, email: string, role = "member"): Promise<string> {
  expect((await (await signIn(owner)).post("/invitations", { email, role })).status).toBe(201);
  return readEmailedToken(createClient(), email, "/accept-invitation");
}

async function userRow(id: string) {
  return env.DB.prepare(
    `SELECT u.password_hash, u.email_verified_at, m.organization_id, m.role
     FROM "user" u JOIN membership m ON m.user_id = u.id WHERE u.id = ? ORDER BY m.last_active_at DESC`,
  )
    .bind(id)
    .first<{ password_hash: string | null; email_verified_at: number | null; organization_id: string; role: string }>();
}

describe("SEC-41: first sign-in", () => {
  it("SEC-41: an unknown email in B2C creates a verified, password-less org_admin of a new organization", async () => {
    const account = await registerGoogleAccount({ givenName: "Grace", familyName: "Hopper" });
    const before = await countRows("organization");
    const me = await signInAndReadMe(account);
    expect(me).toMatchObject({ email: account.email, role: "org_admin", email_verified: true, has_password: false });
    expect(await countRows("organization")).toBe(before + 1);
    expect(
      await countRows("organization", "id = ? AND name = ?", me.organization_id, "Grace Hopper's organization"),
    ).toBe(1);
    expect(await auditActions(me.id)).toEqual(["signup", "oauth_login_succeeded"]);
  });

  it("SEC-41: an existing verified account is linked: same user, same organization, password kept", async () => {
    const existing = await insertUser({ role: "member" });
    const account = await registerGoogleAccount({ email: existing.email });
    const me = await signInAndReadMe(account);
    expect(me).toMatchObject({
      id: existing.id,
      organization_id: existing.organizationId,
      role: "member",
      has_password: true,
    });
    expect(
      await countRows(
        "oauth_account",
        "user_id = ? AND subject = ? AND email = ?",
        existing.id,
        account.subject,
        existing.email,
      ),
    ).toBe(1);
    expect(
      (await createClient().post("/auth/login", { email: existing.email, password: existing.password })).status,
    ).toBe(200);
    expect(await auditActions(existing.id)).toEqual([
      "oauth_account_linked",
      "oauth_login_succeeded",
      "login_succeeded",
    ]);
  });

  it("SEC-41: an existing unverified account is claimed in one batch: password removed, sessions revoked, email verified, link inserted", async () => {
    // Someone registered the address without owning the mailbox, and holds a session somehow.
    const squatter = await insertUser({ verified: false, role: "org_admin" });
    const staleSession = crypto.randomUUID();
    await env.DB.prepare(
      `INSERT INTO session (id, token_hash, user_id, active_organization_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
    )
      .bind(
        staleSession,
        `stale-${staleSession}`,
        squatter.id,
        squatter.organizationId,
        Date.now(),
        Date.now() + 3_600_000,
      )
      .run();
    const account = await registerGoogleAccount({ email: squatter.email });
    const me = await signInAndReadMe(account);

    expect(me).toMatchObject({ id: squatter.id, email_verified: true, has_password: false });
    const row = await userRow(squatter.id);
    expect(row?.password_hash).toBeNull();
    expect(row?.email_verified_at).not.toBeNull();
    expect(await countRows("session", "id = ?", staleSession)).toBe(0);
    expect(await countRows("session", "user_id = ?", squatter.id)).toBe(1); // the new one only
    expect(await countRows("oauth_account", "user_id = ? AND subject = ?", squatter.id, account.subject)).toBe(1);
    const login = await createClient().post("/auth/login", { email: squatter.email, password: squatter.password });
    expect(login.status).toBe(401);
    expect(await auditActions(squatter.id)).toContain("oauth_account_claimed");
  });

  const refusedClaims: [string, unknown][] = [
    ["false", false],
    ['the string "false"', "false"],
    ['the string "true"', "true"],
    ["missing", "omit"],
  ];
  for (const [label, claim] of refusedClaims) {
    it(`SEC-41: email_verified ${label} is refused: no account created, none linked or claimed`, async () => {
      const unverifiedHolder = await insertUser({ verified: false });
      for (const email of [uniqueEmail("new"), unverifiedHolder.email]) {
        const account = await registerGoogleAccount({ email, emailVerified: claim });
        const before = await readDBState();
        const links = await countRows("oauth_account");
        expect(loginErrorOf(await signInWithGoogle(account))).toBe("email_not_verified");
        expect(await readDBState()).toEqual(before);
        expect(await countRows("oauth_account")).toBe(links);
      }
      expect((await userRow(unverifiedHolder.id))?.password_hash).not.toBeNull();
    });
  }

  it("SEC-41: B2B without a pending invitation is refused (not_invited) and creates nothing", async () => {
    const account = await registerGoogleAccount();
    const before = await readDBState();
    expect(loginErrorOf(await signInWithGoogle(account, googleClient({ env: { MODE: "b2b" } })))).toBe("not_invited");
    expect(await readDBState()).toEqual(before);
  });

  it("SEC-41, SEC-38: B2B started from an invitation link accepts it: the account joins the inviting organization with the invited role", async () => {
    const owner = await insertUser({ role: "org_admin" });
    const email = uniqueEmail("invited");
    const invitationToken = await invite(owner, email);
    const me = await signInAndReadMe(await registerGoogleAccount({ email }), { mode: "b2b", invitationToken });
    expect(me).toMatchObject({
      email,
      organization_id: owner.organizationId,
      role: "member",
      has_password: false,
      email_verified: true,
    });
    expect(await countRows("invitation", "email = ? AND accepted_at IS NOT NULL", email)).toBe(1);
    expect(await auditActions(me.id)).toEqual(["invitation_accepted", "oauth_login_succeeded"]);
  });

  it("SEC-41: an existing verified account links in B2B too (the invitation rule is for new accounts)", async () => {
    const existing = await insertUser({ role: "readonly" });
    const me = await signInAndReadMe(await registerGoogleAccount({ email: existing.email }), { mode: "b2b" });
    expect(me.id).toBe(existing.id);
  });
});

describe("SEC-40: keyed by (provider, subject), not by email", () => {
  it("SEC-40: a linked Google account whose email changed still signs in as its user", async () => {
    const account = await registerGoogleAccount();
    const first = await signInAndReadMe(account);
    const renamed = await registerGoogleAccount({ subject: account.subject, email: uniqueEmail("renamed") });
    const again = await signInAndReadMe(renamed);
    expect(again).toMatchObject({ id: first.id, email: account.email });
    expect(await auditActions(first.id)).toEqual(["signup", "oauth_login_succeeded", "oauth_login_succeeded"]);
  });

  it("SEC-40: a second Google account with the email of an already linked user is refused (account_conflict)", async () => {
    const account = await registerGoogleAccount();
    const me = await signInAndReadMe(account);
    const other = await registerGoogleAccount({ email: account.email });
    expect(loginErrorOf(await signInWithGoogle(other))).toBe("account_conflict");
    expect(await countRows("oauth_account", "user_id = ?", me.id)).toBe(1);
  });
});

describe("SEC-24, SEC-41: suspended users and organizations", () => {
  it("a suspended user is refused, linked or not, and gets no session", async () => {
    const user = await insertUser({ role: "member" });
    const linked = await registerGoogleAccount({ email: user.email });
    await signInAndReadMe(linked);
    await env.DB.prepare(`UPDATE "user" SET suspended_at = ? WHERE id = ?`).bind(Date.now(), user.id).run();
    const sessions = await countRows("session", "user_id = ?", user.id);
    expect(loginErrorOf(await signInWithGoogle(linked))).toBe("account_suspended");

    const unlinked = await insertUser({ role: "member" });
    await env.DB.prepare(`UPDATE "user" SET suspended_at = ? WHERE id = ?`).bind(Date.now(), unlinked.id).run();
    expect(loginErrorOf(await signInWithGoogle(await registerGoogleAccount({ email: unlinked.email })))).toBe(
      "account_suspended",
    );
    expect(await countRows("session", "user_id = ?", user.id)).toBe(sessions);
    expect(await countRows("oauth_account", "user_id = ?", unlinked.id)).toBe(0);
  });

  it("a member of a suspended organization is refused (organization_suspended)", async () => {
    const user = await insertUser({ role: "member" });
    await env.DB.prepare(`UPDATE organization SET suspended_at = ? WHERE id = ?`)
      .bind(Date.now(), user.organizationId)
      .run();
    expect(loginErrorOf(await signInWithGoogle(await registerGoogleAccount({ email: user.email })))).toBe(
      "organization_suspended",
    );
  });

  it("B2B: an invitation into a suspended organization is refused (organization_suspended)", async () => {
    const owner = await insertUser({ role: "org_admin" });
    const email = uniqueEmail("invited");
    const invitationToken = await invite(owner, email);
    await env.DB.prepare(`UPDATE organization SET suspended_at = ? WHERE id = ?`)
      .bind(Date.now(), owner.organizationId)
      .run();
    const response = await signInWithGoogle(
      await registerGoogleAccount({ email }),
      googleClient({ env: { MODE: "b2b" } }),
      { invitationToken },
    );
    expect(loginErrorOf(response)).toBe("organization_suspended");
    expect(await countRows("user", "email = ?", email)).toBe(0);
  });
});

describe("accounts without a password", () => {
  it("/password/update tells a Google account it has no password (409), and nothing changes", async () => {
    const account = await registerGoogleAccount();
    const client = googleClient();
    await signInWithGoogle(account, client);
    const response = await client.post("/password/update", {
      current_password: GOOD_PASSWORD,
      new_password: `${GOOD_PASSWORD}!`,
    });
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({
      error: { code: "CONFLICT", message: expect.stringContaining("signs in with Google and has no password") },
    });
  });
});

describe("SEC-62: Google sign-in accepts the invitation the person clicked, carried in the signed state", () => {
  const b2b = () => googleClient({ env: { MODE: "b2b" } });

  it("SEC-62: B2B without an invitation link is refused (not_invited) even when the email has a pending invitation, which stays pending", async () => {
    const owner = await insertUser({ role: "org_admin" });
    const email = uniqueEmail("invited");
    await invite(owner, email);
    const before = await readDBState();
    expect(loginErrorOf(await signInWithGoogle(await registerGoogleAccount({ email }), b2b()))).toBe("not_invited");
    expect(await readDBState()).toEqual(before);
    expect(await countRows("invitation", "email = ? AND accepted_at IS NULL AND revoked_at IS NULL", email)).toBe(1);
  });

  it("SEC-62: with pending invitations from two organizations, the one whose link was clicked is accepted, not the newest", async () => {
    const clicked = await insertUser({ role: "org_admin" });
    const newer = await insertUser({ role: "org_admin" });
    const email = uniqueEmail("invited-twice");
    const invitationToken = await invite(clicked, email, "readonly");
    await invite(newer, email, "org_admin");
    const me = await signInAndReadMe(await registerGoogleAccount({ email }), { mode: "b2b", invitationToken });
    expect(me).toMatchObject({ organization_id: clicked.organizationId, role: "readonly" });
    expect(
      await countRows(
        "invitation",
        "email = ? AND organization_id = ? AND accepted_at IS NULL AND revoked_at IS NULL",
        email,
        newer.organizationId,
      ),
    ).toBe(1);
  });

  it("SEC-62: B2C started from an invitation link joins the inviting organization instead of creating one", async () => {
    const owner = await insertUser({ role: "org_admin" });
    const email = uniqueEmail("invited-b2c");
    const invitationToken = await invite(owner, email, "member");
    const organizations = await countRows("organization");
    const me = await signInAndReadMe(await registerGoogleAccount({ email }), { invitationToken });
    expect(me).toMatchObject({ organization_id: owner.organizationId, role: "member", has_password: false });
    expect(await countRows("organization")).toBe(organizations);
  });

  it("SEC-62: the clicked invitation, sent to another address, is refused (not_invited) and nothing is written, in B2C too", async () => {
    const owner = await insertUser({ role: "org_admin" });
    const invitationToken = await invite(owner, uniqueEmail("invited"));
    for (const client of [b2b(), googleClient()]) {
      const stranger = await registerGoogleAccount();
      const before = await readDBState();
      expect(loginErrorOf(await signInWithGoogle(stranger, client, { invitationToken }))).toBe("not_invited");
      expect(await readDBState()).toEqual(before);
    }
  });

  it("SEC-62: the clicked invitation revoked between start and callback is refused, and another pending one for the email is not used instead", async () => {
    const clicked = await insertUser({ role: "org_admin" });
    const other = await insertUser({ role: "org_admin" });
    const email = uniqueEmail("revoked-meanwhile");
    const invitationToken = await invite(clicked, email);
    await invite(other, email);
    const account = await registerGoogleAccount({ email });
    const client = b2b();
    const authorizeURL = await startSignIn(client, { invitationToken });
    await env.DB.prepare("UPDATE invitation SET revoked_at = ? WHERE organization_id = ? AND email = ?")
      .bind(Date.now(), clicked.organizationId, email)
      .run();
    const before = await readDBState();
    expect(loginErrorOf(await followCallback(client, await authorizeAtProvider(authorizeURL, account.subject)))).toBe(
      "not_invited",
    );
    expect(await readDBState()).toEqual(before);
  });

  it("SEC-62: the signed state carries the invitation's id, never the link's token, and nothing of the token reaches the provider's URL", async () => {
    const owner = await insertUser({ role: "org_admin" });
    const invitationToken = await invite(owner, uniqueEmail("bound"));
    const row = await env.DB.prepare("SELECT id FROM invitation WHERE token_hash = ?")
      .bind(await hashToken(invitationToken))
      .first<{ id: string }>();
    const authorizeURL = await startSignIn(b2b(), { invitationToken });
    expect(decodeJwt(authorizeURL.searchParams.get("state")!).inv).toBe(row!.id);
    expect(authorizeURL.toString()).not.toContain(invitationToken);
    // Without a link, the state binds nothing.
    expect(decodeJwt((await startSignIn(b2b())).searchParams.get("state")!)).not.toHaveProperty("inv");
  });

  it("SEC-62: the start route refuses an invitation token that names no pending invitation (400 INVALID_TOKEN) and sets no cookie", async () => {
    const owner = await insertUser({ role: "org_admin" });
    const revoked = await invite(owner, uniqueEmail("revoked"));
    await env.DB.prepare("UPDATE invitation SET revoked_at = ? WHERE organization_id = ?")
      .bind(Date.now(), owner.organizationId)
      .run();
    for (const token of [revoked, "F".repeat(43), "not a token"]) {
      const client = b2b();
      const response = await client.get(
        `/auth/oauth/google/authorize-url?invitation_token=${encodeURIComponent(token)}`,
      );
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("INVALID_TOKEN");
      expect(response.headers.getSetCookie()).toEqual([]);
    }
  });

  it("SEC-77: an existing account signing in from an invitation link joins that organization and acts in it", async () => {
    const owner = await insertUser({ role: "org_admin" });
    const existing = await insertUser({ role: "member" });
    const invitationToken = await invite(owner, existing.email, "org_admin");
    const me = await signInAndReadMe(await registerGoogleAccount({ email: existing.email }), {
      mode: "b2b",
      invitationToken,
    });
    expect(me).toMatchObject({
      id: existing.id,
      organization_id: owner.organizationId,
      role: "org_admin",
      organizations_count: 2,
    });
    expect(await countRows("invitation", "email = ? AND accepted_at IS NOT NULL", existing.email)).toBe(1);
    // The account keeps its own organization and role there.
    expect(await roleOf(existing.id, existing.organizationId)).toBe("member");
  });
});
