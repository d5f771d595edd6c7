// The login back-off client (SEC-12, SEC-55) against the real RateLimiter object.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { RateLimitedError } from "../../src/errors";
import { hashToken } from "../../src/lib/crypto";
import { normalizeEmail } from "../../src/lib/email-address";
import {
  type LoginAttempt,
  type LoginClient,
  admitLoginAttempt,
  liftLoginBackoff,
  recordLoginFailure,
  recordLoginSuccess,
} from "../../src/middleware/login-backoff";
import type { RateLimiter } from "../../src/rate-limit/rate-limiter";

const bindings: Env = env;

function freshEmail(): string {
  return normalizeEmail(`${crypto.randomUUID()}@example.com`);
}

function fromIP(ip: string): LoginClient {
  return { kind: "ip", ip };
}

function freshIP(): LoginClient {
  const bytes = crypto.getRandomValues(new Uint8Array(3));
  return fromIP(`10.${bytes[0]}.${bytes[1]}.${bytes[2]}`);
}

async function fail(attempt: LoginAttempt): Promise<void> {
  await recordLoginFailure(bindings, await admitLoginAttempt(bindings, attempt));
}

async function expectRateLimited(promise: Promise<unknown>): Promise<RateLimitedError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RateLimitedError);
  return error as RateLimitedError;
}

function accountObject(email: string): Promise<DurableObjectStub<RateLimiter>> {
  return hashToken(email).then((hash) =>
    bindings.RATE_LIMITER.get(bindings.RATE_LIMITER.idFromName(`login-account:${hash}`)),
  );
}

describe("login back-off client", () => {
  it("SEC-12 slows an account after failures from many IPs and counts case variants together", async () => {
    const local = crypto.randomUUID();
    const variants = [`${local}@Example.com`, ` ${local.toUpperCase()}@EXAMPLE.COM`, `${local}@example.COM `];
    for (let attempt = 0; attempt < 6; attempt++) {
      await fail({ normalizedEmail: normalizeEmail(variants[attempt % variants.length]!), client: freshIP() });
    }

    const error = await expectRateLimited(
      admitLoginAttempt(bindings, { normalizedEmail: normalizeEmail(`${local}@EXAMPLE.com`), client: freshIP() }),
    );
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(2);
    // Another account is not affected.
    await admitLoginAttempt(bindings, {
      normalizedEmail: normalizeEmail(`other-${local}@example.com`),
      client: freshIP(),
    });
  });

  it("SEC-55 counts every address of one IPv6 /64 as one client, and a device apart from its IP", async () => {
    const email = freshEmail();
    const prefix = `2001:db8:${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`;
    // Five failures free, the sixth locks the client (and slows the account).
    for (let i = 0; i < 6; i++) await fail({ normalizedEmail: email, client: fromIP(`${prefix}::${i + 1}`) });
    const stub = await accountObject(email);
    await runInDurableObject(stub, (_instance: RateLimiter, state) => {
      // Only the per-client lock stays: the account-wide slow-down is lifted for this check.
      state.storage.sql.exec("DELETE FROM login_locks WHERE scope = 'account'");
    });

    await expectRateLimited(
      admitLoginAttempt(bindings, { normalizedEmail: email, client: fromIP(`${prefix}:1:2:3:4`) }),
    );
    await admitLoginAttempt(bindings, { normalizedEmail: email, client: { kind: "device", deviceId: "device-1" } });
  });

  it("SEC-55 a success forgives that client; a lift (password reset) ends every lock on the account", async () => {
    const email = freshEmail();
    const owner = freshIP();
    for (let i = 0; i < 6; i++) await fail({ normalizedEmail: email, client: owner });
    const stub = await accountObject(email);
    await runInDurableObject(stub, (_instance: RateLimiter, state) => {
      state.storage.sql.exec("UPDATE login_locks SET locked_until = locked_until + 3600000");
    });
    await expectRateLimited(admitLoginAttempt(bindings, { normalizedEmail: email, client: owner }));
    await expectRateLimited(admitLoginAttempt(bindings, { normalizedEmail: email, client: freshIP() }));

    await liftLoginBackoff(bindings, email);

    const attempt = { normalizedEmail: email, client: owner };
    await recordLoginSuccess(bindings, await admitLoginAttempt(bindings, attempt));
    await admitLoginAttempt(bindings, { normalizedEmail: email, client: freshIP() });
  });

  it("names the account's object by the SHA-256 of the email and stores clients only as SHA-256", async () => {
    const names: string[] = [];
    const spying = {
      idFromName: (name: string) => {
        names.push(name);
        return bindings.RATE_LIMITER.idFromName(name);
      },
      get: (id: DurableObjectId) => bindings.RATE_LIMITER.get(id),
    } as unknown as Env["RATE_LIMITER"];
    const spyingBindings = { ...bindings, RATE_LIMITER: spying };
    const email = freshEmail();
    const ip = "203.0.113.77";
    const attempt: LoginAttempt = { normalizedEmail: email, client: fromIP(ip) };

    const admitted = await admitLoginAttempt(spyingBindings, attempt);
    await recordLoginFailure(spyingBindings, admitted);
    await recordLoginSuccess(spyingBindings, admitted);
    await recordLoginFailure(spyingBindings, admitted);

    const expected = `login-account:${await hashToken(email)}`;
    expect(names).toEqual([expected, expected, expected, expected]);
    for (const name of names) expect(name).not.toContain(email.split("@")[0]);
    const scopes = await runInDurableObject(await accountObject(email), (_instance: RateLimiter, state) =>
      state.storage.sql.exec<{ scope: string }>("SELECT DISTINCT scope FROM login_attempts").toArray(),
    );
    expect(scopes.map((row) => row.scope).sort()).toEqual(["account", await hashToken(`ip:${ip}`)].sort());
  });

  it("refuses with 429 and Retry-After: 1 when the limiter itself fails, and a lift never fails the caller", async () => {
    const failing = {
      idFromName: (name: string) => bindings.RATE_LIMITER.idFromName(name),
      get: () => ({
        admitLoginAttempt: () => Promise.reject(new Error("Durable Object is overloaded")),
        liftLoginBackoff: () => Promise.reject(new Error("Durable Object is overloaded")),
      }),
    } as unknown as Env["RATE_LIMITER"];
    const failingBindings = { ...bindings, RATE_LIMITER: failing };
    const email = freshEmail();

    const error = await expectRateLimited(
      admitLoginAttempt(failingBindings, { normalizedEmail: email, client: freshIP() }),
    );
    expect(error.retryAfterSeconds).toBe(1);
    await liftLoginBackoff(failingBindings, email);
  });
});
