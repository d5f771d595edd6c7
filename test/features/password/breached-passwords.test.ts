// SEC-71: every new password is checked against the Pwned Passwords range API with k-anonymity;
// against a fake that speaks its wire format (SUFFIX:COUNT lines, CRLF, count-0 padding).
import { afterEach, describe, expect, it, vi } from "vitest";
import { readBreachedPasswordsConfig } from "../../../src/config/breached-passwords";
import { getPasswordHashingStats } from "../../../src/lib/password";
import { findSuffixCount } from "../../../src/platform/breached-passwords";
import { createClient, testEnv, type TestClient } from "../../helpers/client";
import { GOOD_PASSWORD, readEmailedToken, readOutbox, uniqueEmail } from "../../helpers/accounts";
import { dumpDatabase } from "../../helpers/db-state";
import { insertUser } from "../../helpers/factories";
import { PWNED_ENV, fakePwnedPasswords, installFakePwnedPasswords, sha1Hex } from "../../helpers/fake-pwned-passwords";

installFakePwnedPasswords();

afterEach(() => {
  fakePwnedPasswords.reset();
  vi.restoreAllMocks();
});

const BREACHED = "monkey banana 1987";

function checkedClient(overrides = {}): TestClient {
  return createClient({ env: { ...PWNED_ENV, ...overrides } });
}

async function signedInClient(): Promise<{ client: TestClient; password: string }> {
  const user = await insertUser();
  const client = checkedClient();
  expect((await client.post("/auth/login", { email: user.email, password: user.password })).status).toBe(200);
  return { client, password: user.password };
}

async function resetToken(client: TestClient): Promise<string> {
  const user = await insertUser();
  expect((await client.post("/password/forgot", { email: user.email })).status).toBe(202);
  return readEmailedToken(client, user.email, "/reset-password");
}

async function invitationToken(client: TestClient): Promise<string> {
  const admin = await insertUser({ role: "org_admin" });
  const adminClient = createClient();
  expect((await adminClient.post("/auth/login", { email: admin.email, password: admin.password })).status).toBe(200);
  const email = uniqueEmail("invitee");
  expect((await adminClient.post("/invitations", { email, role: "member" })).status).toBe(201);
  return readEmailedToken(client, email, "/accept-invitation");
}

async function expectBreachedRefusal(response: Response, field: string): Promise<void> {
  expect(response.status).toBe(422);
  expect(await response.json()).toEqual({
    error: {
      code: "VALIDATION_ERROR",
      message: expect.stringContaining("data breach"),
      details: { fields: [{ field, message: expect.stringContaining("data breach") }] },
    },
  });
}

