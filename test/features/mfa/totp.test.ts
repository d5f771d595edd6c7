import { env } from "cloudflare:test";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { beforeAll, describe, expect, it } from "vitest";
import { readMfaConfig } from "../../../src/config/mfa";
import { decryptTotpSecret, encryptTotpSecret } from "../../../src/features/mfa/secret-box";
import { findMatchingTotpStep } from "../../../src/features/mfa/totp";
import { createClient, type TestClient } from "../../helpers/client";
import { auditActions, countRows, insertUser, type InsertedUser } from "../../helpers/factories";
import { enrolTotp, forgetLastTotpStep, totpCode } from "../../helpers/mfa";
import { createSysAdmin, signIn } from "../../helpers/orgs";

/** RFC 6238 Appendix B, SHA-1 rows: the ASCII seed "12345678901234567890", 8 digits. */
const RFC6238_SEED = new TextEncoder().encode("12345678901234567890");
const RFC6238_SHA1_VECTORS: [unixSeconds: number, code: string][] = [
  [59, "94287082"],
  [1111111109, "07081804"],
  [1111111111, "14050471"],
  [1234567890, "89005924"],
  [2000000000, "69279037"],
  [20000000000, "65353130"],
];

/** Sessions signed in long ago: only a password (and code) is a fresh proof then (SEC-69). */
async function ageSessions(userId: string): Promise<void> {
  await env.DB.prepare("UPDATE session SET authenticated_at = 0 WHERE user_id = ?").bind(userId).run();
}

describe("TOTP codes (RFC 6238)", () => {
  it("SEC-65: the HOTP arithmetic matches RFC 6238 Appendix B for SHA-1 at every listed time", () => {
    for (const [seconds, code] of RFC6238_SHA1_VECTORS) {
      expect(generateHOTP(RFC6238_SEED, BigInt(Math.floor(seconds / 30)), 8)).toBe(code);
      // Six digits are the last six of the eight (the same modulus, 10^6): what apps show.
      expect(findMatchingTotpStep(RFC6238_SEED, code.slice(-6), seconds * 1000)).toBe(Math.floor(seconds / 30));
    }
  });

  it("SEC-65: a code is accepted one step early or late, not two", () => {
    const now = 1234567890 * 1000;
    const step = Math.floor(now / 30_000);
    const codeAt = (offset: number) => generateHOTP(RFC6238_SEED, BigInt(step + offset), 6);
    expect(findMatchingTotpStep(RFC6238_SEED, codeAt(-1), now)).toBe(step - 1);
    expect(findMatchingTotpStep(RFC6238_SEED, codeAt(1), now)).toBe(step + 1);
    expect(findMatchingTotpStep(RFC6238_SEED, codeAt(-2), now)).toBeNull();
    expect(findMatchingTotpStep(RFC6238_SEED, codeAt(2), now)).toBeNull();
    expect(findMatchingTotpStep(RFC6238_SEED, "12345", now)).toBeNull();
  });

  it("SEC-65: a secret encrypted for one user does not decrypt for another, nor under another key", async () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const stored = await encryptTotpSecret(key, "user-a", RFC6238_SEED);
    expect(await decryptTotpSecret(key, "user-a", stored)).toEqual(RFC6238_SEED);
    expect(await decryptTotpSecret(key, "user-b", stored)).toBeNull();
    expect(await decryptTotpSecret(crypto.getRandomValues(new Uint8Array(32)), "user-a", stored)).toBeNull();
  });
});

