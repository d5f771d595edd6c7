import { describe, expect, it } from "vitest";
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../../src/index";
import { getPasswordHashingStats } from "../../../src/lib/password";
import { API_ORIGIN, WEB_ORIGIN, createClient, randomIP } from "../../helpers/client";
import { GOOD_PASSWORD, readOutbox, signUpAccount, uniqueEmail } from "../../helpers/accounts";
import { countRows } from "../../helpers/factories";

interface SignupWork {
  status: number;
  body: string;
  /**
   * D1 statements started before the response was returned. A deferred task runs synchronously up
   * to its first await, so the deferred lookup is started (not awaited) by then on both paths.
   */
  statementsBeforeResponse: number;
  /** Argon2 computations before the response, and in all (after the deferred work). */
  argon2BeforeResponse: number;
  argon2Total: number;
}

const EXECUTING_METHODS = new Set<PropertyKey>(["run", "all", "first", "raw"]);

/** The binding, counting every statement it executes (alone or in a batch). */
function countExecutedStatements(db: D1Database, counter: { statements: number }): D1Database {
  const wrapStatement = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (EXECUTING_METHODS.has(property)) counter.statements++;
          const result = (value as (...parameters: unknown[]) => unknown).apply(target, args);
          return property === "bind" ? wrapStatement(result as D1PreparedStatement) : result;
        };
      },
    });
  return new Proxy(db, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (property === "batch") counter.statements += (args[0] as unknown[]).length;
        if (property === "exec") counter.statements++;
        const result = (value as (...parameters: unknown[]) => unknown).apply(target, args);
        return property === "prepare" ? wrapStatement(result as D1PreparedStatement) : result;
      };
    },
  });
}

/** One signup through the worker's fetch, counting the work done before it answered. */
async function measureSignup(email: string): Promise<SignupWork> {
  const counter = { statements: 0 };
  const countingDB = countExecutedStatements(env.DB, counter);
  const request = new Request(new URL("/auth/signup", API_ORIGIN), {
    method: "POST",
    headers: { "content-type": "application/json", origin: WEB_ORIGIN, "cf-connecting-ip": randomIP() },
    body: JSON.stringify({ email, password: GOOD_PASSWORD }),
  });
  const ctx = createExecutionContext();
  const before = getPasswordHashingStats().operations;
  const response = await worker.fetch(request, { ...env, DB: countingDB }, ctx);
  const statementsBeforeResponse = counter.statements;
  const argon2BeforeResponse = getPasswordHashingStats().operations - before;
  const body = await response.text();
  await waitOnExecutionContext(ctx);
  return {
    status: response.status,
    body,
    statementsBeforeResponse,
    argon2BeforeResponse,
    argon2Total: getPasswordHashingStats().operations - before,
  };
}

describe("POST /auth/signup", () => {
  it("creates the user as org_admin of a new personal organization, unverified, without logging in", async () => {
    const client = createClient();
    const email = uniqueEmail();
    const response = await client.post("/auth/signup", { email, password: GOOD_PASSWORD, first_name: "Grace" });

    expect(response.status).toBe(201);
    expect(response.headers.get("set-cookie")).toBeNull();
    const user = await env.DB.prepare(
      `SELECT m.role, u.email_verified_at, o.name FROM "user" u JOIN membership m ON m.user_id = u.id
       JOIN organization o ON o.id = m.organization_id WHERE u.email = ?`,
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
      `SELECT o.name FROM "user" u JOIN membership m ON m.user_id = u.id JOIN organization o ON o.id = m.organization_id WHERE u.email = ?`,
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

  it("SEC-57 does the same work for a taken and a free address before answering: one Argon2id hash and the same D1 statements", async () => {
    const { email: taken } = await signUpAccount();
    const free = uniqueEmail();

    const takenWork = await measureSignup(taken);
    const freeWork = await measureSignup(free);

    for (const work of [takenWork, freeWork]) {
      expect(work.status).toBe(201);
      expect(work.argon2BeforeResponse).toBe(1);
      expect(work.argon2Total).toBe(1);
    }
    expect(takenWork.statementsBeforeResponse).toBe(freeWork.statementsBeforeResponse);
    expect(freeWork.statementsBeforeResponse).toBeLessThanOrEqual(1); // at most the deferred lookup, not awaited
    expect(takenWork.body).toBe(freeWork.body);
    // The deferred part did its job on both paths.
    expect(await countRows("user", "email = ?", free)).toBe(1);
    expect(await countRows("user", "email = ?", taken)).toBe(1);
  });

  it("SEC-56 sends the owner of a taken address at most 3 'already registered' emails an hour, however many IPs sign up", async () => {
    const { email } = await signUpAccount();
    for (let i = 0; i < 5; i++) {
      expect((await createClient().post("/auth/signup", { email, password: GOOD_PASSWORD })).status).toBe(201);
    }
    const notices = (await readOutbox(createClient(), email)).filter(
      (m) => m.subject === "You already have an account",
    );
    expect(notices).toHaveLength(3);
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
