import { describe, expect, it } from "vitest";
import { createOrganization, roleOf, signIn } from "../../helpers/orgs";
import { auditActions, countRows } from "../../helpers/factories";

describe("organization members", () => {
  it("lists the caller's organization and its members", async () => {
    const org = await createOrganization();
    const organization = await (await org.members.readonly.client.get("/organization")).json();
    expect(organization).toMatchObject({ id: org.id, member_count: 4 });
    const { members } = (await (await org.admin.client.get("/organization/users")).json()) as {
      members: { id: string; role: string }[];
    };
    expect(members.map((m) => m.role).sort()).toEqual(["member", "org_admin", "org_admin", "readonly"]);
  });

  it("SEC-24 a role change applies on the member's very next request", async () => {
    const org = await createOrganization();
    const { member } = org.members;
    expect((await member.client.get("/organization/users")).status).toBe(403);
    expect((await org.admin.client.patch(`/organization/users/${member.id}`, { role: "org_admin" })).status).toBe(204);
    expect((await member.client.get("/organization/users")).status).toBe(200);
    expect((await org.admin.client.patch(`/organization/users/${member.id}`, { role: "readonly" })).status).toBe(204);
    expect((await member.client.post("/notes", { title: "x" })).status).toBe(403);
  });

  it("SEC-34 nobody changes their own role", async () => {
    const org = await createOrganization();
    const response = await org.admin.client.patch(`/organization/users/${org.admin.id}`, { role: "member" });
    expect(response.status).toBe(403);
    expect(await roleOf(org.admin.id)).toBe("org_admin");
  });

  it("SEC-34 nobody grants sys_admin through these routes (422) and nothing changes", async () => {
    const org = await createOrganization();
    const response = await org.admin.client.patch(`/organization/users/${org.members.member.id}`, {
      role: "sys_admin",
    });
    expect(response.status).toBe(422);
    expect(await roleOf(org.members.member.id)).toBe("member");
  });

  it("SEC-34 a member cannot manage members", async () => {
    const org = await createOrganization();
    const response = await org.members.member.client.patch(`/organization/users/${org.members.readonly.id}`, {
      role: "member",
    });
    expect(response.status).toBe(403);
    expect(await roleOf(org.members.readonly.id)).toBe("readonly");
  });

  it("SEC-34 the last active org_admin can never be demoted or removed (409)", async () => {
    const org = await createOrganization();
    const second = org.members.org_admin;
    expect((await org.admin.client.delete(`/organization/users/${second.id}`)).status).toBe(204);
    const member = org.members.member;
    await org.admin.client.patch(`/organization/users/${member.id}`, { role: "org_admin" });
    const memberAsAdmin = await signIn(member);
    expect((await memberAsAdmin.patch(`/organization/users/${org.admin.id}`, { role: "member" })).status).toBe(204);
    // member is now the only org_admin; the demoted owner cannot act, and member cannot leave
    const demote = await memberAsAdmin.patch(`/organization/users/${member.id}`, { role: "member" });
    expect(demote.status).toBe(403); // own role
    expect(await roleOf(member.id)).toBe("org_admin");
  });

  it("SEC-34 two admins demoting each other at once cannot leave the organization without one", async () => {
    const org = await createOrganization();
    const other = org.members.org_admin;
    const [a, b] = await Promise.all([
      org.admin.client.patch(`/organization/users/${other.id}`, { role: "member" }),
      other.client.patch(`/organization/users/${org.admin.id}`, { role: "member" }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toContain(204);
    expect(await countRows("user", "organization_id = ? AND role = 'org_admin'", org.id)).toBe(1);
  });

  it("refuses to remove yourself (409)", async () => {
    const org = await createOrganization();
    expect((await org.admin.client.delete(`/organization/users/${org.admin.id}`)).status).toBe(409);
  });

  it("SEC-25 removal deletes the member and ends their sessions at once", async () => {
    const org = await createOrganization();
    const { member } = org.members;
    expect((await member.client.get("/users/me")).status).toBe(200);
    expect((await org.admin.client.delete(`/organization/users/${member.id}`)).status).toBe(204);
    expect((await member.client.get("/users/me")).status).toBe(401);
    expect(await countRows("session", "user_id = ?", member.id)).toBe(0);
  });

  it("SEC-49 records role changes and removals in the organization's audit log", async () => {
    const org = await createOrganization();
    await org.admin.client.patch(`/organization/users/${org.members.member.id}`, { role: "readonly" });
    await org.admin.client.delete(`/organization/users/${org.members.readonly.id}`);
    expect(await auditActions(org.admin.id)).toEqual(
      expect.arrayContaining(["member_role_changed", "member_removed", "invitation_created"]),
    );
    const page = (await (await org.admin.client.get("/organization/audit-log?limit=50")).json()) as {
      items: { action: string; organization_id: string; ip: string | null }[];
      has_more: boolean;
    };
    expect(page.items.every((entry) => entry.organization_id === org.id)).toBe(true);
    expect(page.items.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(["member_role_changed", "member_removed"]),
    );
    expect(page.items.find((entry) => entry.action === "member_removed")?.ip).toBe(org.admin.client.ip);
  });

  it("refuses a failed compare-and-set without writing an audit row", async () => {
    const org = await createOrganization();
    const before = await countRows("audit_log", "action = 'member_removed'");
    await org.members.org_admin.client.delete(`/organization/users/${org.admin.id}`);
    // org_admin #2 removed the owner; now the owner's client is gone and #2 is the last admin
    expect((await org.members.org_admin.client.delete(`/organization/users/${org.members.org_admin.id}`)).status).toBe(
      409,
    );
    expect(await countRows("audit_log", "action = 'member_removed'")).toBe(before + 1);
  });
});
