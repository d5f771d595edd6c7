// Multi-organization membership (docs/organizations.md): listing, creating, switching, leaving,
// joining with an existing account, and every rule acting in the session's active organization.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { GOOD_PASSWORD, readEmailedToken, uniqueEmail } from "../../helpers/accounts";
import { createClient, type TestClient } from "../../helpers/client";
import { countRows, type InsertedUser, insertUser } from "../../helpers/factories";
import { addMembership, roleOf, signIn } from "../../helpers/orgs";

interface Me {
  id: string;
  organization_id: string;
  organizations_count: number;
  role: string;
}

async function me(client: TestClient): Promise<Me> {
  const response = await client.get("/users/me");
  expect(response.status).toBe(200);
  return (await response.json()) as Me;
}

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

describe("a user in two organizations", () => {
  // `user` is org_admin of A (their own) and member of B; `ownerB` is B's org_admin.
  let user: InsertedUser;
  let ownerB: InsertedUser;
  let client: TestClient;
  let ownerBClient: TestClient;
  beforeAll(async () => {
    [user, ownerB] = await Promise.all([insertUser({ role: "org_admin" }), insertUser({ role: "org_admin" })]);
    await addMembership(user.id, ownerB.organizationId, "member");
    [client, ownerBClient] = await Promise.all([signIn(user), signIn(ownerB)]);
  });

  it("lists both, marks the active one, and /users/me counts them with the role in the active one", async () => {
    expect(await me(client)).toMatchObject({
      organization_id: user.organizationId,
      organizations_count: 2,
      role: "org_admin",
    });
    const response = await client.get("/organizations");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([
      { id: user.organizationId, name: "Org", role: "org_admin", suspended: false, active: true },
      { id: ownerB.organizationId, name: "Org", role: "member", suspended: false, active: false },
    ]);
  });

  it("SEC-77: switching to a foreign or unknown organization is the same 404 and changes nothing", async () => {
    const stranger = await insertUser({ role: "org_admin", passwordHash: null });
    for (const organizationId of [stranger.organizationId, crypto.randomUUID(), "x".repeat(64)]) {
      const response = await client.post("/organizations/switch", { organization_id: organizationId });
      expect(response.status).toBe(404);
      expect(await errorCode(response)).toBe("NOT_FOUND");
    }
    expect((await me(client)).organization_id).toBe(user.organizationId);
  });

  it("SEC-77: switching acts in the other organization with the role there, on the very next request", async () => {
    const switched = await client.post("/organizations/switch", { organization_id: ownerB.organizationId });
    expect(switched.status).toBe(200);
    expect(await switched.json()).toMatchObject({ organization_id: ownerB.organizationId, role: "member" });
    // member in B: B's member list is for org_admins only; A's would have been allowed.
    expect((await client.get("/organization/users")).status).toBe(403);
    expect(((await (await client.get("/organization")).json()) as { id: string }).id).toBe(ownerB.organizationId);
    // The switch is remembered: the next sign-in acts in B.
    expect((await me(await signIn(user))).organization_id).toBe(ownerB.organizationId);
    expect((await client.post("/organizations/switch", { organization_id: user.organizationId })).status).toBe(200);
    expect((await client.get("/organization/users")).status).toBe(200);
  });

  it("SEC-77: a suspended organization cannot be switched to (404) and affects only its own sessions", async () => {
    const other = await insertUser({ role: "org_admin" });
    await addMembership(other.id, ownerB.organizationId, "readonly");
    const otherClient = await signIn(other);
    await env.DB.prepare("UPDATE organization SET suspended_at = ? WHERE id = ?")
      .bind(Date.now(), ownerB.organizationId)
      .run();
    try {
      expect((await otherClient.post("/organizations/switch", { organization_id: ownerB.organizationId })).status).toBe(
        404,
      );
      expect((await me(otherClient)).organization_id).toBe(other.organizationId);
      expect((await ownerBClient.get("/users/me")).status).toBe(401);
      // Sign-in skips the suspended organization when the user has another.
      const login = await createClient().post("/auth/login", { email: other.email, password: other.password });
      expect(await login.json()).toMatchObject({ organization_id: other.organizationId });
    } finally {
      await env.DB.prepare("UPDATE organization SET suspended_at = NULL WHERE id = ?")
        .bind(ownerB.organizationId)
        .run();
    }
  });
});

