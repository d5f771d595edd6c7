// The RateLimiter object on its own: exact counting, login back-off (per client and account-wide)
// and cleanup of idle objects.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { hashToken } from "../../src/lib/crypto";
import {
  ACCOUNT_SLOWDOWN,
  admitLoginAttempt,
  CLIENT_BACKOFF,
  computeLockSeconds,
  type LoginClientScope,
} from "../../src/rate-limit/login-backoff";
import type { RateLimiter } from "../../src/rate-limit/rate-limiter";

const bindings: Env = env;

/** A fresh object per test, so tests never share counters. */
function freshLimiter(): DurableObjectStub<RateLimiter> {
  return bindings.RATE_LIMITER.get(bindings.RATE_LIMITER.idFromName(`test:${crypto.randomUUID()}`));
}

/** Moves every stored expiry into the past, as if the window had elapsed (no sleeping). */
async function expireEverything(stub: DurableObjectStub<RateLimiter>): Promise<void> {
  await runInDurableObject(stub, (_instance: RateLimiter, state) => {
    state.storage.sql.exec("UPDATE hits SET expires_at = 0");
    state.storage.sql.exec("UPDATE login_attempts SET expires_at = 0");
    state.storage.sql.exec("UPDATE login_locks SET locked_until = 0");
  });
}

/** Moves the object's clock forward by `seconds`: every stored time comes that much closer. */
async function travel(stub: DurableObjectStub<RateLimiter>, seconds: number): Promise<void> {
  await runInDurableObject(stub, (_instance: RateLimiter, state) => {
    const ms = seconds * 1000;
    state.storage.sql.exec("UPDATE hits SET expires_at = expires_at - ?", ms);
    state.storage.sql.exec("UPDATE login_attempts SET expires_at = expires_at - ?", ms);
    state.storage.sql.exec("UPDATE login_locks SET locked_until = locked_until - ?", ms);
  });
}

/** A client as the login back-off client names it: SHA-256 of its identity. */
async function clientScope(label: string, options: { isTrustedDevice: boolean }): Promise<LoginClientScope> {
  return { client: await hashToken(`${label}:${crypto.randomUUID()}`), isTrustedDevice: options.isTrustedDevice };
}

