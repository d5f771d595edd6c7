// The typed client a frontend builds from AppType (hono/client): it signs in and reads the
// caller's profile through the worker, and the request and response types are the routes' own.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { hc, type InferRequestType, type InferResponseType } from "hono/client";
import { describe, expect, expectTypeOf, it } from "vitest";
import worker from "../../src/index";
import type { AppType } from "../../src/app";
import { testEnv, API_ORIGIN, WEB_ORIGIN } from "../helpers/client";
import { signUpAccount, readEmailedToken } from "../helpers/accounts";

/**
 * A client with a cookie jar: there is no browser here, so Set-Cookie is carried by hand (in a
 * browser, `init: { credentials: "include" }` does it).
 */
function typedClient() {
  const cookies = new Map<string, string>();
  const client = hc<AppType>(API_ORIGIN, {
    // What a browser frontend passes; workerd's RequestInit type has no `credentials`, and here
    // the fetch below carries the cookies itself.
    init: { credentials: "include" } as RequestInit,
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      if (cookies.size > 0)
        request.headers.set("cookie", [...cookies].map(([name, value]) => `${name}=${value}`).join("; "));
      if (request.method !== "GET") request.headers.set("origin", WEB_ORIGIN);
      request.headers.set("cf-connecting-ip", "10.9.8.7");
      const ctx = createExecutionContext();
      const response = await worker.fetch(request, testEnv(), ctx);
      await waitOnExecutionContext(ctx);
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(";");
        const [name, ...value] = pair!.split("=");
        cookies.set(name!.trim(), value.join("=").trim());
      }
      return response;
    },
  });
  return { client, cookies };
}

describe("hc<AppType>", () => {
  it("carries the routes' request and response types", () => {
    const { client } = typedClient();
    expectTypeOf<InferRequestType<typeof client.auth.login.$post>["json"]>().toMatchTypeOf<{
      email: string;
      password: string;
    }>();
    expectTypeOf<InferResponseType<typeof client.users.me.$get, 200>>().toHaveProperty("email");
    expectTypeOf<InferRequestType<(typeof client.admin.stats)["$get"]>["query"]>().toHaveProperty("days");
    expectTypeOf(client.notes[":id"].$get).toBeFunction();
    expectTypeOf(client.usage.fleet.$get).toBeFunction();
    expectTypeOf<InferResponseType<typeof client.users.me.$get, 200>["email"]>().toEqualTypeOf<string>();
    // @ts-expect-error: a route the app does not serve is a type error, not a runtime 404.
    void client.users.nowhere;
  });

  it("signs in and reads /users/me through the typed client", async () => {
    const account = await signUpAccount();
    const token = await readEmailedToken(account.client, account.email, "/verify-email");
    const { client, cookies } = typedClient();
    expect((await client.auth["verify-email"].$post({ json: { token } })).status).toBe(200);

    const login = await client.auth.login.$post({ json: { email: account.email, password: account.password } });
    expect(login.status).toBe(200);
    expect(cookies.get("session_id")).toBeTruthy();

    const me = await client.users.me.$get();
    expect(me.status).toBe(200);
    if (me.status !== 200) throw new Error("unreachable");
    const profile = await me.json();
    expect(profile.email).toBe(account.email);
  });

  it("sends typed query parameters", async () => {
    const { client } = typedClient();
    // Anonymous: refused at the gate, but the query was built from the typed argument.
    const response = await client.admin.stats.$get({ query: { days: "7" } });
    expect(response.status).toBe(401);
  });
});
