import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { createClient } from "../../helpers/client";
import { GOOD_PASSWORD, readEmailedToken, uniqueEmail } from "../../helpers/accounts";
import { countRows, insertUser } from "../../helpers/factories";
import { createOrganization, createSysAdmin, signIn } from "../../helpers/orgs";

describe("sys_admin: organizations", () => {
  it("creates an organization and invites its first org_admin; the invitee runs it end to end", async () => {
    const admin = await createSysAdmin();
    const adminEmail = uniqueEmail("founder");
    const response = await admin.client.post("/admin/organizations", {
      name: "Acme",
      admin_email: adminEmail,
      admin_full_name: "Ada Founder",
    });
    expect(response.status).toBe(201);
    const created = (await response.json()) as {
      organization: { id: string; name: string; member_count: number };
      invitation: { role: string };
    };
    expect(created).toMatchObject({
      organization: { name: "Acme", member_count: 0 },
      invitation: { role: "org_admin" },
    });

    const founder = createClient();
    const token = await readEmailedToken(founder, adminEmail, "/accept-invitation");
    const accepted = await founder.post("/invitations/accept", { token, password: GOOD_PASSWORD });
    expect(await accepted.json()).toMatchObject({ role: "org_admin", organization_id: created.organization.id });
    expect((await founder.post("/notes", { title: "first" })).status).toBe(201);
  });

  it("works in B2B mode, where public signup does not exist", async () => {
    const b2b = { MODE: "b2b" } as const;
    const user = await insertUser({ role: "sys_admin" });
    const admin = createClient({ env: b2b });
    await admin.post("/auth/login", { email: user.email, password: user.password });
    const adminEmail = uniqueEmail("b2b");
    expect((await admin.post("/admin/organizations", { name: "B2B Co", admin_email: adminEmail })).status).toBe(201);
    expect(
      (await createClient({ env: b2b }).post("/auth/signup", { email: uniqueEmail(), password: GOOD_PASSWORD })).status,
    ).toBe(404);

    const founder = createClient({ env: b2b });
    const token = await readEmailedToken(founder, adminEmail, "/accept-invitation");
    expect((await founder.post("/invitations/accept", { token, password: GOOD_PASSWORD })).status).toBe(201);
    const memberEmail = uniqueEmail("b2b-member");
    expect((await founder.post("/invitations", { email: memberEmail, role: "member" })).status).toBe(201);
    const member = createClient({ env: b2b });
    const memberToken = await readEmailedToken(member, memberEmail, "/accept-invitation");
    expect((await member.post("/invitations/accept", { token: memberToken, password: GOOD_PASSWORD })).status).toBe(
      201,
    );
    expect((await member.post("/notes", { title: "hello" })).status).toBe(201);
  });

  it("SEC-57: invites an admin_email that already has an account like any other, so the answer says nothing about it", async () => {
    // With memberships an existing account can join a further organization (docs/organizations.md):
    // the invitation is sent as to a new address, and accepting it signed in adds the membership.
    const admin = await createSysAdmin();
    const existing = await insertUser();
    const name = `Existing admin ${crypto.randomUUID()}`;
    const response = await admin.client.post("/admin/organizations", { name, admin_email: existing.email });
    expect(response.status).toBe(201);
    expect(await countRows("organization", "name = ?", name)).toBe(1);
    expect(await countRows("invitation", "email = ? AND role = 'org_admin'", existing.email)).toBe(1);
  });

  it("SEC-56: admin_email counts against the recipient's invitation limit: the fourth organization in an hour is refused (429) and not created", async () => {
    const admin = await createSysAdmin();
    const adminEmail = uniqueEmail("founder");
    const name = `Limited ${crypto.randomUUID()}`;
    for (let i = 0; i < 3; i++) {
      expect((await admin.client.post("/admin/organizations", { name, admin_email: adminEmail })).status).toBe(201);
    }
    const refused = await admin.client.post("/admin/organizations", { name, admin_email: adminEmail });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await countRows("organization", "name = ?", name)).toBe(3);
    expect(await countRows("invitation", "email = ?", adminEmail)).toBe(3);
  });

  it("lists organizations with pagination", async () => {
    const admin = await createSysAdmin();
    await createOrganization();
    const page = (await (await admin.client.get("/admin/organizations?limit=1")).json()) as {
      items: unknown[];
      has_more: boolean;
    };
    expect(page.items).toHaveLength(1);
    expect(page.has_more).toBe(true);
  });

  it("SEC-25 suspending an organization blocks its members' login, ends their sessions and keeps data", async () => {
    const admin = await createSysAdmin();
    const org = await createOrganization();
    await org.members.member.client.post("/notes", { title: "kept" });
    expect((await admin.client.post(`/admin/organizations/${org.id}/suspend`)).status).toBe(204);

    expect((await org.members.member.client.get("/users/me")).status).toBe(401);
    expect(await countRows("session", "active_organization_id = ?", org.id)).toBe(0);
    const login = await createClient().post("/auth/login", { email: org.admin.email, password: org.admin.password });
    expect(await login.json()).toMatchObject({ error: { code: "ORG_SUSPENDED" } });
    expect(await countRows("note", "organization_id = ?", org.id)).toBe(1);

    expect((await admin.client.post(`/admin/organizations/${org.id}/activate`)).status).toBe(204);
    expect(
      (await createClient().post("/auth/login", { email: org.admin.email, password: org.admin.password })).status,
    ).toBe(200);
  });

  it("cannot suspend its own organization; unknown ids are 404", async () => {
    const admin = await createSysAdmin();
    const own = await env.DB.prepare(`SELECT organization_id FROM membership WHERE user_id = ?`)
      .bind(admin.id)
      .first<{ organization_id: string }>();
    expect((await admin.client.post(`/admin/organizations/${own!.organization_id}/suspend`)).status).toBe(409);
    expect((await admin.client.post(`/admin/organizations/${crypto.randomUUID()}/suspend`)).status).toBe(404);
  });

  it("is sys_admin only: an org_admin gets 403 and nothing is created", async () => {
    const org = await createOrganization();
    const before = await countRows("organization");
    expect(
      (await org.admin.client.post("/admin/organizations", { name: "Nope", admin_email: uniqueEmail() })).status,
    ).toBe(403);
    expect((await org.admin.client.get("/admin/organizations")).status).toBe(403);
    expect(await countRows("organization")).toBe(before);
  });
});

