// The development way out of a lockout (POST /dev/rate-limits/reset, `npm run dev:reset-limits`):
// it lifts this machine's per-IP limits and an account's login back-off in dev, and does not exist
// in staging or production, where the limits keep holding.
import { describe, expect, it } from "vitest";
import type { Env } from "../../../src/env";
import { RATE_LIMITS } from "../../../src/platform/rate-limit";
import { CLIENT_BACKOFF } from "../../../src/rate-limit/login-backoff";
import { GOOD_PASSWORD } from "../../helpers/accounts";
import { createClient, randomIP, type TestClient } from "../../helpers/client";
import { insertUser } from "../../helpers/factories";

const PROD_ORIGIN = "https://app.example.com";
const DEPLOYED_ENV: Partial<Env> = {
  WEB_BASE_URL: PROD_ORIGIN,
  CORS_ORIGINS: PROD_ORIGIN,
  EMAIL_PROVIDER: "resend",
  RESEND_API_KEY: "re_test",
};

/** Mistyped logins that never reach a password check: a text body (415), as a hurried curl sends. */
async function lockOutWithTypos(client: TestClient): Promise<void> {
  for (let attempt = 0; attempt < RATE_LIMITS.login.limit; attempt++) {
    const typo = await client.post("/auth/login", undefined, {
      body: "email=ada@example.com",
      headers: { "content-type": "text/plain" },
    });
    expect(typo.status).toBe(415);
  }
  expect((await client.post("/auth/login", { email: "ada@example.com", password: GOOD_PASSWORD })).status).toBe(429);
}

describe("POST /dev/rate-limits/reset", () => {
  it("in dev, lets a client locked out by typos log in again", async () => {
    const user = await insertUser({ role: "member" });
    const client = createClient({ ip: randomIP() });
    await lockOutWithTypos(client);

    const reset = await client.post("/dev/rate-limits/reset", {});
    expect(reset.status).toBe(200);
    expect(await reset.json()).toEqual({
      policies: Object.values(RATE_LIMITS).map((policy) => policy.name),
      account_backoff_cleared: false,
    });
    expect((await client.post("/auth/login", { email: user.email, password: user.password })).status).toBe(200);
  });

  it("in dev, with the email, also lifts that account's login back-off", async () => {
    const user = await insertUser({ role: "member" });
    // The owner's own typos: past the free failures this client is backed off on the account (SEC-55).
    // The per-IP login limit (5 per 15 minutes) would trip first, so it is lifted halfway.
    const owner = createClient({ ip: randomIP() });
    const guess = (attempt: number) => owner.post("/auth/login", { email: user.email, password: `wrong ${attempt}` });
    for (let attempt = 0; attempt < CLIENT_BACKOFF.freeFailures; attempt++)
      expect((await guess(attempt)).status).toBe(401);
    expect((await owner.post("/dev/rate-limits/reset", {})).status).toBe(200);
    expect((await guess(CLIENT_BACKOFF.freeFailures)).status).toBe(401); // one past the free ones: a 2 s lock
    expect((await owner.post("/auth/login", { email: user.email, password: user.password })).status).toBe(429);

    const reset = await owner.post("/dev/rate-limits/reset", { email: ` ${user.email.toUpperCase()} ` });
    expect(reset.status).toBe(200);
    expect(await reset.json()).toMatchObject({ account_backoff_cleared: true });
    expect((await owner.post("/auth/login", { email: user.email, password: user.password })).status).toBe(200);
  });

  it("does not exist in staging or production: 404 like an unknown path, and the limits keep holding", async () => {
    for (const ENVIRONMENT of ["staging", "prod"]) {
      const client = createClient({ env: { ...DEPLOYED_ENV, ENVIRONMENT }, origin: PROD_ORIGIN, ip: randomIP() });
      await lockOutWithTypos(client);
      const unknown = await (await client.post("/dev/no-such-route", {})).json();
      // Whatever the body: a route that validated first would answer 422 and so show it exists.
      for (const body of [{}, { email: "ada@example.com" }, { everything: true }, [1, 2]]) {
        const reset = await client.post("/dev/rate-limits/reset", body);
        expect(reset.status, ENVIRONMENT).toBe(404);
        expect(await reset.json(), ENVIRONMENT).toEqual(unknown);
      }
      const outbox = await client.get("/dev/emails?to=x".padEnd(400, "x"));
      expect(outbox.status, ENVIRONMENT).toBe(404);
      expect(
        (await client.post("/auth/login", { email: "ada@example.com", password: GOOD_PASSWORD })).status,
        ENVIRONMENT,
      ).toBe(429);
    }
  });

  it("refuses a body that is not the declared one, and clears nothing", async () => {
    const client = createClient({ ip: randomIP() });
    await lockOutWithTypos(client);
    const refused = await client.post("/dev/rate-limits/reset", { email: "ada@example.com", everything: true });
    expect(refused.status).toBe(422);
    expect((await client.post("/auth/login", { email: "ada@example.com", password: GOOD_PASSWORD })).status).toBe(429);
  });
});
