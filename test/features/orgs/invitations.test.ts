import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { createClient } from "../../helpers/client";
import { GOOD_PASSWORD, readEmailedToken, uniqueEmail } from "../../helpers/accounts";
import { countRows, insertUser } from "../../helpers/factories";
import { createOrganization, inviteAndAccept, signIn } from "../../helpers/orgs";
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

  it("refuses to invite an email that already has an account (one user, one organization)", async () => {
    const org = await createOrganization();
    const existing = await insertUser();
    const { response } = await invite(org.admin.client, "member", existing.email);
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/already has an account/);
    expect(await countRows("invitation", "email = ?", existing.email)).toBe(0);
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