describe("removal and leaving", () => {
  it("SEC-77: a removal applies on the next request of the session acting in that organization only", async () => {
    const [member, ownerB] = await Promise.all([insertUser({ role: "org_admin" }), insertUser({ role: "org_admin" })]);
    await addMembership(member.id, ownerB.organizationId, "member");
    const [inB, inOwn, ownerBClient] = await Promise.all([signIn(member), signIn(member), signIn(ownerB)]);
    expect((await inB.post("/organizations/switch", { organization_id: ownerB.organizationId })).status).toBe(200);

    expect((await ownerBClient.delete(`/organization/users/${member.id}`)).status).toBe(204);
    expect((await inB.get("/users/me")).status).toBe(401);
    expect(await me(inOwn)).toMatchObject({ organization_id: member.organizationId, organizations_count: 1 });
    expect(await countRows("user", "id = ?", member.id)).toBe(1); // the account stays
  });

  it("leaving: 409 for the last org_admin; a member moves to their other organization; the last one ends the session", async () => {
    const [user, ownerB] = await Promise.all([insertUser({ role: "org_admin" }), insertUser({ role: "org_admin" })]);
    await addMembership(user.id, ownerB.organizationId, "member");
    const client = await signIn(user);
    const refused = await client.delete("/organization/membership");
    expect(refused.status).toBe(409);
    expect(await errorCode(refused)).toBe("CONFLICT");
    expect(await roleOf(user.id, user.organizationId)).toBe("org_admin");

    expect((await client.post("/organizations/switch", { organization_id: ownerB.organizationId })).status).toBe(200);
    const left = await client.delete("/organization/membership");
    expect(left.status).toBe(200);
    expect(await left.json()).toMatchObject({ organization_id: user.organizationId, organizations_count: 1 });
    expect(await roleOf(user.id, ownerB.organizationId)).toBeUndefined();

    // Alone in their own organization: leaving it is allowed once another org_admin exists... and
    // with none left the session ends.
    await env.DB.prepare("UPDATE membership SET role = 'member' WHERE user_id = ?").bind(user.id).run();
    await addMembership(ownerB.id, user.organizationId, "org_admin");
    const last = await client.delete("/organization/membership");
    expect(last.status).toBe(204);
    expect(last.headers.get("set-cookie")).toMatch(/Max-Age=0/i);
    expect((await client.get("/users/me")).status).toBe(401);
    const login = await createClient().post("/auth/login", { email: user.email, password: user.password });
    expect(login.status).toBe(403);
    expect(await errorCode(login)).toBe("NO_ORGANIZATION");
  });
});

describe("inviting an address that already has an account", () => {
  it("SEC-38: is sent like any other; only the account signed in as that email joins with {token}", async () => {
    const [owner, existing, intruder] = await Promise.all([
      insertUser({ role: "org_admin" }),
      insertUser({ role: "member" }),
      insertUser({ role: "org_admin" }),
    ]);
    const ownerClient = await signIn(owner);
    expect((await ownerClient.post("/invitations", { email: existing.email, role: "readonly" })).status).toBe(201);
    const token = await readEmailedToken(createClient(), existing.email, "/accept-invitation");

    // Not signed in, or signed in as someone else: 409, nothing written.
    for (const caller of [createClient(), await signIn(intruder)]) {
      const refused = await caller.post("/invitations/accept", { token, password: GOOD_PASSWORD });
      expect(refused.status).toBe(409);
    }
    expect(await roleOf(existing.id, owner.organizationId)).toBeUndefined();

    const client = await signIn(existing);
    const joined = await client.post("/invitations/accept", { token });
    expect(joined.status).toBe(200);
    expect(await joined.json()).toMatchObject({
      id: existing.id,
      organization_id: owner.organizationId,
      role: "readonly",
      organizations_count: 2,
    });
    expect(await roleOf(existing.id, existing.organizationId)).toBe("member");
    // Used once.
    expect((await client.post("/invitations/accept", { token })).status).toBe(400);
  });

  it("a new address still needs a password (422) and creates the account", async () => {
    const owner = await insertUser({ role: "org_admin" });
    const email = uniqueEmail("fresh");
    expect((await (await signIn(owner)).post("/invitations", { email, role: "member" })).status).toBe(201);
    const client = createClient();
    const token = await readEmailedToken(client, email, "/accept-invitation");
    expect((await client.post("/invitations/accept", { token })).status).toBe(422);
    const created = await client.post("/invitations/accept", { token, password: GOOD_PASSWORD });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ organization_id: owner.organizationId, organizations_count: 1 });
  });
});

describe("creating an organization", () => {
  it("B2C: the caller becomes its org_admin and it becomes active; B2B: 404", async () => {
    const user = await insertUser({ role: "member" });
    const client = await signIn(user);
    const created = await client.post("/organizations", { name: "Side project" });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: string };
    expect(body).toMatchObject({ name: "Side project", role: "org_admin", active: true, suspended: false });
    expect(await me(client)).toMatchObject({ organization_id: body.id, role: "org_admin", organizations_count: 2 });
    expect((await client.get("/organization/users")).status).toBe(200);

    const b2b = createClient({ env: { MODE: "b2b" } });
    await b2b.post("/auth/login", { email: user.email, password: user.password });
    expect((await b2b.post("/organizations", { name: "Nope" })).status).toBe(404);
  });
});
