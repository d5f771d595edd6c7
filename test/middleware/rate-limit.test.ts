// The rate-limit middleware and login back-off helpers against the real RateLimiter object.
import { env, runInDurableObject } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv, Env } from "../../src/env";
import { RateLimitedError } from "../../src/errors";
import { hashToken } from "../../src/lib/crypto";
import { handleError } from "../../src/middleware/error-handler";
import {
  RATE_LIMITS,
  checkLoginBackoff,
  clearLoginFailures,
  recordLoginFailure,
  type RateLimitPolicy,
} from "../../src/platform/rate-limit";
import { rateLimit } from "../../src/middleware/rate-limit";
import { readClientIP } from "../../src/middleware/request-context";
import type { RateLimiter } from "../../src/rate-limit/rate-limiter";

const bindings: Env = env;

/** A policy no other test uses, so each test starts from empty counters. */
function freshPolicy(limit: number, windowSeconds = 60): RateLimitPolicy {
  return { name: `test-${crypto.randomUUID()}`, limit, windowSeconds };
}

/** A documentation-range IPv6 address no other test uses. */
function freshIP(): string {
  return `2001:db8::${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`;
}

/** A tiny app: client IP as requestContext reads it, the limiter, a handler that counts its calls. */
function buildApp(policy: RateLimitPolicy, appBindings: Env = bindings) {
  const calls = { count: 0 };
  const app = new Hono<AppEnv>();
  app.use(async function stubRequestContext(c, next) {
    c.set("clientIP", readClientIP(c.req.raw.headers));
    await next();
  });
  app.post("/attempt", rateLimit(policy), (c) => {
    calls.count++;
    return c.json({ ok: true });
  });
  app.onError(handleError);
  const send = (headers: Record<string, string> = {}): Promise<Response> =>
    Promise.resolve(app.request("/attempt", { method: "POST", headers }, appBindings));
  return { calls, send };
}

function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

async function expectRateLimited(promise: Promise<unknown>): Promise<RateLimitedError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RateLimitedError);
  return error as RateLimitedError;
}

describe("rateLimit middleware", () => {
  it("SEC-11 lets exactly 5 of 20 parallel logins from one IP through", async () => {
    const { calls, send } = buildApp({ ...RATE_LIMITS.login, name: `login-${crypto.randomUUID()}` });
    const ip = freshIP();

    const responses = await Promise.all(Array.from({ length: 20 }, () => send({ "CF-Connecting-IP": ip })));

    expect(responses.filter((response) => response.status === 200)).toHaveLength(5);
    expect(responses.filter((response) => response.status === 429)).toHaveLength(15);
    expect(calls.count).toBe(5);
  });

  it("SEC-9 answers 429 RATE_LIMITED with Retry-After", async () => {
    const { calls, send } = buildApp(freshPolicy(1, 60));
    const ip = freshIP();

    expect((await send({ "CF-Connecting-IP": ip })).status).toBe(200);
    const limited = await send({ "CF-Connecting-IP": ip });

    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("Retry-After"));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await limited.json()).toEqual({
      error: {
        code: "RATE_LIMITED",
        message: expect.any(String),
        details: { retry_after_seconds: retryAfter },
      },
    });
    expect(calls.count).toBe(1);
  });

  it("SEC-10 ignores X-Forwarded-For, X-Real-IP and True-Client-IP when keying", async () => {
    const { calls, send } = buildApp(freshPolicy(2));
    const ip = freshIP();

    const spoofed = await Promise.all(
      ["198.51.100.1", "198.51.100.2", "198.51.100.3"].map((fake) =>
        send({ "CF-Connecting-IP": ip, "X-Forwarded-For": fake, "X-Real-IP": fake, "True-Client-IP": fake }),
      ),
    );
    expect(spoofed.map((response) => response.status).sort()).toEqual([200, 200, 429]);

    // Claiming the address of someone else in X-Forwarded-For does not borrow their bucket either.
    const other = freshIP();
    expect((await send({ "CF-Connecting-IP": ip, "X-Forwarded-For": other })).status).toBe(429);
    expect((await send({ "CF-Connecting-IP": other })).status).toBe(200);
    expect(calls.count).toBe(3);
  });

  it("SEC-10 puts requests without an IP into one shared fail-closed bucket", async () => {
    const { calls, send } = buildApp(freshPolicy(2));

    const statuses = [];
    for (const fake of ["198.51.100.7", "198.51.100.8", "198.51.100.9"]) {
      statuses.push((await send({ "X-Forwarded-For": fake, "X-Real-IP": fake })).status);
    }
    statuses.push((await send()).status);

    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(calls.count).toBe(2);
    // Clients with a real address are not caught in the shared bucket.
    expect((await send({ "CF-Connecting-IP": freshIP() })).status).toBe(200);
  });

  it("lets the client in again once the window has passed", async () => {
    const policy = freshPolicy(1, 900);
    const { calls, send } = buildApp(policy);
    const ip = freshIP();
    expect((await send({ "CF-Connecting-IP": ip })).status).toBe(200);
    expect((await send({ "CF-Connecting-IP": ip })).status).toBe(429);

    const stub = bindings.RATE_LIMITER.get(bindings.RATE_LIMITER.idFromName(`${policy.name}:${ip}`));
    await runInDurableObject(stub, (_instance: RateLimiter, state) => {
      state.storage.sql.exec("UPDATE hits SET expires_at = 0");
    });

    expect((await send({ "CF-Connecting-IP": ip })).status).toBe(200);
    expect(calls.count).toBe(2);
  });

  it("refuses with 429 and Retry-After: 1 when the limiter itself fails", async () => {
    const failing = {
      idFromName: (name: string) => bindings.RATE_LIMITER.idFromName(name),
      get: () => ({ consume: () => Promise.reject(new Error("Durable Object is overloaded")) }),
    } as unknown as Env["RATE_LIMITER"];
    const { calls, send } = buildApp(freshPolicy(100), { ...bindings, RATE_LIMITER: failing });

    const response = await send({ "CF-Connecting-IP": freshIP() });

    expect(response.status).toBe(429);
    expect(response.headers.get("Retry-After")).toBe("1");
    expect(calls.count).toBe(0);
  });

  it("refuses a policy that could admit everything when the route is defined", () => {
    expect(() => rateLimit({ name: "broken", limit: 0, windowSeconds: 60 })).toThrow(RangeError);
    expect(() => rateLimit({ name: "broken", limit: 5, windowSeconds: Number.NaN })).toThrow(RangeError);
  });

  it("keeps the SECURITY.md numbers", () => {
    expect(RATE_LIMITS.login).toMatchObject({ limit: 5, windowSeconds: 900 });
    expect(RATE_LIMITS.signup).toMatchObject({ limit: 3, windowSeconds: 3600 });
    expect(RATE_LIMITS.signupOrg).toMatchObject({ limit: 3, windowSeconds: 3600 });
    expect(RATE_LIMITS.forgotPassword).toMatchObject({ limit: 3, windowSeconds: 3600 });
    expect(RATE_LIMITS.resendVerification).toMatchObject({ limit: 10, windowSeconds: 60 });
    expect(new Set(Object.values(RATE_LIMITS).map((policy) => policy.name)).size).toBe(Object.keys(RATE_LIMITS).length);
  });
});