const untrusted = (label: string) => clientScope(label, { isTrustedDevice: false });
const trustedDevice = (label: string) => clientScope(label, { isTrustedDevice: true });

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
  it("SEC-12 lets a client's first five failures through and then locks that client for 2, 4, 8 … seconds", async () => {
    const stub = freshLimiter();
    const client = await trustedDevice("device");
    for (let failure = 1; failure <= 15; failure++) {
      expect(await stub.admitLoginAttempt(client), `attempt ${failure}`).toEqual({ allowed: true });
      await stub.recordLoginFailure(client);
      if (failure <= CLIENT_BACKOFF.freeFailures) continue;

      const result = await stub.admitLoginAttempt(client);
      const expected = computeLockSeconds(CLIENT_BACKOFF, failure);
      expect(result.allowed, `after failure ${failure}`).toBe(false);
      if (!result.allowed) {
        expect(result.retryAfterSeconds).toBeLessThanOrEqual(expected);
        expect(result.retryAfterSeconds).toBeGreaterThanOrEqual(expected - 1);
      }
      await expireLocksOnly(stub);
    }
  });

  it("caps a client's lock at an hour and the account-wide slow-down at 4 seconds", () => {
    expect(computeLockSeconds(CLIENT_BACKOFF, 5)).toBe(0);
    expect(computeLockSeconds(CLIENT_BACKOFF, 6)).toBe(2);
    expect(computeLockSeconds(CLIENT_BACKOFF, 16)).toBe(2048);
    expect(computeLockSeconds(CLIENT_BACKOFF, 17)).toBe(CLIENT_BACKOFF.maxLockSeconds);
    expect(computeLockSeconds(CLIENT_BACKOFF, 1000)).toBe(60 * 60);
    expect(computeLockSeconds(ACCOUNT_SLOWDOWN, 5)).toBe(0);
    expect(computeLockSeconds(ACCOUNT_SLOWDOWN, 6)).toBe(2);
    expect(computeLockSeconds(ACCOUNT_SLOWDOWN, 7)).toBe(4);
    expect(computeLockSeconds(ACCOUNT_SLOWDOWN, 1000)).toBe(4);
  });

  it("SEC-12 admits exactly six of 20 parallel attempts from one client", async () => {
    const stub = freshLimiter();
    const client = await trustedDevice("device");
    const results = await Promise.all(Array.from({ length: 20 }, () => stub.admitLoginAttempt(client)));
    expect(results.filter((result) => result.allowed)).toHaveLength(CLIENT_BACKOFF.freeFailures + 1);
  });

  it("SEC-55 admits exactly six of 20 parallel attempts from 20 clients without a device cookie, then slows them by seconds", async () => {
    const stub = freshLimiter();
    const clients = await Promise.all(Array.from({ length: 20 }, (_, i) => untrusted(`ip-${i}`)));
    const results = await Promise.all(clients.map((client) => stub.admitLoginAttempt(client)));
    expect(results.filter((result) => result.allowed)).toHaveLength(ACCOUNT_SLOWDOWN.freeFailures + 1);
    for (const result of results) {
      if (!result.allowed) expect(result.retryAfterSeconds).toBeLessThanOrEqual(ACCOUNT_SLOWDOWN.maxLockSeconds);
    }
  });

  it("SEC-55 never holds a client without a device cookie more than a few seconds for other clients' failures", async () => {
    const stub = freshLimiter();
    const owner = await untrusted("owner-new-device");
    for (let failure = 1; failure <= 40; failure++) {
      const stranger = await untrusted(`stranger-${failure}`);
      let admitted = await stub.admitLoginAttempt(stranger);
      if (!admitted.allowed) {
        // Strangers wait out the slow-down; the owner is asked right after each new failure.
        await expireLocksOnly(stub);
        admitted = await stub.admitLoginAttempt(stranger);
      }
      expect(admitted.allowed).toBe(true);
      await stub.recordLoginFailure(stranger);

      const result = await stub.admitLoginAttempt(owner);
      if (result.allowed) await stub.recordLoginSuccess(owner);
      else expect(result.retryAfterSeconds).toBeLessThanOrEqual(ACCOUNT_SLOWDOWN.maxLockSeconds);
    }
  });

  it("SEC-55 lets a device that signed in before through while strangers are slowed", async () => {
    const stub = freshLimiter();
    const device = await trustedDevice("owner-device");
    for (let failure = 1; failure <= 30; failure++) {
      const stranger = await untrusted(`stranger-${failure}`);
      const admitted = await stub.admitLoginAttempt(stranger);
      if (admitted.allowed) await stub.recordLoginFailure(stranger);

      expect(await stub.admitLoginAttempt(device), `owner after stranger ${failure}`).toEqual({ allowed: true });
      await stub.recordLoginSuccess(device);
    }
    // The strangers are slowed: the account-wide slow-down is on for anyone without a device cookie.
    const next = await stub.admitLoginAttempt(await untrusted("stranger-next"));
    expect(next.allowed).toBe(false);
  });

  it("SEC-55 (issue 11): an hour of 37 guesses from two IPs never stops the owner's device and slows the guessers", async () => {
    const stub = freshLimiter();
    const strangers = [await untrusted("stranger-a"), await untrusted("stranger-b")];
    const device = await trustedDevice("owner-device");
    const newDevice = await untrusted("owner-new-device");
    const stepSeconds = Math.floor(3600 / 37);
    let strangerRefusals = 0;
    let longestStrangerWait = 0;
    let longestOwnerWait = 0;

    for (let guess = 0; guess < 37; guess++) {
      const stranger = strangers[guess % 2]!;
      const admitted = await stub.admitLoginAttempt(stranger);
      if (admitted.allowed) {
        await stub.recordLoginFailure(stranger);
      } else {
        strangerRefusals++;
        longestStrangerWait = Math.max(longestStrangerWait, admitted.retryAfterSeconds);
      }
      // Right after each guess, the worst moment for the owner.
      expect(await stub.admitLoginAttempt(device), `owner's device after guess ${guess}`).toEqual({ allowed: true });
      await stub.recordLoginSuccess(device);
      const fresh = await stub.admitLoginAttempt(newDevice);
      if (fresh.allowed) await stub.recordLoginSuccess(newDevice);
      else longestOwnerWait = Math.max(longestOwnerWait, fresh.retryAfterSeconds);

      await travel(stub, stepSeconds);
    }

    expect(longestOwnerWait).toBeLessThanOrEqual(ACCOUNT_SLOWDOWN.maxLockSeconds);
    expect(strangerRefusals).toBeGreaterThan(0);
    expect(longestStrangerWait).toBeGreaterThan(stepSeconds); // the hard back-off, per client
  });

  it("does not count a reported failure twice", async () => {
    const stub = freshLimiter();
    const client = await trustedDevice("device");
    for (let attempt = 0; attempt < CLIENT_BACKOFF.freeFailures; attempt++) {
      expect(await stub.admitLoginAttempt(client)).toEqual({ allowed: true });
      await stub.recordLoginFailure(client);
    }
    // Five attempts, five failures: the sixth attempt is still free of any lock.
    expect(await stub.admitLoginAttempt(client)).toEqual({ allowed: true });
  });

  it("SEC-12 forgets failures once their memory has passed and lifts an expired lock", async () => {
    const stub = freshLimiter();
    const client = await untrusted("ip");
    for (let failure = 0; failure < CLIENT_BACKOFF.freeFailures + 3; failure++) await stub.recordLoginFailure(client);
    expect((await stub.admitLoginAttempt(client)).allowed).toBe(false);

    await expireEverything(stub);

    for (let failure = 0; failure < CLIENT_BACKOFF.freeFailures - 1; failure++) await stub.recordLoginFailure(client);
    expect(await stub.admitLoginAttempt(client)).toEqual({ allowed: true });
    await stub.recordLoginFailure(client);
    expect(await stub.admitLoginAttempt(client)).toEqual({ allowed: true });
  });

  it("a success forgives that client's failures, not other clients'", async () => {
    const stub = freshLimiter();
    const owner = await trustedDevice("owner");
    const stranger = await trustedDevice("stranger");
    for (let failure = 0; failure < CLIENT_BACKOFF.freeFailures + 2; failure++) {
      await stub.recordLoginFailure(owner);
      await stub.recordLoginFailure(stranger);
    }
    expect((await stub.admitLoginAttempt(owner)).allowed).toBe(false);

    await stub.recordLoginSuccess(owner);

    expect(await stub.admitLoginAttempt(owner)).toEqual({ allowed: true });
    expect((await stub.admitLoginAttempt(stranger)).allowed).toBe(false);
  });

  it("SEC-55 lifting the back-off (a completed password reset) ends every client's lock and the slow-down", async () => {
    const stub = freshLimiter();
    const clients = await Promise.all(Array.from({ length: 8 }, (_, i) => untrusted(`ip-${i}`)));
    for (const client of clients) {
      for (let failure = 0; failure < CLIENT_BACKOFF.freeFailures + 3; failure++) await stub.recordLoginFailure(client);
    }
    expect((await stub.admitLoginAttempt(clients[0]!)).allowed).toBe(false);
    expect((await stub.admitLoginAttempt(await untrusted("new"))).allowed).toBe(false);

    await stub.liftLoginBackoff();

    expect(await stub.admitLoginAttempt(clients[0]!)).toEqual({ allowed: true });
    expect(await stub.admitLoginAttempt(await untrusted("new"))).toEqual({ allowed: true });
  });

  it("refuses a client scope that is not a SHA-256 digest (no raw IP or account scope)", async () => {
    // Checked inside the object, not through RPC: a rejection crossing the RPC boundary is also
    // reported by workerd as unhandled, which fails the run although the assertion holds.
    const stub = freshLimiter();
    await stub.consume(1, 60); // creates the schema
    await runInDurableObject(stub, (_instance: RateLimiter, state) => {
      for (const client of ["account", "203.0.113.9"]) {
        expect(() => admitLoginAttempt(state.storage.sql, { client, isTrustedDevice: false }, Date.now())).toThrow(
          RangeError,
        );
      }
    });
  });
});

