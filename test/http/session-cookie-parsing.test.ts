// Session cookies as an attacker sends them (SEC-20) and the token read from the cookie only
// (SEC-17), through the whole app.
import { beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../helpers/client";
import { signedInAccount, type Account } from "../helpers/accounts";
import { readDBState } from "../helpers/db-state";

describe("HTTP layer", () => {
  let account: Account;

  beforeAll(async () => {
    account = await signedInAccount();
  });

  describe("SEC-20: malformed cookies are 401, never 500", () => {
    const FORGED = "A".repeat(43);
    const malformed: Record<string, string> = {
      "an empty value": "session_id=",
      "a 10 KB value": `session_id=${"a".repeat(10 * 1024)}`,
      "a 10 KB cookie header of other cookies": `${Array.from({ length: 200 }, (_, index) => `c${index}=${"x".repeat(50)}`).join("; ")}; session_id=${FORGED}`,
      "bad percent-encoding": "session_id=%E0%A4%A",
      "a forged well-formed token": `session_id=${FORGED}`,
      "a token of the wrong alphabet": `session_id=${"*".repeat(43)}`,
      "two forged session_id cookies": `session_id=${FORGED}; session_id=${"B".repeat(43)}`,
      "the name in another case": "SESSION_ID=abc",
    };

    for (const [label, cookie] of Object.entries(malformed)) {
      it(`answers ${label} with 401 UNAUTHENTICATED on GET /users/me and POST /auth/logout`, async () => {
        for (const response of [
          await createClient().get("/users/me", { headers: { cookie } }),
          await createClient().post("/auth/logout", undefined, { headers: { cookie } }),
        ]) {
          expect(response.status).toBe(401);
          expect(await response.json()).toEqual({ error: { code: "UNAUTHENTICATED", message: expect.any(String) } });
        }
        expect((await createClient().get("/ping", { headers: { cookie } })).status).toBe(200);
      });
    }

    it("answers two session_id cookies with 401 even when one of them is a real session (cookie tossing), in either order", async () => {
      const real = account.client.cookies.get("session_id")!;
      for (const cookie of [`session_id=${real}; session_id=${FORGED}`, `session_id=${FORGED}; session_id=${real}`]) {
        const response = await createClient().get("/users/me", { headers: { cookie } });
        expect.soft({ cookie: cookie.replace(real, "<real>"), status: response.status }).toEqual({
          cookie: cookie.replace(real, "<real>"),
          status: 401,
        });
      }
    });

    it("leaves the real session working after all of the above", async () => {
      expect((await account.client.get("/users/me")).status).toBe(200);
    });
  });

  describe("SEC-17: the session token is read from the cookie only", () => {
    it("ignores the token in a query string, a JSON body or an Authorization header", async () => {
      const holder = await signedInAccount();
      const token = holder.client.cookies.get("session_id")!;
      const before = await readDBState();
      const responses: [string, Response][] = [
        ["?session_id=", await createClient().get(`/users/me?session_id=${token}`)],
        ["?token=", await createClient().get(`/users/me?token=${token}`)],
        ["JSON body", await createClient().patch("/users/me", { session_id: token, first_name: "Mallory" })],
        [
          "Authorization: Bearer",
          await createClient().get("/users/me", { headers: { authorization: `Bearer ${token}` } }),
        ],
        ["X-Session-Id header", await createClient().get("/users/me", { headers: { "x-session-id": token } })],
      ];
      for (const [label, response] of responses) {
        expect.soft({ label, status: response.status }).toEqual({ label, status: 401 });
      }
      expect(await readDBState()).toEqual(before);
      expect((await holder.client.get("/users/me")).status).toBe(200);
    });
  });
});
