import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../../src/lib/password";
import { createClient } from "../../helpers/client";
import { auditActions, countRows, insertUser, type InsertedUser } from "../../helpers/factories";
import { type EnrolledTotp, enrolTotp, forgetLastTotpStep, totpCode } from "../../helpers/mfa";
import { uniqueEmail } from "../../helpers/accounts";

async function signIn(user: InsertedUser) {
  const client = createClient();
  const response = await client.post("/auth/login", { email: user.email, password: user.password });
  return { client, response };
}

function comparableHeaders(response: Response): [string, string][] {
  return [...response.headers].filter(([name]) => name !== "x-request-id").sort();
}

describe("two-step login", () => {
  let user: InsertedUser;
  let totp: EnrolledTotp;

  beforeAll(async () => {
    user = await insertUser();
    const { client } = await signIn(user);
    totp = await enrolTotp(client);
  });

  it("SEC-67: the right password on an account with TOTP gives mfa_required and an mfa_pending cookie, no session", async () => {
    const { client, response } = await signIn(user);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ mfa_required: true, methods: ["totp", "recovery_code"] });
    expect(client.cookies.has("session_id")).toBe(false);
    expect(client.cookies.get("mfa_pending")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(response.headers.get("set-cookie")).toMatch(/mfa_pending=[^;]+; Max-Age=300; Path=\/; HttpOnly/);
    expect((await client.get("/users/me")).status).toBe(401);
  });

  it("SEC-67: a TOTP code completes the pending login with a session; the cookie is then spent", async () => {
    await forgetLastTotpStep(user.id);
    const { client } = await signIn(user);
    const verify = await client.post("/auth/mfa/verify", { code: totpCode(totp.secret) });
    expect(verify.status).toBe(200);
    expect(await verify.json()).toMatchObject({ id: user.id, email: user.email });
    expect(client.cookies.has("mfa_pending")).toBe(false);
    expect((await client.get("/users/me")).status).toBe(200);
    expect(await auditActions(user.id)).toEqual(expect.arrayContaining(["mfa_challenge_started", "login_succeeded"]));
  });

  it("SEC-65: a TOTP code is accepted once: the same code on a second pending login is refused", async () => {
    await forgetLastTotpStep(user.id);
    const code = totpCode(totp.secret);
    const first = await signIn(user);
    expect((await first.client.post("/auth/mfa/verify", { code })).status).toBe(200);
    const second = await signIn(user);
    const replay = await second.client.post("/auth/mfa/verify", { code });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: { code: "MFA_CODE_INVALID", details: { attempts_left: 4 } } });
    expect(second.client.cookies.has("session_id")).toBe(false);
  });

  it("SEC-67: five wrong codes spend the pending login; the sixth attempt, even right, is MFA_CHALLENGE_INVALID", async () => {
    await forgetLastTotpStep(user.id);
    const { client } = await signIn(user);
    const right = totpCode(totp.secret);
    const wrong = right === "000000" ? "000001" : "000000";
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await client.post("/auth/mfa/verify", { code: wrong })).status).toBe(400);
    }
    const sixth = await client.post("/auth/mfa/verify", { code: right });
    expect(sixth.status).toBe(401);
    expect(await sixth.json()).toMatchObject({ error: { code: "MFA_CHALLENGE_INVALID" } });
    expect(client.cookies.has("session_id")).toBe(false);
    expect(await auditActions(user.id)).toContain("mfa_verify_failed");
  });

  it("SEC-66: a recovery code completes a pending login once; typed in capitals without dashes it is the same code", async () => {
    const [code] = totp.recoveryCodes;
    const first = await signIn(user);
    const typed = code!.replaceAll("-", "").toUpperCase();
    expect((await first.client.post("/auth/mfa/verify", { recovery_code: typed })).status).toBe(200);
    const second = await signIn(user);
    const reuse = await second.client.post("/auth/mfa/verify", { recovery_code: code });
    expect(reuse.status).toBe(400);
    expect(await reuse.json()).toMatchObject({ error: { code: "MFA_CODE_INVALID" } });
    expect(await countRows("recovery_code", "user_id = ? AND used_at IS NULL", user.id)).toBe(9);
  });

  it("SEC-67: without an mfa_pending cookie, or with a made-up one, verify is MFA_CHALLENGE_INVALID", async () => {
    const none = await createClient().post("/auth/mfa/verify", { code: "123456" });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: "MFA_CHALLENGE_INVALID" } });
    const forged = createClient();
    forged.cookies.set("mfa_pending", "A".repeat(43));
    expect((await forged.post("/auth/mfa/verify", { code: "123456" })).status).toBe(401);
  });

  it("SEC-67, SEC-6: a wrong password on an account with TOTP looks exactly like an unknown email", async () => {
    const wrong = await createClient().post("/auth/login", { email: user.email, password: "wrong password 1" });
    const unknown = await createClient().post("/auth/login", { email: uniqueEmail(), password: "wrong password 1" });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toBe(await unknown.text());
    expect(comparableHeaders(wrong)).toEqual(comparableHeaders(unknown));
  });

  it("SEC-58: in staging the pending login is a __Host-mfa_pending cookie (Secure, Path=/, no Domain); a bare mfa_pending is never read", async () => {
    // Its own account: the one above has spent its 10 codes per 15 minutes (SEC-67).
    const own = await insertUser();
    const { secret } = await enrolTotp((await signIn(own)).client);
    const WEB = "https://app.example.com";
    const deployed = {
      ENVIRONMENT: "staging",
      WEB_BASE_URL: WEB,
      CORS_ORIGINS: WEB,
      EMAIL_PROVIDER: "resend",
      RESEND_API_KEY: "re_test_key",
    };
    const client = createClient({ env: deployed, origin: WEB });
    const login = await client.post("/auth/login", { email: own.email, password: own.password });
    const cookie = login.headers.getSetCookie().find((line) => line.startsWith("__Host-mfa_pending="))!;
    expect(cookie).toMatch(/^__Host-mfa_pending=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain("Secure");
    expect(cookie).toContain("Path=/;");
    expect(cookie).not.toMatch(/Domain=/i);

    const planted = createClient({ env: deployed, origin: WEB });
    planted.cookies.set("mfa_pending", client.cookies.get("__Host-mfa_pending")!);
    expect((await planted.post("/auth/mfa/verify", { code: totpCode(secret, 1) })).status).toBe(401);
    expect((await client.post("/auth/mfa/verify", { code: totpCode(secret, 1) })).status).toBe(200);
  });

  it("SEC-1: the password step of an account with TOTP re-hashes a hash below the current parameters", async () => {
    const weak = await insertUser();
    await enrolTotp((await signIn(weak)).client);
    // A hash from before the parameters were raised (the first sign-in above upgraded the original).
    const old = await hashPassword(weak.password, { memoryKiB: 8192, iterations: 1, parallelism: 1 });
    await env.DB.prepare(`UPDATE "user" SET password_hash = ? WHERE id = ?`).bind(old, weak.id).run();
    const { response } = await signIn(weak);
    expect(await response.json()).toMatchObject({ mfa_required: true });
    const after = await env.DB.prepare(`SELECT password_hash FROM "user" WHERE id = ?`)
      .bind(weak.id)
      .first<{ password_hash: string }>();
    expect(after?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it("an account without a second factor signs in in one step, as before", async () => {
    const plain = await insertUser();
    const { client, response } = await signIn(plain);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: plain.id });
    expect(client.cookies.has("session_id")).toBe(true);
    expect(client.cookies.has("mfa_pending")).toBe(false);
  });
});
