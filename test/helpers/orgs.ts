// Organizations with members of every role, built through the API (invite → accept).
import { expect } from "vitest";
import { env } from "cloudflare:test";
import { createClient, type TestClient } from "./client";
import { GOOD_PASSWORD, readEmailedToken, uniqueEmail } from "./accounts";
import { insertMembershipStatement, insertUser, type InsertedUser } from "./factories";
import type { AssignableRole, Role } from "../../src/lib/roles";

export interface Member {
  id: string;
  email: string;
  password: string;
  role: Role;
  client: TestClient;
}

export async function signIn(user: { email: string; password: string }): Promise<TestClient> {
  const client = createClient();
  const response = await client.post("/auth/login", { email: user.email, password: user.password });
  expect(response.status).toBe(200);
  return client;
}

/** Invites `email` with `role` from `inviter` and accepts; the returned client is signed in. */
export async function inviteAndAccept(
  inviter: TestClient,
  role: AssignableRole,
  email = uniqueEmail(role),
): Promise<Member> {
  const invited = await inviter.post("/invitations", { email, role });
  expect(invited.status).toBe(201);
  const client = createClient();
  const token = await readEmailedToken(client, email, "/accept-invitation");
  const accepted = await client.post("/invitations/accept", { token, password: GOOD_PASSWORD });
  expect(accepted.status).toBe(201);
  const { id } = (await accepted.json()) as { id: string };
  return { id, email, password: GOOD_PASSWORD, role, client };
}

export interface Organization {
  id: string;
  admin: Member;
  members: Record<AssignableRole, Member>;
}

/** An organization whose org_admin invited one member of each assignable role. */
export async function createOrganization(): Promise<Organization> {
  const owner: InsertedUser = await insertUser({ role: "org_admin" });
  const admin: Member = { ...owner, role: "org_admin", client: await signIn(owner) };
  const members = {
    readonly: await inviteAndAccept(admin.client, "readonly"),
    member: await inviteAndAccept(admin.client, "member"),
    org_admin: await inviteAndAccept(admin.client, "org_admin"),
  };
  return { id: owner.organizationId, admin, members };
}

export async function createSysAdmin(): Promise<Member> {
  const user = await insertUser({ role: "sys_admin" });
  return { ...user, role: "sys_admin", client: await signIn(user) };
}

/** The user's effective role in `organizationId` (their only one when omitted); undefined when not a member. */
export async function roleOf(userId: string, organizationId?: string): Promise<string | undefined> {
  const row = await env.DB.prepare(
    `SELECT CASE WHEN u.is_sys_admin THEN 'sys_admin' ELSE m.role END AS role
     FROM membership m JOIN "user" u ON u.id = m.user_id
     WHERE m.user_id = ?1 AND (?2 IS NULL OR m.organization_id = ?2)`,
  )
    .bind(userId, organizationId ?? null)
    .first<{ role: string }>();
  return row?.role;
}

/**
 * Adds `userId` to another organization with `role`, as never active there yet: their sign-in
 * keeps acting in the organization they had (it picks the most recently active membership).
 */
export async function addMembership(userId: string, organizationId: string, role: AssignableRole): Promise<void> {
  await insertMembershipStatement({ userId, organizationId, role, now: 0 }).run();
}
