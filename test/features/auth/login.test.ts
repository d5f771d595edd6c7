import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { createClient } from "../../helpers/client";
import { GOOD_PASSWORD, signUpAccount, signedInAccount, uniqueEmail } from "../../helpers/accounts";
import { auditActions, countRows, insertUser } from "../../helpers/factories";
import { hashToken } from "../../../src/lib/crypto";

function comparableHeaders(response: Response): [string, string][] {
  return [...response.headers].filter(([name]) => name !== "x-request-id").sort();
}

describe("POST /auth/login", () => {
  it("signs in a verified user: 200 with the user and a session cookie", async () => {
    const user = await insertUser();
    const client = createClient();
    const response = await client.post("/auth/login", { email: user.email, password: user.password });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: user.id, email: user.email, role: "org_admin" });
    expect(client.cookies.get("session_id")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await auditActions(user.id)).toContain("login_succeeded");
  });

  it("SEC-5 answers an unknown email and a wrong password byte-identically", async () => {
    const user = await insertUser();
    const unknown = await createClient().post("/auth/login", { email: uniqueEmail(), password: "wrong password 1" });
    const wrong = await createClient().post("/auth/login", { email: user.email, password: "wrong password 1" });

    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toBe(await unknown.text());
    expect(comparableHeaders(wrong)).toEqual(comparableHeaders(unknown));
    expect(wrong.headers.get("set-cookie")).toBeNull();
  });

  it("SEC-8 refuses the right password on an unverified account with EMAIL_NOT_VERIFIED and no cookie", async () => {
    const { email, password } = await signUpAccount();
    const client = createClient();
    const right = await client.post("/auth/login", { email, password });
    expect(right.status).toBe(403);
    expect(await right.json()).toMatchObject({ error: { code: "EMAIL_NOT_VERIFIED" } });
    expect(right.headers.get("set-cookie")).toBeNull();
  });

  it("SEC-8 makes a wrong password on an unverified account look exactly like SEC-5", async () => {
    const { email } = await signUpAccount();
    const wrong = await createClient().post("/auth/login", { email, password: "wrong password 1" });
    const unknown = await createClient().post("/auth/login", { email: uniqueEmail(), password: "wrong password 1" });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toBe(await unknown.text());
    expect(comparableHeaders(wrong)).toEqual(comparableHeaders(unknown));
  });

  it("SEC-2 does not truncate: a 64-code-point passphrase works and its 63-code-point prefix does not", async () => {
    const passphrase = `${"ключ🔑".repeat(12)}abcd`; // 64 code points, 76 UTF-16 units
    expect([...passphrase].length).toBe(64);
    const user = await insertUser({ password: passphrase });
    const prefix = [...passphrase].slice(0, 63).join("");
    expect((await createClient().post("/auth/login", { email: user.email, password: passphrase })).status).toBe(200);
    expect((await createClient().post("/auth/login", { email: user.email, password: prefix })).status).toBe(401);
    expect(
      (await createClient().post("/auth/login", { email: user.email, password: passphrase.toUpperCase() })).status,
    ).toBe(401);
  });

  it("SEC-32 signs in with any case and surrounding spaces of the email", async () => {
    const user = await insertUser();
    const response = await createClient().post("/auth/login", {
      email: `  ${user.email.toUpperCase()} `,
      password: user.password,
    });
    expect(response.status).toBe(200);
  });

  it("SEC-1 re-hashes a hash below the current parameters at the next successful login", async () => {
    const user = await insertUser({ argon2: { memoryKiB: 8192, iterations: 1, parallelism: 1 } });
    const before = await env.DB.prepare(`SELECT password_hash FROM "user" WHERE id = ?`)
      .bind(user.id)
      .first<{ password_hash: string }>();
    expect(before?.password_hash).toMatch(/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);

    expect((await createClient().post("/auth/login", { email: user.email, password: user.password })).status).toBe(200);
    const after = await env.DB.prepare(`SELECT password_hash FROM "user" WHERE id = ?`)
      .bind(user.id)
      .first<{ password_hash: string }>();
    expect(after?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await createClient().post("/auth/login", { email: user.email, password: user.password })).status).toBe(200);
  });

  it("SEC-14 stores only the SHA-256 of the session token", async () => {
    const { client } = await signedInAccount();
    const token = client.cookies.get("session_id")!;
    expect(await countRows("session", "token_hash = ?", await hashToken(token))).toBe(1);
    const { results } = await env.DB.prepare("SELECT * FROM session").all();
    expect(JSON.stringify(results)).not.toContain(token);
  });

  it("SEC-15 sets HttpOnly, SameSite=Lax, Path=/, Max-Age and no Domain in dev", async () => {
    const user = await insertUser();
    const response = await createClient().post("/auth/login", { email: user.email, password: user.password });
    const cookie = response.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^session_id=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toContain("Path=/");
    expect(cookie).toContain("Max-Age=86400");
    expect(cookie).not.toMatch(/Domain=/i);
    expect(cookie).not.toContain("Secure");
  });

  it("SEC-15 adds Secure and SameSite=Strict outside dev", async () => {
    const user = await insertUser();
    const client = createClient({
      env: {
        ENVIRONMENT: "prod",
        WEB_BASE_URL: "https://app.example.com",
        CORS_ORIGINS: "https://app.example.com",
        EMAIL_PROVIDER: "resend",
        RESEND_API_KEY: "re_test_key",
      },
      origin: "https://app.example.com",
    });
    const response = await client.post("/auth/login", { email: user.email, password: user.password });
    expect(response.status).toBe(200);
    const cookie = response.headers.get("set-cookie")!;
    expect(cookie).toContain("Secure");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("HttpOnly");
  });

  it("SEC-16 issues a new token at every login and never adopts a cookie the client brought", async () => {
    const user = await insertUser();
    const planted = "A".repeat(43);
    const client = createClient();
    client.cookies.set("session_id", planted);
    await client.post("/auth/login", { email: user.email, password: user.password });
    const first = client.cookies.get("session_id");
    await client.post("/auth/login", { email: user.email, password: user.password });
    const second = client.cookies.get("session_id");

    expect(first).not.toBe(planted);
    expect(second).not.toBe(first);
    expect(await countRows("session", "token_hash = ?", await hashToken(planted))).toBe(0);
    const planter = createClient();
    planter.cookies.set("session_id", planted);
    expect((await planter.get("/users/me")).status).toBe(401);
  });

  it("SEC-9 allows 5 logins per 15 minutes per IP; the 6th is 429 before any password check", async () => {
    const user = await insertUser();
    const client = createClient();
    for (let i = 0; i < 5; i++) {
      expect((await client.post("/auth/login", { email: user.email, password: user.password })).status).toBe(200);
    }
    const auditBefore = (await auditActions(user.id)).length;
    const limited = await client.post("/auth/login", { email: user.email, password: user.password });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await auditActions(user.id)).length).toBe(auditBefore);
  });

  it("SEC-11 processes exactly 5 of 20 parallel logins from one IP", async () => {
    const user = await insertUser();
    const ip = "10.99.0.1";
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        createClient({ ip }).post("/auth/login", { email: user.email, password: user.password }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
  });

  it("SEC-9: over the limit, a malformed login is still 429, not 400: the count is made before validation, though awaited beside the lookup", async () => {
    const client = createClient();
    for (let i = 0; i < 5; i++) {
      expect((await client.post("/auth/login", { email: uniqueEmail(), password: "wrong password 1" })).status).toBe(
        401,
      );
    }
    const malformed = await client.post("/auth/login", { email: "not an email" });
    expect(malformed.status).toBe(429);
    expect(malformed.headers.get("retry-after")).toMatch(/^\d+$/);
  });

  it("SEC-10 ignores X-Forwarded-For, X-Real-IP and True-Client-IP when counting", async () => {
    const user = await insertUser();
    const client = createClient({ ip: "10.99.0.2" });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const spoof = `203.0.113.${i}`;
      const response = await client.post(
        "/auth/login",
        { email: user.email, password: user.password },
        { headers: { "x-forwarded-for": spoof, "x-real-ip": spoof, "true-client-ip": spoof } },
      );
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it("SEC-12 backs off an account after repeated failures from many IPs, counting case variants together", async () => {
    const user = await insertUser();
    const variants = [user.email, user.email.toUpperCase(), ` ${user.email}`];
    for (let i = 0; i < 5; i++) {
      const response = await createClient().post("/auth/login", {
        email: variants[i % 3],
        password: "wrong password 1",
      });
      expect(response.status).toBe(401);
    }
    const sixth = await createClient().post("/auth/login", { email: user.email, password: "wrong password 1" });
    expect(sixth.status).toBe(401); // the 6th failure is processed and sets the first, short lock
    const locked = await createClient().post("/auth/login", {
      email: user.email.toUpperCase(),
      password: user.password,
    });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeLessThanOrEqual(2);
  });

  it("SEC-54 completes 20 concurrent logins from different IPs without an isolate error", async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => insertUser()));
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const user = users[i % users.length]!;
        return createClient().post("/auth/login", { email: user.email, password: user.password });
      }),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
  });

  it("refuses a password-less (Google) account like a wrong password", async () => {
    const user = await insertUser({ passwordHash: null });
    const response = await createClient().post("/auth/login", { email: user.email, password: GOOD_PASSWORD });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "INVALID_CREDENTIALS" } });
  });

  it("refuses suspended users and organizations only after the right password", async () => {
    const user = await insertUser();
    await env.DB.prepare(`UPDATE "user" SET suspended_at = ? WHERE id = ?`).bind(Date.now(), user.id).run();
    const suspended = await createClient().post("/auth/login", { email: user.email, password: user.password });
    expect(await suspended.json()).toMatchObject({ error: { code: "ACCOUNT_SUSPENDED" } });

    const other = await insertUser();
    await env.DB.prepare(`UPDATE organization SET suspended_at = ? WHERE id = ?`)
      .bind(Date.now(), other.organizationId)
      .run();
    const orgSuspended = await createClient().post("/auth/login", { email: other.email, password: other.password });
    expect(orgSuspended.status).toBe(403);
    expect(await orgSuspended.json()).toMatchObject({ error: { code: "ORG_SUSPENDED" } });
    const wrong = await createClient().post("/auth/login", { email: other.email, password: "wrong password 1" });
    expect(wrong.status).toBe(401);
  });
});
