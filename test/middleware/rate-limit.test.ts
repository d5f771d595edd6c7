// The rate-limit middleware against the real RateLimiter object.
import { env, runInDurableObject } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv, Env } from "../../src/env";
import { handleError } from "../../src/middleware/error-handler";
import { RATE_LIMITS, type RateLimitPolicy } from "../../src/platform/rate-limit";
import { rateLimit, rateLimitOverlapped } from "../../src/middleware/rate-limit";
import { toIPBucket } from "../../src/platform/ip-bucket";
import { readClientIP } from "../../src/middleware/request-context";
import type { RateLimiter } from "../../src/rate-limit/rate-limiter";

const bindings: Env = env;

/** A policy no other test uses, so each test starts from empty counters. */
function freshPolicy(limit: number, windowSeconds = 60): RateLimitPolicy {
  return { name: `test-${crypto.randomUUID()}`, limit, windowSeconds };
}

/** A documentation-range IPv6 address in a /64 no other test uses (limits count per /64, SEC-56). */
function freshIP(): string {
  return `2001:db8:${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}::1`;
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

  it("SEC-56 counts every address of one IPv6 /64 in one bucket, and another /64 apart", async () => {
    const { calls, send } = buildApp(freshPolicy(2));
    const prefix = `2001:db8:${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`;

    const statuses = [];
    for (const address of [`${prefix}::1`, `${prefix}:ffff:ffff:ffff:ffff`, `${prefix.toUpperCase()}:0:0:0:7`]) {
      statuses.push((await send({ "CF-Connecting-IP": address })).status);
    }

    expect(statuses).toEqual([200, 200, 429]);
    expect((await send({ "CF-Connecting-IP": `${prefix}:1::1` })).status).toBe(429);
    expect((await send({ "CF-Connecting-IP": freshIP() })).status).toBe(200);
    expect(calls.count).toBe(3);
  });

  it("SEC-56 keeps IPv4 per address and counts an IPv4-mapped IPv6 address as its IPv4 client", async () => {
    const { calls, send } = buildApp(freshPolicy(2));
    const octets = crypto.getRandomValues(new Uint8Array(2));
    const ipv4 = `198.18.${octets[0]}.${octets[1]}`;

    expect((await send({ "CF-Connecting-IP": ipv4 })).status).toBe(200);
    expect((await send({ "CF-Connecting-IP": `::ffff:${ipv4}` })).status).toBe(200);
    expect((await send({ "CF-Connecting-IP": ipv4 })).status).toBe(429);
    // Its neighbour in the same /24 is another client.
    expect((await send({ "CF-Connecting-IP": `198.18.${octets[0]}.${(octets[1]! + 1) % 256}` })).status).toBe(200);
    expect(calls.count).toBe(3);
  });

  it("SEC-56 normalizes addresses to their bucket", () => {
    expect(toIPBucket("2001:DB8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(toIPBucket("2001:db8:1:2::9")).toBe("2001:db8:1:2::/64");
    expect(toIPBucket("2001:0db8:0001:0002:ffff::")).toBe("2001:db8:1:2::/64");
    expect(toIPBucket("2001:db8::")).toBe("2001:db8::/64");
    expect(toIPBucket("192.0.2.1")).toBe("192.0.2.1");
    expect(toIPBucket("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(toIPBucket("::ffff:c000:201")).toBe("192.0.2.1");
    expect(toIPBucket("not an address")).toBe("not an address");
  });

  it("lets the client in again once the window has passed", async () => {
    const policy = freshPolicy(1, 900);
    const { calls, send } = buildApp(policy);
    const ip = freshIP();
    expect((await send({ "CF-Connecting-IP": ip })).status).toBe(200);
    expect((await send({ "CF-Connecting-IP": ip })).status).toBe(429);

    const stub = bindings.RATE_LIMITER.get(bindings.RATE_LIMITER.idFromName(`${policy.name}:${toIPBucket(ip)}`));
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

/**
 * The overlapped form (login): the count starts before the handler, which reads what it needs and
 * then awaits `clientLimit` before doing anything that counts. `effects` counts what ran after it.
 */
function buildOverlappedApp(policy: RateLimitPolicy, handlerAwaits: boolean) {
  const effects = { count: 0 };
  const app = new Hono<AppEnv>();
  app.use(async function stubRequestContext(c, next) {
    c.set("clientIP", readClientIP(c.req.raw.headers));
    await next();
  });
  app.post("/attempt", rateLimitOverlapped(policy), async (c) => {
    if (!handlerAwaits) return c.json({ error: "answered without waiting for the verdict" }, 400);
    await c.get("clientLimit");
    effects.count++;
    return c.json({ ok: true });
  });
  app.onError(handleError);
  const send = (ip: string): Promise<Response> =>
    Promise.resolve(app.request("/attempt", { method: "POST", headers: { "CF-Connecting-IP": ip } }, bindings));
  return { effects, send };
}

describe("rateLimitOverlapped middleware", () => {
  it("SEC-11 lets exactly 5 of 20 parallel requests from one IP past the handler's await", async () => {
    const { effects, send } = buildOverlappedApp({ ...RATE_LIMITS.login, name: `login-${crypto.randomUUID()}` }, true);
    const ip = freshIP();

    const responses = await Promise.all(Array.from({ length: 20 }, () => send(ip)));

    expect(responses.filter((response) => response.status === 200)).toHaveLength(5);
    expect(responses.filter((response) => response.status === 429)).toHaveLength(15);
    expect(effects.count).toBe(5);
  });

  it("SEC-9: over the limit, the handler's rethrown refusal is one 429 RATE_LIMITED with Retry-After", async () => {
    const { effects, send } = buildOverlappedApp(freshPolicy(1, 60), true);
    const ip = freshIP();
    expect((await send(ip)).status).toBe(200);

    const limited = await send(ip);

    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
    expect(effects.count).toBe(1);
  });

  it("SEC-9: a handler that answers without awaiting the verdict is still overruled by the 429", async () => {
    const { send } = buildOverlappedApp(freshPolicy(1, 60), false);
    const ip = freshIP();
    expect((await send(ip)).status).toBe(400);

    const limited = await send(ip);

    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
  });

  it("counts once per request, like rateLimit: the handler's await and the middleware's share one verdict", async () => {
    const policy = freshPolicy(3, 60);
    const { send } = buildOverlappedApp(policy, true);
    const ip = freshIP();
    const statuses = [];
    for (let attempt = 0; attempt < 4; attempt++) statuses.push((await send(ip)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