describe("RateLimiter cleanup", () => {
  it("keeps rows until they expire, then deletes all storage and still works afterwards", async () => {
    const stub = freshLimiter();
    await stub.consume(3, 60);
    await stub.recordLoginFailure(await untrusted("ip"));

    // An early alarm deletes nothing that still counts.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.consume(1, 60)).allowed).toBe(false);

    await expireEverything(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await countTables(stub)).toBe(0);

    // The same instance recreates its tables on the next call, and schedules its cleanup again.
    expect(await stub.consume(3, 60)).toEqual({ allowed: true, remaining: 2 });
    expect(await stub.admitLoginAttempt(await untrusted("ip"))).toEqual({ allowed: true });
    expect(await readAlarm(stub)).not.toBeNull();
  });

  it("sets the alarm once while it is pending; an alarm that fires before the last row expires sets itself again", async () => {
    const stub = freshLimiter();
    await stub.consume(5, 60);
    const first = await readAlarm(stub);
    expect(first).not.toBeNull();

    await stub.consume(5, 120); // a later row: the pending alarm is left as it is
    expect(await readAlarm(stub)).toBe(first);

    expect(await runDurableObjectAlarm(stub)).toBe(true); // fires early: both rows still count
    expect((await stub.consume(2, 60)).allowed).toBe(false);
    expect(await readAlarm(stub)).toBeGreaterThan(first ?? 0);
  });
});

async function expireLocksOnly(stub: DurableObjectStub<RateLimiter>): Promise<void> {
  await runInDurableObject(stub, (_instance: RateLimiter, state) => {
    state.storage.sql.exec("UPDATE login_locks SET locked_until = 0");
  });
}

async function readAlarm(stub: DurableObjectStub<RateLimiter>): Promise<number | null> {
  return runInDurableObject(stub, (_instance: RateLimiter, state) => state.storage.getAlarm());
}
