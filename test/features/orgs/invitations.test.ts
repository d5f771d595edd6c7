import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { createClient, type TestClient } from "../../helpers/client";
import { GOOD_PASSWORD, readEmailedToken, readOutbox, uniqueEmail } from "../../helpers/accounts";
import { countRows, insertUser } from "../../helpers/factories";
import { createOrganization, inviteAndAccept, roleOf, signIn } from "../../helpers/orgs";
import { readDBState } from "../../helpers/db-state";
import { recordD1 } from "../../helpers/d1-recorder";
import { hashToken } from "../../../src/lib/crypto";

async function invite(inviter: ReturnType<typeof createClient>, role = "member", email = uniqueEmail("invitee")) {
  const response = await inviter.post("/invitations", { email, role });
  return { response, email };
}

describe("invitations", () => {
  it("accepting creates the account in the inviting organization with the invited role, verified and signed in", async () => {
    const org = await createOrganization();
    const { response, email } = await invite(org.admin.client, "readonly");
    expect(response.status).toBe(201);
    const client = createClient();
    const token = await readEmailedToken(client, email, "/accept-invitation");
    const accepted = await client.post("/invitations/accept", { token, password: GOOD_PASSWORD, first_name: "Iris" });
    expect(accepted.status).toBe(201);
    expect(await accepted.json()).toMatchObject({
      email,
      role: "readonly",
      organization_id: org.id,
      email_verified: true,
      first_name: "Iris",
    });
    expect(client.cookies.get("session_id")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await client.get("/users/me")).status).toBe(200);
  });

  it("SEC-26 stores only the SHA-256 of a 32-byte token that expires after 7 days", async () => {
    const org = await createOrganization();
    const { email } = await invite(org.admin.client);
    const token = await readEmailedToken(createClient(), email, "/accept-invitation");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = await env.DB.prepare("SELECT created_at, expires_at FROM invitation WHERE token_hash = ?")
      .bind(await hashToken(token))
      .first<{ created_at: number; expires_at: number }>();
    expect(row!.expires_at - row!.created_at).toBe(7 * 24 * 60 * 60 * 1000);
  });

  it("SEC-27 lets exactly one of 10 parallel accepts of one token succeed", async () => {
    const org = await createOrganization();
    const { email } = await invite(org.admin.client);
    const token = await readEmailedToken(createClient(), email, "/accept-invitation");
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => createClient().post("/invitations/accept", { token, password: GOOD_PASSWORD })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.every((s) => s === 201 || s === 400 || s === 409)).toBe(true);
    expect(await countRows("user", "email = ?", email)).toBe(1);
  });

  it("SEC-38 used, revoked, expired and unknown tokens are indistinguishable", async () => {
    const org = await createOrganization();
    const used = await inviteAndAccept(org.admin.client, "member");
    void used;
    const usedInvite = await invite(org.admin.client);
    const usedToken = await readEmailedToken(createClient(), usedInvite.email, "/accept-invitation");
    await createClient().post("/invitations/accept", { token: usedToken, password: GOOD_PASSWORD });

    const revokedInvite = await invite(org.admin.client);
    const revokedToken = await readEmailedToken(createClient(), revokedInvite.email, "/accept-invitation");
    const { id } = (await revokedInvite.response.json()) as { id: string };
    expect((await org.admin.client.delete(`/invitations/${id}`)).status).toBe(204);

    const expiredInvite = await invite(org.admin.client);
    const expiredToken = await readEmailedToken(createClient(), expiredInvite.email, "/accept-invitation");
    await env.DB.prepare("UPDATE invitation SET expires_at = ? WHERE token_hash = ?")
      .bind(Date.now() - 1, await hashToken(expiredToken))
      .run();

    const bodies = await Promise.all(
      [usedToken, revokedToken, expiredToken, "F".repeat(43)].map(async (token) => {
        const response = await createClient().post("/invitations/accept", { token, password: GOOD_PASSWORD });
        return `${response.status} ${await response.text()}`;
      }),
    );
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]).toMatch(/^400 .*INVALID_TOKEN/);
    expect(await countRows("user", "email IN (?, ?)", revokedInvite.email, expiredInvite.email)).toBe(0);
  });

  it("SEC-34 an invitation's role is at most the inviter's and never sys_admin", async () => {
    const org = await createOrganization();
    expect((await invite(org.admin.client, "sys_admin")).response.status).toBe(422);
    const memberAsAdmin = org.members.org_admin.client;
    expect((await invite(memberAsAdmin, "org_admin")).response.status).toBe(201);
    expect((await invite(org.members.member.client, "readonly")).response.status).toBe(403);
  });

  it("SEC-57: an invited address that already had an account is refused at accept (409) by the link's holder only; nothing is written and the invitation stays pending", async () => {
    const org = await createOrganization();
    const existing = await insertUser({ role: "member" });
    const { response } = await invite(org.admin.client, "member", existing.email);
    expect(response.status).toBe(201);
    const token = await readEmailedToken(createClient(), existing.email, "/accept-invitation");
    const before = await readDBState();
    const accepted = await createClient().post("/invitations/accept", { token, password: GOOD_PASSWORD });
    expect(accepted.status).toBe(409);
    expect(await accepted.json()).toEqual({
      error: { code: "CONFLICT", message: expect.stringContaining("already has an account") },
    });
    expect(await readDBState()).toEqual(before);
    expect(await countRows("invitation", "token_hash = ? AND accepted_at IS NULL", await hashToken(token))).toBe(1);
    expect(await roleOf(existing.id)).toBe("member");
  });

  it("refuses accepting when the email got an account after the invitation", async () => {
    const org = await createOrganization();
    const { email } = await invite(org.admin.client);
    const token = await readEmailedToken(createClient(), email, "/accept-invitation");
    await insertUser({ email });
    const response = await createClient().post("/invitations/accept", { token, password: GOOD_PASSWORD });
    expect(response.status).toBe(409);
    expect(await countRows("user", "email = ?", email)).toBe(1);
  });

  it("a new invitation to the same email revokes the earlier pending one", async () => {
    const org = await createOrganization();
    const email = uniqueEmail();
    await invite(org.admin.client, "member", email);
    const first = await readEmailedToken(createClient(), email, "/accept-invitation");
    await invite(org.admin.client, "readonly", email);
    const second = await readEmailedToken(createClient(), email, "/accept-invitation");
    expect((await createClient().post("/invitations/accept", { token: first, password: GOOD_PASSWORD })).status).toBe(
      400,
    );
    const accepted = await createClient().post("/invitations/accept", { token: second, password: GOOD_PASSWORD });
    expect(await accepted.json()).toMatchObject({ role: "readonly" });
  });

  it("lists only pending invitations of the caller's organization", async () => {
    const org = await createOrganization();
    const other = await createOrganization();
    const { email } = await invite(org.admin.client);
    await invite(other.admin.client);
    const { invitations } = (await (await org.admin.client.get("/invitations")).json()) as {
      invitations: { email: string }[];
    };
    expect(invitations.map((i) => i.email)).toEqual([email]);
  });

  it("cannot accept into a suspended organization, and the invitation stays unused", async () => {
    const org = await createOrganization();
    const { email } = await invite(org.admin.client);
    const token = await readEmailedToken(createClient(), email, "/accept-invitation");
    await env.DB.prepare("UPDATE organization SET suspended_at = ? WHERE id = ?").bind(Date.now(), org.id).run();
    expect((await createClient().post("/invitations/accept", { token, password: GOOD_PASSWORD })).status).toBe(400);
    expect(await countRows("invitation", "token_hash = ? AND accepted_at IS NULL", await hashToken(token))).toBe(1);
  });

  it("SEC-3 refuses a common password on accept and keeps the token usable", async () => {
    const org = await createOrganization();
    const { email } = await invite(org.admin.client);
    const token = await readEmailedToken(createClient(), email, "/accept-invitation");
    expect((await createClient().post("/invitations/accept", { token, password: "password1" })).status).toBe(422);
    expect((await createClient().post("/invitations/accept", { token, password: GOOD_PASSWORD })).status).toBe(201);
  });

  it("SEC-16 accepting issues a fresh session and ignores a cookie the client brought", async () => {
    const org = await createOrganization();
    const { email } = await invite(org.admin.client);
    const token = await readEmailedToken(createClient(), email, "/accept-invitation");
    const client = createClient();
    client.cookies.set("session_id", "G".repeat(43));
    await client.post("/invitations/accept", { token, password: GOOD_PASSWORD });
    expect(client.cookies.get("session_id")).not.toBe("G".repeat(43));
    expect((await client.get("/users/me")).status).toBe(200);
    expect((await signIn({ email, password: GOOD_PASSWORD }).then((c) => c.get("/users/me"))).status).toBe(200);
  });
});

