import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createClient } from "../../helpers/client";
import { GOOD_PASSWORD, readEmailedToken, uniqueEmail } from "../../helpers/accounts";
import { createOrganization, createSysAdmin, inviteAndAccept, roleOf, signIn } from "../../helpers/orgs";
import { auditActions, countRows } from "../../helpers/factories";
import { ASSIGNABLE_ROLES, type AssignableRole } from "../../../src/lib/roles";

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
    expect(await countRows("membership", "organization_id = ? AND role = 'org_admin'", org.id)).toBe(1);
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

describe("SEC-62: a pending invitation never outlives its inviter's authority", () => {
  /** The second org_admin sends one invitation of each role; the owner sends one too. */
  async function organizationWithInvitations() {
    const org = await createOrganization();
    const inviter = org.members.org_admin;
    const sent: Record<AssignableRole, string> = { readonly: "", member: "", org_admin: "" };
    for (const role of ASSIGNABLE_ROLES) {
      sent[role] = uniqueEmail(`by-inviter-${role}`);
      expect((await inviter.client.post("/invitations", { email: sent[role], role })).status).toBe(201);
    }
    const byOwner = uniqueEmail("by-owner");
    expect((await org.admin.client.post("/invitations", { email: byOwner, role: "org_admin" })).status).toBe(201);
    return { org, inviter, sent, byOwner };
  }

  async function isPending(email: string): Promise<boolean> {
    return (await countRows("invitation", "email = ? AND accepted_at IS NULL AND revoked_at IS NULL", email)) === 1;
  }

  /** The emailed link's answer: 201 for a usable invitation, 400 INVALID_TOKEN for a revoked one. */
  async function acceptStatus(email: string): Promise<number> {
    const token = await readEmailedToken(createClient(), email, "/accept-invitation");
    return (await createClient().post("/invitations/accept", { token, password: GOOD_PASSWORD })).status;
  }

  it("SEC-62: removing the inviter revokes every invitation they sent, in the same batch; others' stay", async () => {
    const { org, inviter, sent, byOwner } = await organizationWithInvitations();
    expect((await org.admin.client.delete(`/organization/users/${inviter.id}`)).status).toBe(204);
    for (const email of Object.values(sent)) expect(await isPending(email)).toBe(false);
    expect(await acceptStatus(sent.member)).toBe(400);
    expect(await isPending(byOwner)).toBe(true);
    const { invitations } = (await (await org.admin.client.get("/invitations")).json()) as {
      invitations: { email: string }[];
    };
    expect(invitations.map((invitation) => invitation.email)).toEqual([byOwner]);
    expect(
      await countRows(
        "audit_log",
        "action = 'invitation_revoked' AND actor_user_id = ? AND json_extract(details, '$.reason') = 'inviter_removed'",
        org.admin.id,
      ),
    ).toBe(1);
  });

  it("SEC-62: demoting the inviter revokes the invitations above their new role and keeps the rest", async () => {
    const { org, inviter, sent, byOwner } = await organizationWithInvitations();
    expect((await org.admin.client.patch(`/organization/users/${inviter.id}`, { role: "member" })).status).toBe(204);
    expect(await isPending(sent.org_admin)).toBe(false);
    expect(await isPending(sent.member)).toBe(true);
    expect(await isPending(sent.readonly)).toBe(true);
    expect(await isPending(byOwner)).toBe(true);
    expect(await acceptStatus(sent.org_admin)).toBe(400);

    expect((await org.admin.client.patch(`/organization/users/${inviter.id}`, { role: "readonly" })).status).toBe(204);
    expect(await isPending(sent.member)).toBe(false);
    expect(await isPending(sent.readonly)).toBe(true);
    expect(await acceptStatus(sent.readonly)).toBe(201);
  });

  it("SEC-62: a demotion refused by its compare-and-set (the last org_admin) revokes nothing", async () => {
    // A sys_admin's organization whose only org_admin sent an invitation (the sys_admin is a
    // plain member there: sys_admin is a platform attribute, not an organization role).
    const sysAdmin = await createSysAdmin();
    await env.DB.prepare("UPDATE membership SET role = 'member' WHERE user_id = ?").bind(sysAdmin.id).run();
    const onlyAdmin = await inviteAndAccept(sysAdmin.client, "org_admin");
    const email = uniqueEmail("kept");
    expect((await onlyAdmin.client.post("/invitations", { email, role: "org_admin" })).status).toBe(201);
    const before = await countRows("audit_log", "action = 'invitation_revoked'");
    expect((await sysAdmin.client.patch(`/organization/users/${onlyAdmin.id}`, { role: "member" })).status).toBe(409);
    expect(await roleOf(onlyAdmin.id)).toBe("org_admin");
    expect(await isPending(email)).toBe(true);
    expect(await countRows("audit_log", "action = 'invitation_revoked'")).toBe(before);
  });

  it("SEC-62: suspending the inviter revokes every invitation they sent, with their sessions, in one batch", async () => {
    const { inviter, sent, byOwner } = await organizationWithInvitations();
    const sysAdmin = await createSysAdmin();
    expect((await sysAdmin.client.post(`/users/${inviter.id}/suspend`)).status).toBe(204);
    for (const email of Object.values(sent)) expect(await isPending(email)).toBe(false);
    expect(await acceptStatus(sent.readonly)).toBe(400);
    expect(await isPending(byOwner)).toBe(true);
    expect(await countRows("session", "user_id = ?", inviter.id)).toBe(0);
    // Activating again gives the person back their access, not the revoked invitations.
    expect((await sysAdmin.client.post(`/users/${inviter.id}/activate`)).status).toBe(204);
    expect(await isPending(sent.member)).toBe(false);
  });
});
