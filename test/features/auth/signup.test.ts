import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { createClient } from "../../helpers/client";
import { GOOD_PASSWORD, readOutbox, signUpAccount, uniqueEmail } from "../../helpers/accounts";
import { countRows } from "../../helpers/factories";

describe("POST /auth/signup", () => {
  it("creates the user as org_admin of a new personal organization, unverified, without logging in", async () => {
    const client = createClient();
    const email = uniqueEmail();
    const response = await client.post("/auth/signup", { email, password: GOOD_PASSWORD, first_name: "Grace" });

    expect(response.status).toBe(201);
    expect(response.headers.get("set-cookie")).toBeNull();
    const user = await env.DB.prepare(
      `SELECT u.role, u.email_verified_at, o.name FROM "user" u JOIN organization o ON o.id = u.organization_id WHERE u.email = ?`,
    )
      .bind(email)
      .first<{ role: string; email_verified_at: number | null; name: string }>();
    expect(user).toEqual({ role: "org_admin", email_verified_at: null, name: "Grace's organization" });
    const [message] = await readOutbox(client, email);
    expect(message?.subject).toBe("Verify your email address");
  });

  it("names the organization on /auth/signup-org", async () => {
    const client = createClient();
    const email = uniqueEmail();
    const response = await client.post("/auth/signup-org", {
      organization_name: "Analytical Engines Ltd",
      email,
      password: GOOD_PASSWORD,
    });
    expect(response.status).toBe(201);
    const row = await env.DB.prepare(
      `SELECT o.name FROM "user" u JOIN organization o ON o.id = u.organization_id WHERE u.email = ?`,
    )
      .bind(email)
      .first<{ name: string }>();
    expect(row?.name).toBe("Analytical Engines Ltd");
  });

  it("SEC-7 answers an existing address exactly like a new one, and emails its owner instead", async () => {
    const { email } = await signUpAccount();
    const fresh = await createClient().post("/auth/signup", { email: uniqueEmail(), password: GOOD_PASSWORD });
    const client = createClient();
    const again = await client.post("/auth/signup", { email, password: "another good passphrase" });

    expect(again.status).toBe(fresh.status);
    expect(await again.text()).toBe(await fresh.text());
    expect(again.headers.get("set-cookie")).toBeNull();
    expect(await countRows("user", "email = ?", email)).toBe(1);
    const subjects = (await readOutbox(client, email)).map((message) => message.subject);
    expect(subjects).toContain("You already have an account");
  });

  it("SEC-32 stores the email trimmed and lowercased, keeps +tags, refuses more than 254 characters", async () => {
    const client = createClient();
    const local = `Ada+Billing.${crypto.randomUUID().slice(0, 8)}`;
    expect(
      (await client.post("/auth/signup", { email: `  ${local}@Example.COM `, password: GOOD_PASSWORD })).status,
    ).toBe(201);
    expect(await countRows("user", "email = ?", `${local.toLowerCase()}@example.com`)).toBe(1);

    const tooLong = `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.com`;
    expect(tooLong.length).toBeGreaterThan(254);
    const response = await createClient().post("/auth/signup", { email: tooLong, password: GOOD_PASSWORD });
    expect(response.status).toBe(422);
  });

  it("SEC-2 counts code points: 8 to 64, a 64-emoji passphrase is accepted and 65 are not", async () => {
    const sixtyFour = "🔐".repeat(64);
    expect(sixtyFour.length).toBe(128); // UTF-16 units: a naive .length check would refuse it
    expect((await createClient().post("/auth/signup", { email: uniqueEmail(), password: sixtyFour })).status).toBe(201);
    expect(
      (await createClient().post("/auth/signup", { email: uniqueEmail(), password: `${sixtyFour}x` })).status,
    ).toBe(422);
    expect((await createClient().post("/auth/signup", { email: uniqueEmail(), password: "seven77" })).status).toBe(422);
  });

  it("SEC-3 refuses the most common passwords with 422 and the field named", async () => {
    const response = await createClient().post("/auth/signup", { email: uniqueEmail(), password: "Password123" });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { code: string; details: { fields: { field: string }[] } } };
    expect(body.error.code).toBe("VALIDATION_ERROR");
    expect(body.error.details.fields.map((f) => f.field)).toEqual(["password"]);
  });

  it("SEC-37 refuses role, organization_id and email_verified in the body (no mass assignment)", async () => {
    const email = uniqueEmail();
    const response = await createClient().post("/auth/signup", {
      email,
      password: GOOD_PASSWORD,
      role: "sys_admin",
      organization_id: "someone-elses-org",
      email_verified: true,
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { details: { fields: { field: string }[] } } };
    expect(body.error.details.fields.map((f) => f.field).sort()).toEqual(["email_verified", "organization_id", "role"]);
    expect(await countRows("user", "email = ?", email)).toBe(0);
  });

  it("does not exist in B2B mode: both signup routes are 404 and nothing is written", async () => {
    const client = createClient({ env: { MODE: "b2b" } });
    const email = uniqueEmail();
    for (const path of ["/auth/signup", "/auth/signup-org"]) {
      const response = await client.post(path, { organization_name: "X", email, password: GOOD_PASSWORD });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
    }
    expect(await countRows("user", "email = ?", email)).toBe(0);
  });

  it("SEC-9 allows 3 signups per hour per IP, then 429 RATE_LIMITED with Retry-After", async () => {
    const client = createClient();
    for (let i = 0; i < 3; i++) {
      expect((await client.post("/auth/signup", { email: uniqueEmail(), password: GOOD_PASSWORD })).status).toBe(201);
    }
    const email = uniqueEmail();
    const limited = await client.post("/auth/signup", { email, password: GOOD_PASSWORD });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ error: { code: "RATE_LIMITED" } });
    expect(await countRows("user", "email = ?", email)).toBe(0);
  });
});
