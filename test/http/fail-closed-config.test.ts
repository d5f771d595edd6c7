// Fail-closed configuration: outside dev a missing or weak setting answers 503 MISCONFIGURED,
// naming the setting and never its value, with the security headers still on.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { signedInAccount, type Account } from "../helpers/accounts";
import { expectedSecurityHeaders, prodClient, securityHeadersOf } from "../helpers/http-layer";

describe("HTTP layer: fail-closed configuration", () => {
  let account: Account;

  beforeAll(async () => {
    account = await signedInAccount();
  });

  describe("fail-closed configuration", () => {
    const problems: [string, Partial<Env>, string][] = [
      ["JWT_SECRET missing", { JWT_SECRET: undefined }, "JWT_SECRET"],
      ["CRON_SECRET too short", { CRON_SECRET: "short-cron-value-xyz" }, "CRON_SECRET"],
      ["RESEND_API_KEY missing", { RESEND_API_KEY: undefined }, "RESEND_API_KEY"],
      ["the stub email provider", { EMAIL_PROVIDER: "stub" }, "EMAIL_PROVIDER"],
      ["an http web base URL", { WEB_BASE_URL: "http://app.example.com" }, "WEB_BASE_URL"],
    ];

    for (const [label, overrides, setting] of problems) {
      it(`answers 503 MISCONFIGURED naming ${setting} but no value, with the security headers, in prod with ${label}`, async () => {
        const client = prodClient(overrides);
        for (const response of [
          await client.get("/ping"),
          await client.post("/auth/login", { email: account.email, password: account.password }),
        ]) {
          const text = await response.text();
          expect(response.status).toBe(503);
          expect(JSON.parse(text)).toEqual({
            error: { code: "MISCONFIGURED", message: expect.any(String), details: { settings: [setting] } },
          });
          for (const value of [
            env.JWT_SECRET!,
            env.CRON_SECRET!,
            "re_test",
            "short-cron-value-xyz",
            "http://app.example.com",
          ]) {
            expect(text).not.toContain(value);
          }
          expect(securityHeadersOf(response)).toEqual(expectedSecurityHeaders({ hsts: true }));
        }
      });
    }

    it("serves normally in prod when every setting is present", async () => {
      const response = await prodClient().get("/ping");
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ok" });
    });
  });
});
