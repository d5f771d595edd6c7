// SEC-72: with TURNSTILE_SECRET_KEY set, signup, login, forgot-password and resend-verification
// verify a Turnstile token with siteverify before any hashing or email; against a fake siteverify.
import { afterEach, describe, expect, it, vi } from "vitest";
import { getPasswordHashingStats } from "../../../src/lib/password";
import { readTurnstileConfig } from "../../../src/config/turnstile";
import { createClient, testEnv, type TestClient } from "../../helpers/client";
import { GOOD_PASSWORD, readOutbox, uniqueEmail } from "../../helpers/accounts";
import { dumpDatabase } from "../../helpers/db-state";
import { insertUser } from "../../helpers/factories";
import { TURNSTILE_ENV, fakeTurnstile, installFakeTurnstile } from "../../helpers/fake-turnstile";

installFakeTurnstile();

afterEach(() => {
  fakeTurnstile.reset();
  vi.restoreAllMocks();
});

/** The four forms, each with a body that would hash a password or send an email if it got through. */
function protectedRequests(email: string): [string, unknown][] {
  return [
    ["/auth/signup", { email, password: GOOD_PASSWORD }],
    ["/auth/signup-org", { organization_name: "Acme", email, password: GOOD_PASSWORD }],
    ["/auth/login", { email, password: GOOD_PASSWORD }],
    ["/password/forgot", { email }],
    ["/auth/resend-verification", { email }],
  ];
}

function botCheckedClient(): TestClient {
  return createClient({ env: TURNSTILE_ENV });
}

async function expectRefusedWithoutWork(client: TestClient, headers: Record<string, string>, code: string) {
  // An unverified account: login would hash, forgot-password and resend would both email it.
  const user = await insertUser({ verified: false });
  const before = await dumpDatabase();
  const hashing = getPasswordHashingStats().operations;
  for (const [path, body] of protectedRequests(user.email)) {
    const response = await client.post(path, body, { headers });
    expect(response.status, path).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code, path).toBe(code);
  }
  expect(getPasswordHashingStats().operations - hashing).toBe(0);
  expect(await readOutbox(client, user.email)).toEqual([]);
  expect(await dumpDatabase()).toEqual(before);
}

describe("SEC-72 Turnstile on the public forms", () => {
  it("SEC-72: without a CF-Turnstile-Response header the four forms answer 403 TURNSTILE_REQUIRED, with no hashing, no email, nothing written", async () => {
    await expectRefusedWithoutWork(botCheckedClient(), {}, "TURNSTILE_REQUIRED");
    expect(fakeTurnstile.requests).toEqual([]);
  });

  it("SEC-72: a token siteverify refuses is 403 TURNSTILE_FAILED, with no hashing, no email, nothing written", async () => {
    await expectRefusedWithoutWork(botCheckedClient(), { "cf-turnstile-response": "forged-token" }, "TURNSTILE_FAILED");
    expect(fakeTurnstile.requests).toHaveLength(5);
  });

  it("SEC-72: the worker posts secret, response and remoteip as a form to siteverify, and a good token lets signup through", async () => {
    const client = botCheckedClient();
    const email = uniqueEmail("turnstile");
    const token = fakeTurnstile.issueToken({ ip: client.ip });
    const response = await client.post(
      "/auth/signup",
      { email, password: GOOD_PASSWORD },
      { headers: { "cf-turnstile-response": token } },
    );
    expect(response.status).toBe(201);
    expect(fakeTurnstile.requests).toEqual([
      {
        contentType: "application/x-www-form-urlencoded;charset=UTF-8",
        form: { secret: TURNSTILE_ENV.TURNSTILE_SECRET_KEY, response: token, remoteip: client.ip },
      },
    ]);
    expect((await readOutbox(client, email)).map((message) => message.subject)).toEqual(["Verify your email address"]);
  });

  it("SEC-72: a good token on login, forgot-password and resend-verification lets each through", async () => {
    const client = botCheckedClient();
    const user = await insertUser();
    const login = await client.post(
      "/auth/login",
      { email: user.email, password: user.password },
      { headers: { "cf-turnstile-response": fakeTurnstile.issueToken() } },
    );
    expect(login.status).toBe(200);
    for (const path of ["/password/forgot", "/auth/resend-verification"]) {
      const response = await client.post(
        path,
        { email: user.email },
        { headers: { "cf-turnstile-response": fakeTurnstile.issueToken() } },
      );
      expect(response.status, path).toBe(202);
    }
    expect((await readOutbox(client, user.email)).map((message) => message.subject)).toEqual(["Reset your password"]);
  });

  it("SEC-9, SEC-72: a login over its per-IP limit is 429 before siteverify is asked, though login counts beside its lookup", async () => {
    const client = botCheckedClient();
    const user = await insertUser();
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await client.post(
        "/auth/login",
        { email: user.email, password: "wrong password 1" },
        { headers: { "cf-turnstile-response": fakeTurnstile.issueToken() } },
      );
      expect(response.status).toBe(401);
    }
    const asked = fakeTurnstile.requests.length;
    const hashing = getPasswordHashingStats().operations;

    const limited = await client.post(
      "/auth/login",
      { email: user.email, password: user.password },
      { headers: { "cf-turnstile-response": fakeTurnstile.issueToken() } },
    );

    expect(limited.status).toBe(429);
    expect(fakeTurnstile.requests).toHaveLength(asked);
    expect(getPasswordHashingStats().operations - hashing).toBe(0);
  });

  it("SEC-72: a token works once; replayed, it is 403 TURNSTILE_FAILED", async () => {
    const client = botCheckedClient();
    const user = await insertUser();
    const token = fakeTurnstile.issueToken();
    const body = { email: user.email, password: user.password };
    expect((await client.post("/auth/login", body, { headers: { "cf-turnstile-response": token } })).status).toBe(200);
    const replay = await client.post("/auth/login", body, { headers: { "cf-turnstile-response": token } });
    expect(replay.status).toBe(403);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe("TURNSTILE_FAILED");
  });

  it("SEC-72: a token solved on another hostname of the sitekey is refused", async () => {
    const client = botCheckedClient();
    const user = await insertUser();
    const hashing = getPasswordHashingStats().operations;
    const response = await client.post(
      "/auth/login",
      { email: user.email, password: user.password },
      { headers: { "cf-turnstile-response": fakeTurnstile.issueToken({ hostname: "evil.example" }) } },
    );
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("TURNSTILE_FAILED");
    expect(getPasswordHashingStats().operations - hashing).toBe(0);
  });

  it("SEC-72: siteverify unreachable or failing fails closed: 502, logged, no hashing", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const client = botCheckedClient();
    const user = await insertUser();
    for (const outage of ["network", "error"] as const) {
      fakeTurnstile.outage = outage;
      const hashing = getPasswordHashingStats().operations;
      const response = await client.post(
        "/auth/login",
        { email: user.email, password: user.password },
        { headers: { "cf-turnstile-response": fakeTurnstile.issueToken() } },
      );
      expect(response.status, outage).toBe(502);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("UPSTREAM_UNAVAILABLE");
      expect(getPasswordHashingStats().operations - hashing).toBe(0);
    }
    const logged = warn.mock.calls.map(([line]) => JSON.parse(String(line)) as { event: string; reason: string });
    expect(logged.filter((line) => line.event === "turnstile_unavailable").map((line) => line.reason)).toEqual([
      "unreachable",
      "status_500",
    ]);
    expect(JSON.stringify(warn.mock.calls)).not.toContain(TURNSTILE_ENV.TURNSTILE_SECRET_KEY);
  });

  it("SEC-72: without TURNSTILE_SECRET_KEY the check is off and siteverify is never called", async () => {
    const user = await insertUser();
    const response = await createClient().post("/auth/login", { email: user.email, password: user.password });
    expect(response.status).toBe(200);
    expect(fakeTurnstile.requests).toEqual([]);
  });

  it("SEC-72: routes that set no account state are not bot-checked (verify-email needs no token)", async () => {
    const response = await botCheckedClient().post("/auth/verify-email", { token: "x".repeat(43) });
    expect(response.status).toBe(400);
    expect(fakeTurnstile.requests).toEqual([]);
  });
});