describe("TOTP enrolment", () => {
  let user: InsertedUser;
  let client: TestClient;

  beforeAll(async () => {
    user = await insertUser();
    client = await signIn(user);
  });

  it("SEC-65: setup answers a base32 secret and its otpauth URI; the database holds only ciphertext; a wrong first code confirms nothing", async () => {
    const setup = await client.post("/auth/mfa/totp/setup", { current_password: user.password });
    expect(setup.status).toBe(200);
    expect(setup.headers.get("cache-control")).toBe("no-store");
    const { secret, otpauth_url } = (await setup.json()) as { secret: string; otpauth_url: string };
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(otpauth_url);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.searchParams.get("secret")).toBe(secret);
    expect(Object.fromEntries([...uri.searchParams].filter(([name]) => name !== "secret"))).toMatchObject({
      issuer: "Rampart",
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
    const row = await env.DB.prepare("SELECT encrypted_secret, confirmed_at FROM totp_credential WHERE user_id = ?")
      .bind(user.id)
      .first<{ encrypted_secret: string; confirmed_at: number | null }>();
    expect(row?.confirmed_at).toBeNull();
    expect(row?.encrypted_secret).toMatch(/^v1\./);
    expect(row?.encrypted_secret).not.toContain(secret);

    const right = totpCode(decodeBase32IgnorePadding(secret));
    const wrong = await client.post("/auth/mfa/totp/confirm", { code: right === "000000" ? "000001" : "000000" });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { code: "MFA_CODE_INVALID" } });
    expect((await (await client.get("/auth/mfa")).json()) as object).toEqual({
      totp: false,
      passkeys: 0,
      recovery_codes_left: 0,
    });
  });

  it("SEC-66: the confirmation answers 10 distinct recovery codes of 80 bits, stored only as hashes", async () => {
    const setup = await client.post("/auth/mfa/totp/setup", { current_password: user.password });
    const secret = decodeBase32IgnorePadding(((await setup.json()) as { secret: string }).secret);
    const confirm = await client.post("/auth/mfa/totp/confirm", { code: totpCode(secret) });
    expect(confirm.status).toBe(200);
    const { recovery_codes } = (await confirm.json()) as { recovery_codes: string[] };
    expect(recovery_codes).toHaveLength(10);
    expect(new Set(recovery_codes).size).toBe(10);
    for (const code of recovery_codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
    const { results } = await env.DB.prepare("SELECT code_hash FROM recovery_code WHERE user_id = ?")
      .bind(user.id)
      .all<{ code_hash: string }>();
    expect(results).toHaveLength(10);
    for (const { code_hash } of results) expect(code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await (await client.get("/auth/mfa")).json()).toEqual({ totp: true, passkeys: 0, recovery_codes_left: 10 });
    expect(await auditActions(user.id)).toEqual(expect.arrayContaining(["totp_setup_started", "totp_enabled"]));

    // A second setup never replaces an enabled secret (the recent sign-in is the fresh proof).
    const again = await client.post("/auth/mfa/totp/setup", {});
    expect(again.status).toBe(409);
  });

  it("SEC-69: with TOTP on and an old sign-in, the password alone is no fresh proof; with a code it is, and new recovery codes replace the old", async () => {
    await ageSessions(user.id);
    const noCode = await client.post("/auth/mfa/recovery-codes", { current_password: user.password });
    expect(noCode.status).toBe(401);
    expect(await noCode.json()).toMatchObject({ error: { code: "REAUTH_REQUIRED" } });
    const noProof = await client.post("/auth/mfa/recovery-codes", {});
    expect(noProof.status).toBe(401);

    const secret = await secretOf(user.id);
    await forgetLastTotpStep(user.id);
    const before = await env.DB.prepare("SELECT code_hash FROM recovery_code WHERE user_id = ?").bind(user.id).all();
    const regenerated = await client.post("/auth/mfa/recovery-codes", {
      current_password: user.password,
      code: totpCode(secret),
    });
    expect(regenerated.status).toBe(200);
    const after = await env.DB.prepare("SELECT code_hash FROM recovery_code WHERE user_id = ?").bind(user.id).all();
    expect(after.results).toHaveLength(10);
    expect(after.results.some((row) => before.results.some((old) => old.code_hash === row.code_hash))).toBe(false);
  });

  it("SEC-69: removing TOTP needs the code too; afterwards the password alone signs in again", async () => {
    // Its own user: the fresh-proof budget (5 password proofs per 15 minutes) is per account.
    const user = await insertUser();
    const client = await signIn(user);
    const { secret } = await enrolTotp(client);
    await ageSessions(user.id);
    await forgetLastTotpStep(user.id);
    const withoutCode = await client.delete("/auth/mfa/totp", { json: { current_password: user.password } });
    expect(withoutCode.status).toBe(401);
    const removed = await client.delete("/auth/mfa/totp", {
      json: { current_password: user.password, code: totpCode(secret) },
    });
    expect(removed.status).toBe(204);
    expect(await countRows("totp_credential", "user_id = ?", user.id)).toBe(0);
    expect(await countRows("recovery_code", "user_id = ?", user.id)).toBe(0);
    const login = await createClient().post("/auth/login", { email: user.email, password: user.password });
    expect(await login.json()).toMatchObject({ id: user.id });
  });
});

/** The secret of an enrolled user, decrypted with the test key (what the app itself would show). */
async function secretOf(userId: string): Promise<Uint8Array> {
  const row = await env.DB.prepare("SELECT encrypted_secret FROM totp_credential WHERE user_id = ?")
    .bind(userId)
    .first<{ encrypted_secret: string }>();
  const config = readMfaConfig(env);
  if (!("config" in config)) throw new Error("the test MFA_ENCRYPTION_KEY is invalid");
  return (await decryptTotpSecret(config.config.encryptionKey, userId, row!.encrypted_secret))!;
}

describe("POST /users/{id}/mfa/reset", () => {
  it("SEC-67: a sys_admin removes every second factor and session of the user, audited; the user signs in with the password alone", async () => {
    const user = await insertUser();
    const client = await signIn(user);
    await enrolTotp(client);
    // A pending login in flight is ended too.
    const pending = createClient();
    await pending.post("/auth/login", { email: user.email, password: user.password });
    expect(await countRows("mfa_pending_login", "user_id = ?", user.id)).toBe(1);

    const admin = await createSysAdmin();
    expect((await admin.client.post(`/users/${user.id}/mfa/reset`)).status).toBe(204);
    for (const table of ["totp_credential", "recovery_code", "mfa_pending_login", "session"]) {
      expect(await countRows(table, "user_id = ?", user.id)).toBe(0);
    }
    expect((await client.get("/users/me")).status).toBe(401);
    expect(await auditActions(admin.id)).toContain("mfa_reset");
    const login = await createClient().post("/auth/login", { email: user.email, password: user.password });
    expect(await login.json()).toMatchObject({ id: user.id });

    expect((await admin.client.post(`/users/${crypto.randomUUID()}/mfa/reset`)).status).toBe(404);
  });
});
