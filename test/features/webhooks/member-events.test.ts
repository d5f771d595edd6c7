// member.added and invitation.accepted (docs/webhooks.md): stored in the outbox in the batch that
// accepts the invitation, once, and never for an acceptance that was refused or repeated.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { GOOD_PASSWORD, readEmailedToken, uniqueEmail } from "../../helpers/accounts";
import { createClient, type TestClient } from "../../helpers/client";
import { insertUser, type InsertedUser } from "../../helpers/factories";
import { signIn } from "../../helpers/orgs";
import { testServiceContext } from "../../helpers/service-context";
import { hashToken } from "../../../src/lib/crypto";
import { buildInvitationAcceptanceByMember } from "../../../src/features/orgs/invitations-service";
import { googleClient, registerGoogleAccount, signInWithGoogle, WEB_BASE_URL } from "../../helpers/google";

interface StoredEvent {
  type: string;
  data: Record<string, unknown>;
}

/** The organization's invitation events, oldest first. */
async function acceptanceEvents(organizationId: string): Promise<StoredEvent[]> {
  const { results } = await env.DB.prepare(
    `SELECT type, data FROM webhook_event
     WHERE organization_id = ? AND type IN ('member.added', 'invitation.accepted') ORDER BY sequence`,
  )
    .bind(organizationId)
    .all<{ type: string; data: string }>();
  return results.map((row) => ({ type: row.type, data: JSON.parse(row.data) as Record<string, unknown> }));
}

/** Invites `email` from the owner's organization; the invitation's id and the emailed token. */
async function invite(email: string, role: string): Promise<{ id: string; token: string }> {
  const invited = await owner.client.post("/invitations", { email, role });
  expect(invited.status).toBe(201);
  const { id } = (await invited.json()) as { id: string };
  return { id, token: await readEmailedToken(createClient(), email, "/accept-invitation") };
}

function expectedEvents(invitationId: string, userId: string, role: string): StoredEvent[] {
  return [
    { type: "member.added", data: { user_id: userId, role } },
    { type: "invitation.accepted", data: { invitation_id: invitationId, user_id: userId, role } },
  ];
}

let owner: InsertedUser & { client: TestClient };

beforeAll(async () => {
  const user = await insertUser({ role: "org_admin" });
  owner = { ...user, client: await signIn(user) };
});

describe("member.added and invitation.accepted", () => {
  it("a new account accepting stores one of each, for the inviting organization; using the link again stores none", async () => {
    const before = await acceptanceEvents(owner.organizationId);
    const invitation = await invite(uniqueEmail("new"), "member");
    const accepted = await createClient().post("/invitations/accept", {
      token: invitation.token,
      password: GOOD_PASSWORD,
    });
    expect(accepted.status).toBe(201);
    const { id } = (await accepted.json()) as { id: string };
    const added = (await acceptanceEvents(owner.organizationId)).slice(before.length);
    expect(added).toEqual(expectedEvents(invitation.id, id, "member"));

    const again = await createClient().post("/invitations/accept", {
      token: invitation.token,
      password: GOOD_PASSWORD,
    });
    expect(again.status).toBe(400);
    expect((await acceptanceEvents(owner.organizationId)).slice(before.length)).toEqual(added);
  });

  it("an existing account stores none while signed out (refused), then one of each once signed in as it", async () => {
    const existing = await insertUser({ role: "org_admin" });
    const invitation = await invite(existing.email, "readonly");
    const before = await acceptanceEvents(owner.organizationId);

    const refused = await createClient().post("/invitations/accept", { token: invitation.token });
    expect(refused.status).toBe(409);
    expect(await acceptanceEvents(owner.organizationId)).toEqual(before);

    const client = await signIn(existing);
    expect((await client.post("/invitations/accept", { token: invitation.token })).status).toBe(200);
    expect((await client.post("/invitations/accept", { token: invitation.token })).status).toBe(400);
    const added = (await acceptanceEvents(owner.organizationId)).slice(before.length);
    expect(added).toEqual(expectedEvents(invitation.id, existing.id, "readonly"));
    // The account's own organization hears nothing: it gained no member.
    expect(await acceptanceEvents(existing.organizationId)).toEqual([]);

    // The batch of a request that lost the race (it read the invitation while still pending):
    // its compare-and-sets match nothing, so neither event is stored again.
    const ctx = testServiceContext();
    await ctx.db.batch(
      buildInvitationAcceptanceByMember(ctx, {
        invitation: { tokenHash: await hashToken(invitation.token) },
        accepted: { id: invitation.id, organizationId: owner.organizationId, role: "readonly" },
        userId: existing.id,
        now: Date.now(),
      }),
    );
    expect((await acceptanceEvents(owner.organizationId)).slice(before.length)).toEqual(added);
  });

  it("a Google sign-in started from the invitation link stores one of each", async () => {
    const email = uniqueEmail("google");
    const invitation = await invite(email, "member");
    const before = await acceptanceEvents(owner.organizationId);
    const client = googleClient({ env: { MODE: "b2b" } });
    const response = await signInWithGoogle(await registerGoogleAccount({ email }), client, {
      invitationToken: invitation.token,
    });
    expect(response.headers.get("location")).toBe(`${WEB_BASE_URL}/`);
    const { id } = (await (await client.get("/users/me")).json()) as { id: string };
    const added = (await acceptanceEvents(owner.organizationId)).slice(before.length);
    expect(added).toEqual(expectedEvents(invitation.id, id, "member"));
  });
});
