// Passkeys end to end inside workerd: a software authenticator registers and signs in through the
// worker's fetch, against the real WebAuthn verification and a real D1.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createClient, type TestClient } from "../../helpers/client";
import { auditActions, countRows, insertUser, type InsertedUser } from "../../helpers/factories";
import { signIn } from "../../helpers/orgs";
import { enrolTotp } from "../../helpers/mfa";
import { answerRegistration, registerPasskey, type RegisteredPasskey } from "../../helpers/passkeys";
import { SoftwareAuthenticator, type AssertionOverrides } from "../../helpers/webauthn-authenticator";
import { testServiceContext } from "../../helpers/service-context";
import { buildDeleteAllPasskeys, countPasskeys } from "../../../src/features/passkeys/service";

type Passkey = RegisteredPasskey;

interface Holder {
  user: InsertedUser;
  client: TestClient;
  authenticator: SoftwareAuthenticator;
  passkey: Passkey;
}

async function json<T>(response: Response, status: number): Promise<T> {
  expect(response.status, await response.clone().text()).toBe(status);
  return (await response.json()) as T;
}

type RequestOptions = Parameters<SoftwareAuthenticator["authenticate"]>[0];

/** A new signed-in user holding one registered passkey. */
async function passkeyHolder(): Promise<Holder> {
  const user = await insertUser({ role: "member" });
  const client = await signIn(user);
  const authenticator = new SoftwareAuthenticator();
  return { user, client, authenticator, passkey: await registerPasskey(client, authenticator) };
}

/** One passwordless sign-in attempt from a fresh browser; returns the response and the browser. */
async function signInWithPasskey(
  authenticator: SoftwareAuthenticator,
  overrides: AssertionOverrides = {},
): Promise<{ response: Response; browser: TestClient }> {
  const browser = createClient();
  const options = await json<RequestOptions>(await browser.post("/auth/passkeys/login/options"), 200);
  const assertion = await authenticator.authenticate(options, overrides);
  return { response: await browser.post("/auth/passkeys/login/verify", { response: assertion }), browser };
}

async function expectRefused(response: Response): Promise<void> {
  expect(await json(response, 401)).toMatchObject({ error: { code: "PASSKEY_INVALID" } });
}

async function storedCounter(passkeyId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT counter FROM passkey WHERE id = ?")
    .bind(passkeyId)
    .first<{ counter: number }>();
  return row!.counter;
}

