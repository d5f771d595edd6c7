// SEC-55 at the route: strangers' failed guesses slow strangers and never stop a browser that
// signed in to the account before (its device cookie); a password reset lifts the back-off.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signDeviceToken } from "../../../src/features/auth/device-token";
import { signState } from "../../../src/features/oauth/state";
import { hashToken } from "../../../src/lib/crypto";
import { getPasswordHashingStats } from "../../../src/lib/password";
import type { RateLimiter } from "../../../src/rate-limit/rate-limiter";
import { readEmailedToken, uniqueEmail } from "../../helpers/accounts";
import { createClient, type TestClient } from "../../helpers/client";
import { insertUser, type InsertedUser } from "../../helpers/factories";

const DEVICE_COOKIE = "login_device";
const WRONG = "wrong password 1";
const SLOWDOWN_MAX_SECONDS = 4;

/** Signs in once, as the owner's browser does, and returns its device token. */
async function deviceTokenOf(user: InsertedUser): Promise<string> {
  const client = createClient();
  expect((await client.post("/auth/login", { email: user.email, password: user.password })).status).toBe(200);
  const token = client.cookies.get(DEVICE_COOKIE);
  expect(token).toBeTruthy();
  return token!;
}

/** The owner's browser on a fresh network (its own IP bucket), carrying `deviceToken` if given. */
function ownerBrowser(deviceToken?: string): TestClient {
  const client = createClient();
  if (deviceToken) client.cookies.set(DEVICE_COOKIE, deviceToken);
  return client;
}

/** One wrong guess from a stranger's IP: 401 when processed, 429 when slowed. */
async function strangerGuess(email: string): Promise<Response> {
  return createClient().post("/auth/login", { email, password: WRONG });
}

/** Enough failures from strangers that the account-wide slow-down is on. */
async function attackAccount(email: string): Promise<void> {
  for (let i = 0; i < 6; i++) expect((await strangerGuess(email)).status).toBe(401);
}

