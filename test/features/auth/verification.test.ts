import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { createClient } from "../../helpers/client";
import { readEmailedToken, readOutbox, signUpAccount, uniqueEmail } from "../../helpers/accounts";
import { hashToken } from "../../../src/lib/crypto";

async function isVerified(email: string): Promise<boolean> {
  const row = await env.DB.prepare(`SELECT email_verified_at FROM "user" WHERE email = ?`)
    .bind(email)
    .first<{ email_verified_at: number | null }>();
  return row?.email_verified_at !== null && row?.email_verified_at !== undefined;
}

describe("email verification", () => {
  it("SEC-26 sends a 32-byte base64url token, stores only its SHA-256 and expires it after 24 h", async () => {
    const { client, email } = await signUpAccount();
    const token = await readEmailedToken(client, email, "/verify-email");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = await env.DB.prepare("SELECT token_hash, created_at, expires_at FROM email_token WHERE token_hash = ?")
      .bind(await hashToken(token))
      .first<{ token_hash: string; created_at: number; expires_at: number }>();
    expect(row).not.toBeNull();
    expect(row!.expires_at - row!.created_at).toBe(24 * 60 * 60 * 1000);
    const { results } = await env.DB.prepare("SELECT * FROM email_token").all();
    expect(JSON.stringify(results)).not.toContain(token);
  });

  it("verifies once; the same token again is 400 INVALID_TOKEN", async () => {
    const { client, email } = await signUpAccount();
    const token = await readEmailedToken(client, email, "/verify-email");
    const first = await client.post("/auth/verify-email", { token });
    expect(first.status).toBe(200);
    expect(await isVerified(email)).toBe(true);
    const again = await client.post("/auth/verify-email", { token });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: { code: "INVALID_TOKEN" } });
  });

  it("SEC-27 lets exactly one of 10 parallel uses of a token succeed", async () => {
    const { client, email } = await signUpAccount();
    const token = await readEmailedToken(client, email, "/verify-email");
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => createClient().post("/auth/verify-email", { token })),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(400)]);
  });

  it("SEC-26 refuses an expired token exactly like an unknown one", async () => {
    const { client, email } = await signUpAccount();
    const token = await readEmailedToken(client, email, "/verify-email");
    await env.DB.prepare("UPDATE email_token SET expires_at = ? WHERE token_hash = ?")
      .bind(Date.now() - 1, await hashToken(token))
      .run();
    const expired = await client.post("/auth/verify-email", { token });
    const unknown = await client.post("/auth/verify-email", { token: "B".repeat(43) });
    expect(expired.status).toBe(400);
    expect(await expired.text()).toBe(await unknown.text());
    expect(await isVerified(email)).toBe(false);
  });

  it("SEC-28 a new verification link invalidates the earlier ones", async () => {
    const { client, email } = await signUpAccount();
    const first = await readEmailedToken(client, email, "/verify-email");
    expect((await client.post("/auth/resend-verification", { email })).status).toBe(202);
    const second = await readEmailedToken(client, email, "/verify-email");
    expect(second).not.toBe(first);
    expect((await client.post("/auth/verify-email", { token: first })).status).toBe(400);
    expect((await client.post("/auth/verify-email", { token: second })).status).toBe(200);
  });

  it("SEC-29 resend-verification answers known, verified and unknown addresses the same", async () => {
    const { email } = await signUpAccount();
    const known = await createClient().post("/auth/resend-verification", { email });
    const unknown = await createClient().post("/auth/resend-verification", { email: uniqueEmail() });
    expect(known.status).toBe(202);
    expect(await known.text()).toBe(await unknown.text());
  });

  it("SEC-56 sends one address at most 3 new verification links an hour from any number of IPs, answering alike", async () => {
    const { client, email } = await signUpAccount();
    const unknownEmail = uniqueEmail();
    const responses: Response[] = [];
    for (let i = 0; i < 5; i++) {
      responses.push(await createClient().post("/auth/resend-verification", { email }));
      responses.push(await createClient().post("/auth/resend-verification", { email: unknownEmail }));
    }
    const first = await responses[0]!.text();
    for (const response of responses.slice(1)) {
      expect(response.status).toBe(202);
      expect(await response.text()).toBe(first);
    }
    const links = (await readOutbox(client, email)).filter(
      (message) => message.subject === "Verify your email address",
    );
    expect(links).toHaveLength(1 + 3); // the signup email, then three resends
  });

  it("SEC-30 builds links from the configured web base URL, never from Host or forwarded headers", async () => {
    const client = createClient();
    const email = uniqueEmail();
    await client.post(
      "/auth/signup",
      { email, password: "correct horse battery staple" },
      { headers: { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "http" } },
    );
    const [message] = await readOutbox(client, email);
    expect(message!.links[0]).toMatch(/^http:\/\/localhost:5173\/verify-email\?token=/);
    expect(message!.text).not.toContain("evil.example");
  });

  it("SEC-31 token endpoints send Referrer-Policy: no-referrer", async () => {
    const response = await createClient().post("/auth/verify-email", { token: "C".repeat(43) });
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("SEC-13 throttles verification-token submissions per IP", async () => {
    const client = createClient();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await client.post("/auth/verify-email", { token: "D".repeat(43) })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(400));
    expect(statuses[10]).toBe(429);
  });
});