describe("SEC-71 breached passwords", () => {
  it("SEC-71: a breached password is refused with 422 on its field at signup, reset, update and invitation acceptance, before any hashing and with nothing written", async () => {
    await fakePwnedPasswords.addPassword(BREACHED, 3_861);
    const client = checkedClient();
    const signedIn = await signedInClient();
    const reset = await resetToken(client);
    const invitation = await invitationToken(client);
    const attempts: [string, () => Promise<Response>][] = [
      ["password", () => client.post("/auth/signup", { email: uniqueEmail(), password: BREACHED })],
      [
        "password",
        () => client.post("/auth/signup-org", { organization_name: "Acme", email: uniqueEmail(), password: BREACHED }),
      ],
      ["new_password", () => client.post("/password/reset", { token: reset, new_password: BREACHED })],
      [
        "new_password",
        () => signedIn.client.post("/password/update", { current_password: signedIn.password, new_password: BREACHED }),
      ],
      ["password", () => client.post("/invitations/accept", { token: invitation, password: BREACHED })],
    ];
    for (const [field, attempt] of attempts) {
      const before = await dumpDatabase();
      const hashing = getPasswordHashingStats().operations;
      await expectBreachedRefusal(await attempt(), field);
      // password/update verifies the current password first (one Argon2 run), and hashes nothing new.
      expect(getPasswordHashingStats().operations - hashing).toBeLessThanOrEqual(field === "new_password" ? 1 : 0);
      expect(await dumpDatabase()).toEqual(before);
    }
    expect(fakePwnedPasswords.requests).toHaveLength(attempts.length);
    // The reset token and the invitation are still unused: the same links work with a good password.
    expect((await client.post("/password/reset", { token: reset, new_password: GOOD_PASSWORD })).status).toBe(200);
    expect((await client.post("/invitations/accept", { token: invitation, password: GOOD_PASSWORD })).status).toBe(201);
  });

  it("SEC-71: only the 5-character SHA-1 prefix leaves the worker, with Add-Padding: true and no body", async () => {
    const client = checkedClient();
    const email = uniqueEmail("kanon");
    expect((await client.post("/auth/signup", { email, password: GOOD_PASSWORD })).status).toBe(201);
    const hash = await sha1Hex(GOOD_PASSWORD);
    expect(fakePwnedPasswords.requests).toHaveLength(1);
    const [request] = fakePwnedPasswords.requests;
    expect(request).toMatchObject({ method: "GET", path: `/range/${hash.slice(0, 5)}`, search: "", body: "" });
    expect(request!.headers["add-padding"]).toBe("true");
    const sent = JSON.stringify(request).toUpperCase();
    // No more than the prefix: not the sixth character onwards, no part of the password or email.
    expect(sent).not.toContain(hash.slice(0, 6));
    expect(sent).not.toContain(hash.slice(5, 15));
    expect(sent).not.toContain(GOOD_PASSWORD.toUpperCase());
    expect(sent).not.toContain(email.toUpperCase());
  });

  it("SEC-71: padding lines (count 0) never count as a breach, and a clean password goes through", async () => {
    // The fake serves the password's own suffix as a padding line: present in the range, count 0.
    await fakePwnedPasswords.addPassword(GOOD_PASSWORD, 0);
    const client = checkedClient();
    const email = uniqueEmail("padding");
    expect((await client.post("/auth/signup", { email, password: GOOD_PASSWORD })).status).toBe(201);
    expect((await readOutbox(client, email)).map((message) => message.subject)).toEqual(["Verify your email address"]);
  });

  it("SEC-71: the range body is read as the API writes it (upper-case suffixes, CRLF, padding)", () => {
    const suffix = "0018A45C4D1DEF81644B54AB7F969B88D65";
    const body = [
      `00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2`,
      `${suffix}:10`,
      `011053FD0102E94D6AE2F8B83D76FAF94F6:0`,
    ].join("\r\n");
    expect(findSuffixCount(body, suffix)).toBe(10);
    expect(findSuffixCount(body, "011053FD0102E94D6AE2F8B83D76FAF94F6")).toBe(0);
    expect(findSuffixCount(body, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF")).toBe(0);
    expect(findSuffixCount("", suffix)).toBe(0);
  });

  it("SEC-71: an unreachable or failing service fails open: the password is accepted and a warning logged", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    await fakePwnedPasswords.addPassword(BREACHED, 10);
    for (const outage of ["network", "error"] as const) {
      fakePwnedPasswords.outage = outage;
      const response = await checkedClient().post("/auth/signup", { email: uniqueEmail(), password: BREACHED });
      expect(response.status, outage).toBe(201);
    }
    const logged = warn.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    expect(logged.filter((line) => line.event === "breached_password_check_unavailable")).toEqual([
      expect.objectContaining({ level: "warn", reason: "unreachable", on_error: "open" }),
      expect.objectContaining({ level: "warn", reason: "status_522", on_error: "open" }),
    ]);
    expect(JSON.stringify(warn.mock.calls)).not.toContain(BREACHED);
  });

  it("SEC-71: with PWNED_PASSWORDS_ON_ERROR=closed an unreachable service is 502 and nothing is created", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    fakePwnedPasswords.outage = "network";
    const before = await dumpDatabase();
    const hashing = getPasswordHashingStats().operations;
    const response = await checkedClient({ PWNED_PASSWORDS_ON_ERROR: "closed" }).post("/auth/signup", {
      email: uniqueEmail(),
      password: GOOD_PASSWORD,
    });
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(getPasswordHashingStats().operations - hashing).toBe(0);
    expect(await dumpDatabase()).toEqual(before);
  });

  it("SEC-71: off in dev unless PWNED_PASSWORDS=on, on by default elsewhere; plain http only in dev", async () => {
    expect(readBreachedPasswordsConfig(testEnv())).toMatchObject({ config: { enabled: false } });
    const prod = testEnv({ ENVIRONMENT: "prod" });
    expect(readBreachedPasswordsConfig(prod)).toEqual({
      config: { enabled: true, apiBase: "https://api.pwnedpasswords.com", onError: "open" },
    });
    expect(readBreachedPasswordsConfig({ ...prod, PWNED_PASSWORDS: "off" })).toMatchObject({
      config: { enabled: false },
    });
    expect(readBreachedPasswordsConfig({ ...prod, PWNED_PASSWORDS_API_BASE: "http://mirror.internal" })).toEqual({
      problems: ["PWNED_PASSWORDS_API_BASE"],
    });
    expect(readBreachedPasswordsConfig({ ...prod, PWNED_PASSWORDS: "yes", PWNED_PASSWORDS_ON_ERROR: "maybe" })).toEqual(
      {
        problems: ["PWNED_PASSWORDS", "PWNED_PASSWORDS_ON_ERROR"],
      },
    );
    // Off in dev: no request leaves the worker.
    expect((await createClient().post("/auth/signup", { email: uniqueEmail(), password: GOOD_PASSWORD })).status).toBe(
      201,
    );
    expect(fakePwnedPasswords.requests).toEqual([]);
  });
});
