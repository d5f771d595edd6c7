// SEC-64: with ENVIRONMENT=dev the worker answers loopback hosts only (503 MISCONFIGURED otherwise),
// so a dev worker deployed by mistake never serves its outbox to the internet. The deploy-side half
// (names, `npm run deploy`) is test/node/deploy.test.ts.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { isLoopbackHostname } from "../../src/middleware/loopback-only";
import { GOOD_PASSWORD, uniqueEmail } from "../helpers/accounts";
import { createClient } from "../helpers/client";
import { dumpDatabase } from "../helpers/db-state";

const PROD_ORIGIN = "https://app.example.com";
const PROD_ENV: Partial<Env> = {
  ENVIRONMENT: "prod",
  WEB_BASE_URL: PROD_ORIGIN,
  CORS_ORIGINS: PROD_ORIGIN,
  EMAIL_PROVIDER: "resend",
  RESEND_API_KEY: "re_test",
};

const PUBLIC_HOSTS = [
  "https://rampart-dev.acme.workers.dev",
  "https://api.example.com",
  "http://localhost.evil.example",
  "http://evil-localhost",
  "http://app.localhost", // a browser resolves it to loopback, the worker cannot know the client did
  "http://127.0.0.1.nip.io",
  "http://10.0.0.5:8787",
  "http://[::2]",
  "http://0.0.0.0:8787",
];

describe("SEC-64 dev answers loopback hosts only", () => {
  it("SEC-64: loopback is localhost, 127.0.0.0/8 and [::1], as URL parsing normalizes them", () => {
    const hostOf = (url: string) => new URL(url).hostname;
    for (const url of ["http://localhost:8787", "http://127.0.0.1", "http://127.1", "http://127.255.0.9:9000"]) {
      expect(isLoopbackHostname(hostOf(url)), url).toBe(true);
    }
    expect(isLoopbackHostname(hostOf("http://[::1]:8787"))).toBe(true);
    expect(isLoopbackHostname(hostOf("http://[0:0:0:0:0:0:0:1]"))).toBe(true);
    for (const url of PUBLIC_HOSTS) expect(isLoopbackHostname(hostOf(url)), url).toBe(false);
    expect(isLoopbackHostname("localhost.")).toBe(false);
    expect(isLoopbackHostname("127.0.0.256")).toBe(false);
  });

  it("SEC-64: on a public host a dev worker answers 503 MISCONFIGURED to every request, and no route runs", async () => {
    const client = createClient();
    const before = await dumpDatabase();
    for (const origin of PUBLIC_HOSTS) {
      const email = uniqueEmail("sec64");
      const attempts = [
        await client.get(`${origin}/dev/emails`),
        await client.get(`${origin}/health`),
        await client.post(`${origin}/auth/signup`, { email, password: GOOD_PASSWORD }, { headers: { origin } }),
        await client.request("OPTIONS", `${origin}/auth/login`, {
          headers: { origin: "http://localhost:5173", "access-control-request-method": "POST" },
        }),
      ];
      for (const response of attempts) {
        expect(response.status, origin).toBe(503);
        expect(response.headers.get("access-control-allow-origin"), origin).toBeNull();
        expect(response.headers.get("x-content-type-options"), origin).toBe("nosniff");
        expect(await response.json(), origin).toEqual({
          error: {
            code: "MISCONFIGURED",
            message: expect.stringContaining("ENVIRONMENT=dev"),
            details: { settings: ["ENVIRONMENT"] },
          },
        });
      }
    }
    expect(await dumpDatabase()).toEqual(before);
  });

  it("SEC-64: a dev worker answers on localhost, 127.0.0.0/8 and [::1], whatever the port", async () => {
    const client = createClient();
    for (const origin of ["http://localhost:8787", "http://127.0.0.1:9000", "http://127.3.2.1", "http://[::1]:8787"]) {
      const response = await client.get(`${origin}/health`);
      expect(response.status, origin).toBe(200);
    }
    const email = uniqueEmail("sec64-local");
    const signup = await createClient({ origin: "http://127.0.0.1:8787" }).post("http://127.0.0.1:8787/auth/signup", {
      email,
      password: GOOD_PASSWORD,
    });
    expect(signup.status).toBe(201);
  });

  it("SEC-64: staging and production answer their public hosts (the check is dev's alone)", async () => {
    for (const ENVIRONMENT of ["prod", "staging"]) {
      const client = createClient({ env: { ...PROD_ENV, ENVIRONMENT }, origin: PROD_ORIGIN });
      const response = await client.get("https://api.example.com/health");
      expect(response.status, ENVIRONMENT).toBe(200);
    }
    expect(env.ENVIRONMENT).toBe("dev"); // the suite's own default, which the hosts above rely on
  });
});