describe("login back-off", () => {
  it("SEC-12 backs off an account after repeated failures and counts case variants together", async () => {
    const local = crypto.randomUUID();
    const variants = [`${local}@Example.com`, ` ${local.toUpperCase()}@EXAMPLE.COM`, `${local}@example.COM `];

    for (let attempt = 0; attempt < 6; attempt++) {
      const email = normalizeEmail(variants[attempt % variants.length]!);
      await checkLoginBackoff(bindings, email);
      await recordLoginFailure(bindings, email);
    }

    const error = await expectRateLimited(
      checkLoginBackoff(bindings, normalizeEmail(`${local.toUpperCase()}@example.com`)),
    );
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(2);
    // Another account is not affected.
    await checkLoginBackoff(bindings, normalizeEmail(`other-${local}@example.com`));
  });

  it("SEC-12 lifts the back-off after a successful login", async () => {
    const email = normalizeEmail(`${crypto.randomUUID()}@example.com`);
    for (let failure = 0; failure < 7; failure++) await recordLoginFailure(bindings, email);
    await expectRateLimited(checkLoginBackoff(bindings, email));

    await clearLoginFailures(bindings, email);

    await checkLoginBackoff(bindings, email);
  });

  it("SEC-12 back-off expires", async () => {
    const email = normalizeEmail(`${crypto.randomUUID()}@example.com`);
    for (let failure = 0; failure < 6; failure++) await recordLoginFailure(bindings, email);
    await expectRateLimited(checkLoginBackoff(bindings, email));

    const stub = bindings.RATE_LIMITER.get(bindings.RATE_LIMITER.idFromName(`login-account:${await hashToken(email)}`));
    await runInDurableObject(stub, (_instance: RateLimiter, state) => {
      state.storage.sql.exec("UPDATE backoff_lock SET locked_until = 0");
    });

    await checkLoginBackoff(bindings, email);
  });

  it("names the account's object by the SHA-256 of the email, never the email itself", async () => {
    const names: string[] = [];
    const spying = {
      idFromName: (name: string) => {
        names.push(name);
        return bindings.RATE_LIMITER.idFromName(name);
      },
      get: (id: DurableObjectId) => bindings.RATE_LIMITER.get(id),
    } as unknown as Env["RATE_LIMITER"];
    const spyingBindings = { ...bindings, RATE_LIMITER: spying };
    const email = normalizeEmail(`${crypto.randomUUID()}@example.com`);

    await checkLoginBackoff(spyingBindings, email);
    await recordLoginFailure(spyingBindings, email);
    await clearLoginFailures(spyingBindings, email);

    const expected = `login-account:${await hashToken(email)}`;
    expect(names).toEqual([expected, expected, expected]);
    for (const name of names) expect(name).not.toContain(email.split("@")[0]);
  });
});
