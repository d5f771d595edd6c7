// The RateLimiter object on its own: exact counting, login back-off and cleanup of idle objects.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import {
  FREE_LOGIN_FAILURES,
  LOGIN_BACKOFF_MAX_SECONDS,
  computeLoginLockSeconds,
  type RateLimiter,
} from "../../src/rate-limit/rate-limiter";

const bindings: Env = env;

/** A fresh object per test, so tests never share counters. */
function freshLimiter(): DurableObjectStub<RateLimiter> {
  return bindings.RATE_LIMITER.get(bindings.RATE_LIMITER.idFromName(`test:${crypto.randomUUID()}`));
}

/** Moves every stored expiry into the past, as if the window had elapsed (no sleeping). */
async function expireEverything(stub: DurableObjectStub<RateLimiter>): Promise<void> {
  await runInDurableObject(stub, (_instance: RateLimiter, state) => {
    state.storage.sql.exec("UPDATE hits SET expires_at = 0");
    state.storage.sql.exec("UPDATE attempts SET expires_at = 0");
    state.storage.sql.exec("UPDATE backoff_lock SET locked_until = 0");
  });
}

async function countTables(stub: DurableObjectStub<RateLimiter>): Promise<number> {
  return runInDurableObject(
    stub,
    (_instance: RateLimiter, state) =>
      state.storage.sql
        .exec<{ count: number }>(
          "SELECT COUNT(*) AS count FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'",
        )
        .one().count,
  );
}

describe("RateLimiter.consume", () => {
  it("SEC-11 admits exactly the limit out of 20 parallel calls", async () => {
    const stub = freshLimiter();
    const results = await Promise.all(Array.from({ length: 20 }, () => stub.consume(5, 900)));

    const allowed = results.filter((result) => result.allowed);
    expect(allowed).toHaveLength(5);
    expect(allowed.map((result) => result.remaining).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const result of results.filter((result) => !result.allowed)) {
      expect(Number.isInteger(result.retryAfterSeconds)).toBe(true);
      expect(result.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(result.retryAfterSeconds).toBeLessThanOrEqual(900);
    }
  });

  it("admits again once the window has passed", async () => {
    const stub = freshLimiter();
    await stub.consume(2, 60);
    await stub.consume(2, 60);
    expect((await stub.consume(2, 60)).allowed).toBe(false);

    await expireEverything(stub);

    expect(await stub.consume(2, 60)).toEqual({ allowed: true, remaining: 1 });
  });

  it("slides: only the hits that left the window free a slot", async () => {
    const stub = freshLimiter();
    await stub.consume(2, 60);
    await stub.consume(2, 60);
    await runInDurableObject(stub, (_instance: RateLimiter, state) => {
      state.storage.sql.exec("UPDATE hits SET expires_at = 0 WHERE rowid = (SELECT MIN(rowid) FROM hits)");
    });

    expect(await stub.consume(2, 60)).toEqual({ allowed: true, remaining: 0 });
    expect((await stub.consume(2, 60)).allowed).toBe(false);
  });
});

describe("RateLimiter login back-off", () => {
  it("SEC-12 lets the first five failures through and then locks for 2, 4, 8 … seconds", async () => {
    const stub = freshLimiter();
    for (let failure = 1; failure <= 15; failure++) {
      expect(await stub.checkBackoff(), `attempt ${failure}`).toEqual({ allowed: true });
      await stub.recordFailure();
      if (failure <= FREE_LOGIN_FAILURES) continue;

      const result = await stub.checkBackoff();
      const expected = computeLoginLockSeconds(failure);
      expect(result.allowed, `after failure ${failure}`).toBe(false);
      if (!result.allowed) {
        expect(result.retryAfterSeconds).toBeLessThanOrEqual(expected);
        expect(result.retryAfterSeconds).toBeGreaterThanOrEqual(expected - 1);
      }
      await expireLockOnly(stub);
    }
  });

  it("caps the lock at 15 minutes", () => {
    expect(computeLoginLockSeconds(5)).toBe(0);
    expect(computeLoginLockSeconds(6)).toBe(2);
    expect(computeLoginLockSeconds(14)).toBe(512);
    expect(computeLoginLockSeconds(15)).toBe(LOGIN_BACKOFF_MAX_SECONDS);
    expect(computeLoginLockSeconds(100)).toBe(LOGIN_BACKOFF_MAX_SECONDS);
  });

  it("SEC-12 admits exactly six of 20 parallel attempts on one account", async () => {
    const stub = freshLimiter();
    const results = await Promise.all(Array.from({ length: 20 }, () => stub.checkBackoff()));
    expect(results.filter((result) => result.allowed)).toHaveLength(FREE_LOGIN_FAILURES + 1);
  });

  it("does not count a reported failure twice", async () => {
    const stub = freshLimiter();
    for (let attempt = 0; attempt < FREE_LOGIN_FAILURES; attempt++) {
      expect(await stub.checkBackoff()).toEqual({ allowed: true });
      await stub.recordFailure();
    }
    // Five attempts, five failures: the sixth attempt is still free of any lock.
    expect(await stub.checkBackoff()).toEqual({ allowed: true });
  });

  it("SEC-12 forgets failures older than 15 minutes and lifts an expired lock", async () => {
    const stub = freshLimiter();
    for (let failure = 0; failure < FREE_LOGIN_FAILURES + 3; failure++) await stub.recordFailure();
    expect((await stub.checkBackoff()).allowed).toBe(false);

    await expireEverything(stub);

    // All old failures are gone: five more are free again.
    for (let failure = 0; failure < FREE_LOGIN_FAILURES - 1; failure++) await stub.recordFailure();
    expect(await stub.checkBackoff()).toEqual({ allowed: true });
    await stub.recordFailure();
    expect(await stub.checkBackoff()).toEqual({ allowed: true });
  });

  it("a success resets failures and lock", async () => {
    const stub = freshLimiter();
    for (let failure = 0; failure < FREE_LOGIN_FAILURES + 2; failure++) await stub.recordFailure();
    expect((await stub.checkBackoff()).allowed).toBe(false);

    await stub.reset();

    expect(await stub.checkBackoff()).toEqual({ allowed: true });
  });
});

describe("RateLimiter cleanup", () => {
  it("keeps rows until they expire, then deletes all storage and still works afterwards", async () => {
    const stub = freshLimiter();
    await stub.consume(3, 60);
    await stub.recordFailure();

    // An early alarm deletes nothing that still counts.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.consume(1, 60)).allowed).toBe(false);

    await expireEverything(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await countTables(stub)).toBe(0);

    // The same instance recreates its tables on the next call.
    expect(await stub.consume(3, 60)).toEqual({ allowed: true, remaining: 2 });
    expect(await stub.checkBackoff()).toEqual({ allowed: true });
  });
});

async function expireLockOnly(stub: DurableObjectStub<RateLimiter>): Promise<void> {
  await runInDurableObject(stub, (_instance: RateLimiter, state) => {
    state.storage.sql.exec("UPDATE backoff_lock SET locked_until = 0");
  });
}
