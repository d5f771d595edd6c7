import { beforeAll, describe, expect, it } from "vitest";
import { createClient, type TestClient } from "../../helpers/client";
import { recordD1 } from "../../helpers/d1-recorder";
import { insertUser, type InsertedUser } from "../../helpers/factories";
import { enrolTotp } from "../../helpers/mfa";
import { uniqueEmail } from "../../helpers/accounts";
import { inviteAndAccept, signIn, type Member } from "../../helpers/orgs";

/** The same session seen through another D1 binding (to record its statements). */
function withBinding(client: TestClient, binding: D1Database): TestClient {
  const copy = createClient({ env: { DB: binding } });
  for (const [name, value] of client.cookies) copy.cookies.set(name, value);
  return copy;
}

describe("SEC-70: the organization setting require_mfa", () => {
  let admin: TestClient;
  let adminUser: InsertedUser;
  let member: Member;

  beforeAll(async () => {
    adminUser = await insertUser({ role: "org_admin" });
    admin = await signIn(adminUser);
    member = await inviteAndAccept(admin, "member");
    // The org_admin enrols first (else the policy would lock them out of /settings too).
    await enrolTotp(admin);
  });

  it("SEC-70: an org_admin turns it on; a member without a second factor then gets 403 MFA_REQUIRED on org-scoped routes", async () => {
    expect((await member.client.get("/notes")).status).toBe(200);
    const put = await admin.put("/settings/organization/require_mfa", { value: true });
    expect(put.status).toBe(200);
    const refused = await member.client.get("/notes");
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: "MFA_REQUIRED" } });
    // The admin, who has TOTP, goes on.
    expect((await admin.get("/notes")).status).toBe(200);
  });

  it("SEC-70: /users/me, /auth/* and /organization stay open to the member without a second factor, so they can enrol", async () => {
    expect((await member.client.get("/users/me")).status).toBe(200);
    expect((await member.client.get("/auth/mfa")).status).toBe(200);
    expect((await member.client.get("/auth/sessions")).status).toBe(200);
    expect((await member.client.get("/organization")).status).toBe(200);
    expect((await member.client.get("/organizations")).status).toBe(200);
  });

  it("SEC-70: the active organization's other routes stay closed, to an org_admin without a second factor too", async () => {
    const secondAdmin = await inviteAndAccept(admin, "org_admin");
    const refused = await secondAdmin.client.get("/organization/users");
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: "MFA_REQUIRED" } });
    expect((await secondAdmin.client.get("/organization/audit-log")).status).toBe(403);
  });

  it("SEC-70: once the member enrols TOTP, the same session reaches org-scoped routes again (no cache)", async () => {
    await enrolTotp(member.client);
    expect((await member.client.get("/notes")).status).toBe(200);
  });

  it("SEC-70: the policy is read in the one session query: a request makes the same statements with it on as with it off", async () => {
    const statementsOf = async (client: TestClient) => {
      const recorder = recordD1();
      expect((await withBinding(client, recorder.binding).get("/users/me")).status).toBe(200);
      return recorder.statements;
    };
    const plain = await insertUser();
    const withPolicy = await statementsOf(member.client);
    const withoutPolicy = await statementsOf(await signIn(plain));
    expect(withPolicy).toHaveLength(1);
    expect(withPolicy).toEqual(withoutPolicy);
  });
});

describe("SEC-6: the login of an account without a second factor", () => {
  it("SEC-6, SEC-67: runs the same statements as an unknown email up to the password, and no MFA query of its own", async () => {
    const user = await insertUser();
    const statementsOf = async (email: string, password: string) => {
      const recorder = recordD1();
      const response = await createClient({ env: { DB: recorder.binding } }).post("/auth/login", { email, password });
      return { status: response.status, statements: recorder.statements };
    };
    const success = await statementsOf(user.email, user.password);
    const unknown = await statementsOf(uniqueEmail(), user.password);
    expect(success.status).toBe(200);
    expect(unknown.status).toBe(401);
    // The user read is the first statement of both, the same text: the MFA probe rides in it.
    expect(success.statements[0]).toBe(unknown.statements[0]);
    expect(success.statements[0]).toContain("totp_credential");
    const mfaStatements = success.statements.filter((query) => /totp_credential|recovery_code|mfa_pending/.test(query));
    expect(mfaStatements).toEqual([success.statements[0]]);
  });
});