describe("passkey registration and management", () => {
  let holder: Holder;
  beforeAll(async () => {
    holder = await passkeyHolder();
  });

  it("registers a passkey for the signed-in user and lists it", async () => {
    expect(holder.passkey).toMatchObject({ name: "Laptop", last_used_at: null });
    const { passkeys } = await json<{ passkeys: Passkey[] }>(await holder.client.get("/auth/passkeys"), 200);
    expect(passkeys).toEqual([holder.passkey]);
    expect(await auditActions(holder.user.id)).toContain("passkey_registered");
  });

  it("asks for a discoverable, user-verified credential on WEB_BASE_URL's host and excludes the caller's own", async () => {
    const options = await json<{
      rp: { id: string };
      authenticatorSelection: { residentKey: string; userVerification: string };
      excludeCredentials: { id: string }[];
    }>(await holder.client.post("/auth/passkeys/register/options"), 200);
    expect(options.rp.id).toBe("localhost");
    expect(options.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "required" });
    expect(options.excludeCredentials.map((credential) => credential.id)).toEqual(holder.authenticator.credentialIds);
  });

  it("renames one of the caller's passkeys", async () => {
    const renamed = await json<Passkey>(
      await holder.client.patch(`/auth/passkeys/${holder.passkey.id}`, { name: "Work laptop" }),
      200,
    );
    expect(renamed).toMatchObject({ id: holder.passkey.id, name: "Work laptop" });
  });

  it("refuses to register the same credential twice (409)", async () => {
    const response = await answerRegistration(holder.client, holder.authenticator);
    const first = await holder.client.post("/auth/passkeys/register/verify", { name: "Key", response });
    expect(first.status).toBe(201);
    // The same attestation again under a new challenge (a `none` attestation does not sign the
    // clientDataJSON): a credential id belongs to one passkey, whoever registers it.
    const fresh = await answerRegistration(holder.client, holder.authenticator);
    const replayed = { ...response, response: { ...response.response, clientDataJSON: fresh.response.clientDataJSON } };
    const conflict = await holder.client.post("/auth/passkeys/register/verify", { name: "Key", response: replayed });
    expect(await json(conflict, 409)).toMatchObject({ error: { code: "CONFLICT" } });
  });

  it("SEC-68: a registration answered from another origin, for another RP id or to another user's challenge is refused", async () => {
    const other = await signIn(await insertUser({ role: "member" }));
    const authenticator = new SoftwareAuthenticator();
    const cases = [
      { client: holder.client, overrides: { origin: "https://evil.example" } },
      { client: holder.client, overrides: { rpId: "evil.example" } },
      // The challenge was issued to the holder; another signed-in user cannot answer it.
      { client: other, overrides: {} },
    ];
    for (const { client, overrides } of cases) {
      const options = await json<Parameters<SoftwareAuthenticator["register"]>[0]>(
        await holder.client.post("/auth/passkeys/register/options"),
        200,
      );
      const response = await authenticator.register(options, overrides);
      const refused = await client.post("/auth/passkeys/register/verify", { name: "Evil", response });
      expect(await json(refused, 400)).toMatchObject({ error: { code: "PASSKEY_REGISTRATION_INVALID" } });
    }
    const { passkeys } = await json<{ passkeys: Passkey[] }>(await holder.client.get("/auth/passkeys"), 200);
    expect(passkeys.map((passkey) => passkey.name)).not.toContain("Evil");
  });

  it("deletes one of the caller's passkeys; another user's is 404 and the deleted one signs in no more", async () => {
    const stranger = await signIn(await insertUser({ role: "member" }));
    const notTheirs = await stranger.delete(`/auth/passkeys/${holder.passkey.id}`);
    expect(await json(notTheirs, 404)).toMatchObject({ error: { code: "NOT_FOUND" } });

    expect((await holder.client.delete(`/auth/passkeys/${holder.passkey.id}`)).status).toBe(204);
    expect(await countRows("passkey", "id = ?", holder.passkey.id)).toBe(0);
    expect(await auditActions(holder.user.id)).toContain("passkey_deleted");
    const { response } = await signInWithPasskey(holder.authenticator, {
      use: holder.authenticator.credentialIds[0],
    });
    await expectRefused(response);
  });
});

describe("SEC-69: deleting a passkey needs a fresh proof", () => {
  let holder: Holder;
  beforeAll(async () => {
    holder = await passkeyHolder();
    // The sign-in is now older than the 10 minutes that stand in for a password.
    await env.DB.prepare("UPDATE session SET authenticated_at = ? WHERE user_id = ?")
      .bind(Date.now() - 11 * 60 * 1000, holder.user.id)
      .run();
  });

  it("SEC-69: a passkey is deleted only with a fresh proof: an old sign-in alone or a wrong password is refused", async () => {
    const path = `/auth/passkeys/${holder.passkey.id}`;
    expect(await json(await holder.client.delete(path), 401)).toMatchObject({ error: { code: "REAUTH_REQUIRED" } });
    const wrong = await holder.client.delete(path, { json: { current_password: "not the password" } });
    expect(await json(wrong, 422)).toMatchObject({ error: { code: "VALIDATION_ERROR" } });
    expect(await countRows("passkey", "id = ?", holder.passkey.id)).toBe(1);

    const proved = await holder.client.delete(path, { json: { current_password: holder.user.password } });
    expect(proved.status).toBe(204);
    expect(await countRows("passkey", "id = ?", holder.passkey.id)).toBe(0);
  });
});