describe("sys_admin: users and the audit log", () => {
  it("SEC-25 suspending a user revokes their sessions and blocks login; activating restores it", async () => {
    const admin = await createSysAdmin();
    const org = await createOrganization();
    const target = org.members.member;
    expect((await admin.client.post(`/users/${target.id}/suspend`)).status).toBe(204);
    expect((await target.client.get("/users/me")).status).toBe(401);
    const login = await createClient().post("/auth/login", { email: target.email, password: target.password });
    expect(await login.json()).toMatchObject({ error: { code: "ACCOUNT_SUSPENDED" } });
    expect((await admin.client.post(`/users/${target.id}/activate`)).status).toBe(204);
    expect((await signIn(target).then((c) => c.get("/users/me"))).status).toBe(200);
  });

  it("lists all users with pagination and refuses to suspend itself", async () => {
    const admin = await createSysAdmin();
    const page = (await (await admin.client.get("/users?limit=2")).json()) as {
      items: { id: string }[];
      limit: number;
    };
    expect(page.items.length).toBeLessThanOrEqual(2);
    expect((await admin.client.post(`/users/${admin.id}/suspend`)).status).toBe(409);
    expect((await admin.client.post(`/users/${crypto.randomUUID()}/suspend`)).status).toBe(404);
  });

  it("SEC-49 reads every organization's audit log, or one organization's", async () => {
    const admin = await createSysAdmin();
    const org = await createOrganization();
    await admin.client.post(`/users/${org.members.readonly.id}/suspend`);
    const all = (await (await admin.client.get("/admin/audit-log?limit=100")).json()) as {
      items: { action: string }[];
    };
    expect(all.items.map((e) => e.action)).toContain("user_suspended");
    const scoped = (await (await admin.client.get(`/admin/audit-log?organization_id=${org.id}&limit=100`)).json()) as {
      items: { organization_id: string; action: string; actor_user_id: string }[];
    };
    expect(scoped.items.every((e) => e.organization_id === org.id)).toBe(true);
    expect(scoped.items.find((e) => e.action === "user_suspended")?.actor_user_id).toBe(admin.id);
  });

  it("an org_admin reads only its own organization's audit log", async () => {
    const org = await createOrganization();
    const other = await createOrganization();
    const page = (await (await other.admin.client.get("/organization/audit-log?limit=100")).json()) as {
      items: { organization_id: string }[];
    };
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((e) => e.organization_id === other.id)).toBe(true);
    expect(page.items.some((e) => e.organization_id === org.id)).toBe(false);
  });
});