describe("SEC-57: inviting is no existence oracle", () => {
  /** The response and the email with everything that names this invitation replaced by placeholders. */
  async function inviteAndScrub(inviter: TestClient, email: string) {
    const response = await inviter.post("/invitations", { email, role: "member" });
    const body = (await response.json()) as Record<string, unknown>;
    const outbox = await readOutbox(createClient(), email);
    const scrub = (text: string) =>
      text
        .replaceAll(email, "<email>")
        .replaceAll(String(body.id), "<id>")
        .replace(/token=[A-Za-z0-9_-]{43}/g, "token=<token>")
        .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "<time>");
    return {
      status: response.status,
      headers: [...response.headers.keys()].filter((name) => name !== "x-request-id").sort(),
      body: scrub(JSON.stringify(body)),
      emails: outbox.map((message) => ({ subject: message.subject, text: scrub(message.text) })),
      rows: await countRows("invitation", "email = ? AND accepted_at IS NULL AND revoked_at IS NULL", email),
    };
  }

  it("SEC-57: an address with an account gets the same status, headers, body, email and rows as a free one", async () => {
    const org = await createOrganization();
    const existing = await insertUser();
    const taken = await inviteAndScrub(org.admin.client, existing.email);
    const free = await inviteAndScrub(org.admin.client, uniqueEmail("free"));
    expect(taken.status).toBe(201);
    expect(taken.emails).toHaveLength(1);
    expect(taken.rows).toBe(1);
    expect(taken).toEqual(free);
  });

  it("SEC-57: both answers come from the same database statements, in the same order (the same work)", async () => {
    const org = await createOrganization();
    const existing = await insertUser();
    const statementsOf = async (email: string) => {
      const recorder = recordD1();
      const inviter = createClient({ env: { DB: recorder.binding } });
      for (const [name, value] of org.admin.client.cookies) inviter.cookies.set(name, value);
      expect((await inviter.post("/invitations", { email, role: "readonly" })).status).toBe(201);
      return recorder.statements;
    };
    const taken = await statementsOf(existing.email);
    const free = await statementsOf(uniqueEmail("free"));
    expect(taken.length).toBeGreaterThan(3);
    expect(taken).toEqual(free);
    // And no statement looks the address up among the accounts.
    expect(taken.filter((query) => /\bfrom "user"/.test(query))).toEqual([]);
  });
});