describe("passwordless sign-in with a passkey", () => {
  let holder: Holder;
  beforeAll(async () => {
    holder = await passkeyHolder();
  });

  it("signs in with a discoverable credential: a session, last_used_at and the counter recorded, audited", async () => {
    const { response, browser } = await signInWithPasskey(holder.authenticator);
    expect(await json(response, 200)).toMatchObject({ id: holder.user.id, email: holder.user.email });
    expect((await browser.get("/users/me")).status).toBe(200);

    const { passkeys } = await json<{ passkeys: Passkey[] }>(await holder.client.get("/auth/passkeys"), 200);
    expect(passkeys[0]!.last_used_at).not.toBeNull();
    expect(await storedCounter(holder.passkey.id)).toBe(1);
    expect(await auditActions(holder.user.id)).toContain("login_succeeded");
  });

  it("offers no credential list without a pending login, and requires user verification", async () => {
    const options = await json<{ allowCredentials: unknown[]; userVerification: string; rpId: string }>(
      await createClient().post("/auth/passkeys/login/options"),
      200,
    );
    expect(options).toMatchObject({ allowCredentials: [], userVerification: "required", rpId: "localhost" });
  });

  it("SEC-68: an assertion from another origin or for another RP id is refused", async () => {
    await expectRefused((await signInWithPasskey(holder.authenticator, { origin: "https://evil.example" })).response);
    await expectRefused((await signInWithPasskey(holder.authenticator, { rpId: "evil.example" })).response);
  });

  it("SEC-68: an assertion without user presence or, passwordless, without user verification is refused", async () => {
    await expectRefused((await signInWithPasskey(holder.authenticator, { userVerified: false })).response);
    await expectRefused((await signInWithPasskey(holder.authenticator, { userPresent: false })).response);
  });

  it("SEC-68: a challenge is answered once: a replayed assertion is refused", async () => {
    const browser = createClient();
    const options = await json<RequestOptions>(await browser.post("/auth/passkeys/login/options"), 200);
    const assertion = await holder.authenticator.authenticate(options);
    expect((await browser.post("/auth/passkeys/login/verify", { response: assertion })).status).toBe(200);
    await expectRefused(await createClient().post("/auth/passkeys/login/verify", { response: assertion }));
  });

  it("SEC-68: a challenge is refused once expired, and one never issued is refused", async () => {
    const browser = createClient();
    const options = await json<RequestOptions>(await browser.post("/auth/passkeys/login/options"), 200);
    await env.DB.prepare("UPDATE webauthn_challenge SET expires_at = ? WHERE challenge = ?")
      .bind(Date.now() - 1, options.challenge)
      .run();
    const expired = await holder.authenticator.authenticate(options);
    await expectRefused(await browser.post("/auth/passkeys/login/verify", { response: expired }));

    const invented = await holder.authenticator.authenticate({ ...options, challenge: "bm90LWlzc3VlZC1ieS11cw" });
    await expectRefused(await browser.post("/auth/passkeys/login/verify", { response: invented }));
  });

  it("SEC-68: a signature counter that goes backwards is refused, audited, and the stored counter kept", async () => {
    expect((await signInWithPasskey(holder.authenticator, { counter: 40 })).response.status).toBe(200);
    const { response } = await signInWithPasskey(holder.authenticator, { counter: 39 });
    await expectRefused(response);
    expect(await storedCounter(holder.passkey.id)).toBe(40);
    expect(await auditActions(holder.user.id)).toContain("passkey_counter_regressed");
  });

  it("SEC-68: another user's credential id with this authenticator's signature is refused", async () => {
    const other = await passkeyHolder();
    const { response } = await signInWithPasskey(holder.authenticator, {
      credentialId: other.authenticator.credentialIds[0],
    });
    await expectRefused(response);
    // A credential the server never saw (made for a challenge it never issued).
    const stranger = new SoftwareAuthenticator();
    await stranger.register({ challenge: "bm90LWlzc3VlZA", rp: { id: "localhost" }, user: { id: "c3RyYW5nZXI" } });
    await expectRefused((await signInWithPasskey(stranger)).response);
  });

  it("SEC-49: a refused passkey sign-in is audited as login_failed", async () => {
    const before = (await auditActions(holder.user.id)).filter((action) => action === "login_failed").length;
    await expectRefused((await signInWithPasskey(holder.authenticator, { origin: "https://evil.example" })).response);
    const after = (await auditActions(holder.user.id)).filter((action) => action === "login_failed").length;
    expect(after).toBe(before + 1);
  });

  it("SEC-8: a valid passkey of a suspended user is refused, as after a right password, with no session", async () => {
    const suspended = await passkeyHolder();
    await env.DB.prepare(`UPDATE "user" SET suspended_at = ? WHERE id = ?`).bind(Date.now(), suspended.user.id).run();
    const { response, browser } = await signInWithPasskey(suspended.authenticator);
    expect(await json(response, 403)).toMatchObject({ error: { code: "ACCOUNT_SUSPENDED" } });
    expect(browser.cookies.size).toBe(0);
  });

  it("SEC-9: the sign-in is rate limited per IP with login's budget", async () => {
    const browser = createClient();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      statuses.push((await browser.post("/auth/passkeys/login/verify", { response: {} })).status);
    }
    expect(statuses.slice(0, 5).every((status) => status !== 429)).toBe(true);
    expect(statuses[5]).toBe(429);
  });
});