describe("SEC-55 device cookies", () => {
  it("SEC-55: a successful sign-in sets an HttpOnly device cookie for 30 days; a failed one sets none", async () => {
    const user = await insertUser();
    const success = await createClient().post("/auth/login", { email: user.email, password: user.password });
    const cookie = success.headers.getSetCookie().find((line) => line.startsWith(`${DEVICE_COOKIE}=`))!;
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("Path=/");
    expect(cookie).toContain(`Max-Age=${30 * 24 * 60 * 60}`);
    const failure = await createClient().post("/auth/login", { email: user.email, password: WRONG });
    expect(failure.headers.get("set-cookie")).toBeNull();
  });

  it("SEC-55: strangers' failed guesses never 429 the owner with a device cookie", async () => {
    const user = await insertUser();
    const deviceToken = await deviceTokenOf(user);
    for (let round = 0; round < 5; round++) {
      for (let guess = 0; guess < 4; guess++) expect([401, 429]).toContain((await strangerGuess(user.email)).status);
      const owner = await ownerBrowser(deviceToken).post("/auth/login", { email: user.email, password: user.password });
      expect(owner.status, `owner after ${4 * (round + 1)} guesses`).toBe(200);
    }
  });

  it("SEC-55: the strangers are still slowed, and the owner on a new device waits seconds at most", async () => {
    const user = await insertUser();
    const deviceToken = await deviceTokenOf(user);
    await attackAccount(user.email);

    const slowed = await strangerGuess(user.email);
    expect(slowed.status).toBe(429);
    expect(Number(slowed.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(slowed.headers.get("retry-after"))).toBeLessThanOrEqual(SLOWDOWN_MAX_SECONDS);

    const newDevice = await ownerBrowser().post("/auth/login", { email: user.email, password: user.password });
    expect(newDevice.status).toBe(429);
    expect(Number(newDevice.headers.get("retry-after"))).toBeLessThanOrEqual(SLOWDOWN_MAX_SECONDS);

    const knownDevice = await ownerBrowser(deviceToken).post("/auth/login", {
      email: user.email,
      password: user.password,
    });
    expect(knownDevice.status).toBe(200);
  });

  it("SEC-55: a device cookie of another account does not help", async () => {
    const victim = await insertUser();
    const attacker = await insertUser();
    const attackerDevice = await deviceTokenOf(attacker);
    await attackAccount(victim.email);

    const borrowed = ownerBrowser(attackerDevice);
    const response = await borrowed.post("/auth/login", { email: victim.email, password: WRONG });
    expect(response.status).toBe(429);
  });

  it("SEC-55: a forged, tampered, expired or foreign-key device cookie is ignored, never a 500", async () => {
    const user = await insertUser();
    const genuine = await deviceTokenOf(user);
    const forged: Record<string, string> = {
      garbage: "not-a-token",
      "tampered signature": `${genuine.slice(0, -2)}${genuine.endsWith("AA") ? "BB" : "AA"}`,
      "signed with another secret": await signDeviceToken("another-secret-0123456789abcdef0123456789", user.id),
      expired: await signDeviceToken(env.JWT_SECRET!, user.id, Date.now() - 31 * 24 * 60 * 60 * 1000),
      "an OAuth state signed with the same secret": (
        await signState(env.JWT_SECRET!, { provider: "google", nonce: "n", codeChallenge: "c" })
      ).token,
      "10 KB": "A".repeat(10 * 1024),
    };
    await attackAccount(user.email);

    for (const [label, value] of Object.entries(forged)) {
      const response = await ownerBrowser(value).post("/auth/login", { email: user.email, password: user.password });
      expect(response.status, label).toBe(429);
    }
    expect(
      (await ownerBrowser(genuine).post("/auth/login", { email: user.email, password: user.password })).status,
    ).toBe(200);
  });

  it("SEC-55: a completed password reset lifts the back-off on the account", async () => {
    const user = await insertUser();
    await attackAccount(user.email);
    // As if the guessing had gone on for hours: every lock on the account runs for another hour.
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`login-account:${await hashToken(user.email)}`));
    await runInDurableObject(stub, (_instance: RateLimiter, state) => {
      state.storage.sql.exec("UPDATE login_locks SET locked_until = ?", Date.now() + 60 * 60 * 1000);
    });
    const locked = await ownerBrowser().post("/auth/login", { email: user.email, password: user.password });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(60 * 59);

    const owner = createClient();
    expect((await owner.post("/password/forgot", { email: user.email })).status).toBe(202);
    const token = await readEmailedToken(owner, user.email, "/reset-password");
    const newPassword = "a fresh passphrase nobody guessed";
    expect((await owner.post("/password/reset", { token, new_password: newPassword })).status).toBe(200);

    expect((await ownerBrowser().post("/auth/login", { email: user.email, password: newPassword })).status).toBe(200);
  });

  it("SEC-55: the browser that completed a reset gets a device cookie, so strangers who keep guessing do not hold it back", async () => {
    const user = await insertUser();
    const owner = createClient();
    expect((await owner.post("/password/forgot", { email: user.email })).status).toBe(202);
    const token = await readEmailedToken(owner, user.email, "/reset-password");
    const newPassword = "a fresh passphrase nobody guessed";
    expect((await owner.post("/password/reset", { token, new_password: newPassword })).status).toBe(200);
    const deviceToken = owner.cookies.get(DEVICE_COOKIE);
    expect(deviceToken).toBeTruthy();

    await attackAccount(user.email);
    expect((await ownerBrowser().post("/auth/login", { email: user.email, password: newPassword })).status).toBe(429);
    const login = await ownerBrowser(deviceToken).post("/auth/login", { email: user.email, password: newPassword });
    expect(login.status).toBe(200);
  });

  it("SEC-6: an unknown email, a wrong password and an empty password each run one Argon2id verify, with a device cookie or without", async () => {
    const user = await insertUser();
    const deviceToken = await deviceTokenOf(user);
    const cases = [
      { email: uniqueEmail(), password: WRONG },
      { email: user.email, password: WRONG },
      { email: user.email, password: "" },
    ];
    // The isolate's first unknown-email login makes the dummy hash once (lib/password.ts).
    expect((await ownerBrowser().post("/auth/login", { email: uniqueEmail(), password: WRONG })).status).toBe(401);
    const bodies = new Set<string>();
    for (const cookie of [undefined, deviceToken]) {
      for (const body of cases) {
        const before = getPasswordHashingStats().operations;
        const response = await ownerBrowser(cookie).post("/auth/login", body);
        expect(response.status).toBe(401);
        expect(getPasswordHashingStats().operations - before).toBe(1);
        bodies.add(await response.text());
      }
    }
    expect(bodies.size).toBe(1);
  });
});