describe("SEC-56: invitation limits", () => {
  /** The same signed-in org_admin seen from another client IP (a session cookie works from anywhere). */
  function fromAnotherIP(client: TestClient): TestClient {
    const copy = createClient();
    for (const [name, value] of client.cookies) copy.cookies.set(name, value);
    return copy;
  }

  async function expectLimited(response: Response) {
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
  }

  it("SEC-56: one address gets at most 3 invitations an hour from all organizations and IPs together", async () => {
    const email = uniqueEmail("target");
    for (let i = 0; i < 3; i++) {
      const org = await signIn(await insertUser({ role: "org_admin" }));
      expect((await org.post("/invitations", { email, role: "member" })).status).toBe(201);
    }
    const fourth = await signIn(await insertUser({ role: "org_admin" }));
    await expectLimited(await fourth.post("/invitations", { email, role: "member" }));
    expect(await countRows("invitation", "email = ?", email)).toBe(3);
    expect(await readOutbox(createClient(), email)).toHaveLength(3);
    // The other addresses of that organization are not affected.
    expect((await fourth.post("/invitations", { email: uniqueEmail(), role: "member" })).status).toBe(201);
  });

  it("SEC-56: re-inviting (revoke and re-send) counts against the recipient's limit too, and a refused one revokes nothing", async () => {
    const org = await createOrganization();
    const email = uniqueEmail("resent");
    for (let i = 0; i < 3; i++) {
      expect((await fromAnotherIP(org.admin.client).post("/invitations", { email, role: "member" })).status).toBe(201);
    }
    const pending = await readEmailedToken(createClient(), email, "/accept-invitation");
    await expectLimited(await fromAnotherIP(org.admin.client).post("/invitations", { email, role: "readonly" }));
    expect(await readOutbox(createClient(), email)).toHaveLength(3);
    // The newest link still works: the refused re-invite changed nothing.
    const accepted = await createClient().post("/invitations/accept", { token: pending, password: GOOD_PASSWORD });
    expect(await accepted.json()).toMatchObject({ role: "member" });
  });

  it("SEC-56: one client IP sends at most 30 invitations an hour", async () => {
    const org = await createOrganization();
    const admin = org.admin.client;
    for (let i = 0; i < 27; i++) {
      expect((await admin.post("/invitations", { email: uniqueEmail(), role: "readonly" })).status).toBe(201);
    }
    const email = uniqueEmail("over-ip");
    await expectLimited(await admin.post("/invitations", { email, role: "readonly" }));
    expect(await countRows("invitation", "email = ?", email)).toBe(0);
    expect(await readOutbox(createClient(), email)).toHaveLength(0);
    // The same admin from another IP is still within the organization's budget.
    expect((await fromAnotherIP(admin).post("/invitations", { email, role: "readonly" })).status).toBe(201);
  });

  it("SEC-56: one organization sends at most 100 invitations a day, from any number of IPs", async () => {
    const owner = await insertUser({ role: "org_admin" });
    const admin = await signIn(owner);
    let client = admin;
    for (let i = 0; i < 100; i++) {
      if (i % 25 === 0) client = fromAnotherIP(admin);
      expect((await client.post("/invitations", { email: uniqueEmail(), role: "readonly" })).status).toBe(201);
    }
    const email = uniqueEmail("over-org");
    await expectLimited(await fromAnotherIP(admin).post("/invitations", { email, role: "readonly" }));
    expect(await countRows("invitation", "email = ?", email)).toBe(0);
    expect(await countRows("invitation", "organization_id = ?", owner.organizationId)).toBe(100);
  });

  it("keeps the organization's name, which its creator chose, out of the subject and on one quoted line in the body", async () => {
    const owner = await insertUser({ role: "org_admin" });
    await env.DB.prepare("UPDATE organization SET name = ? WHERE id = ?")
      .bind("Acme\n\nYour account is locked. Verify it at https://evil.example", owner.organizationId)
      .run();
    const email = uniqueEmail();
    expect((await (await signIn(owner)).post("/invitations", { email, role: "member" })).status).toBe(201);
    const [message] = await readOutbox(createClient(), email);
    expect(message!.subject).toBe("You have been invited to join an organization");
    expect(message!.text).toContain(
      'Its name, as chosen by whoever created it, is: "Acme Your account is locked. Verify it at https://evil.example".',
    );
    expect(message!.text).not.toContain("\n\nYour account is locked");
  });
});