describe("what other features ask of passkeys", () => {
  it("counts a user's passkeys and deletes them all in the caller's batch (the MFA reset)", async () => {
    const holder = await passkeyHolder();
    const ctx = testServiceContext();
    expect(await countPasskeys(ctx, holder.user.id)).toBe(1);
    await ctx.db.batch([buildDeleteAllPasskeys(ctx, holder.user.id)]);
    expect(await countPasskeys(ctx, holder.user.id)).toBe(0);
  });
});

describe("a passkey as the second step of a password login", () => {
  let holder: Holder;
  beforeAll(async () => {
    holder = await passkeyHolder();
    await enrolTotp(holder.client);
  });

  async function pendingLogin(): Promise<TestClient> {
    const browser = createClient();
    const login = await browser.post("/auth/login", { email: holder.user.email, password: holder.user.password });
    expect(await json(login, 200)).toMatchObject({ mfa_required: true, methods: expect.arrayContaining(["passkey"]) });
    return browser;
  }

  it("SEC-67: completes the pending login with one of the user's passkeys: a session, the pending cookie gone", async () => {
    const browser = await pendingLogin();
    const options = await json<RequestOptions & { allowCredentials: { id: string }[] }>(
      await browser.post("/auth/passkeys/login/options"),
      200,
    );
    expect(options.allowCredentials.map((credential) => credential.id)).toEqual(holder.authenticator.credentialIds);
    const assertion = await holder.authenticator.authenticate(options, { omitUserHandle: true });
    const signedIn = await browser.post("/auth/passkeys/login/verify", { response: assertion });
    expect(await json(signedIn, 200)).toMatchObject({ id: holder.user.id });
    expect([...browser.cookies.keys()].some((name) => name.includes("mfa_pending"))).toBe(false);
    expect((await browser.get("/users/me")).status).toBe(200);
    expect(await json(await holder.client.get("/auth/mfa"), 200)).toMatchObject({ passkeys: 1 });
  });

  it("SEC-68: another user's passkey cannot complete the pending login", async () => {
    const other = await passkeyHolder();
    const browser = await pendingLogin();
    const options = await json<RequestOptions>(await browser.post("/auth/passkeys/login/options"), 200);
    const assertion = await other.authenticator.authenticate(options);
    await expectRefused(await browser.post("/auth/passkeys/login/verify", { response: assertion }));
    expect((await browser.get("/users/me")).status).toBe(401);
  });
});