describe("SEC-72 Turnstile settings", () => {
  it("SEC-72: the hostname to expect is WEB_BASE_URL's unless TURNSTILE_HOSTNAME says otherwise", () => {
    const base = testEnv({ TURNSTILE_SECRET_KEY: "0x4AAAAAAAexample" });
    expect(readTurnstileConfig(base)).toMatchObject({ config: { hostname: "localhost" } });
    expect(readTurnstileConfig({ ...base, TURNSTILE_HOSTNAME: "example.com" })).toMatchObject({
      config: { hostname: "example.com", siteverifyURL: "https://challenges.cloudflare.com/turnstile/v0/siteverify" },
    });
    expect(readTurnstileConfig({ ...base, TURNSTILE_SECRET_KEY: "" })).toEqual({ config: null });
  });

  it("SEC-72: outside dev a fake siteverify or, in production, the always-passes dummy key is refused", () => {
    const prod = testEnv({
      ENVIRONMENT: "prod",
      WEB_BASE_URL: "https://app.example.com",
      TURNSTILE_SECRET_KEY: "0x4AAAAAAAexample",
    });
    expect(readTurnstileConfig(prod)).toMatchObject({ config: { hostname: "app.example.com" } });
    expect(readTurnstileConfig({ ...prod, TURNSTILE_SITEVERIFY_URL: "http://turnstile.test/x" })).toEqual({
      problems: ["TURNSTILE_SITEVERIFY_URL"],
    });
    expect(readTurnstileConfig({ ...prod, TURNSTILE_SECRET_KEY: "1x0000000000000000000000000000000AA" })).toEqual({
      problems: ["TURNSTILE_SECRET_KEY"],
    });
    expect(
      readTurnstileConfig({
        ...prod,
        ENVIRONMENT: "staging",
        TURNSTILE_SECRET_KEY: "1x0000000000000000000000000000000AA",
      }),
    ).toMatchObject({ config: { secretKey: "1x0000000000000000000000000000000AA" } });
  });

  it("SEC-72: an invalid Turnstile setting is 503 MISCONFIGURED on the protected routes only", async () => {
    const client = createClient({ env: { TURNSTILE_SECRET_KEY: "has spaces inside" } });
    const login = await client.post("/auth/login", { email: uniqueEmail(), password: GOOD_PASSWORD });
    expect(login.status).toBe(503);
    expect(await login.json()).toEqual({
      error: { code: "MISCONFIGURED", message: expect.any(String), details: { settings: ["TURNSTILE_SECRET_KEY"] } },
    });
    expect((await client.get("/ping")).status).toBe(200);
  });
});
