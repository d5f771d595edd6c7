// SEC-53: the per-request reads that decide who the caller is go to the D1 primary. D1 only
// serves a replica through a Sessions API session (`withSession(bookmark)`), so the worker must
// never open one: a client-supplied bookmark could otherwise pin a stale read of a revoked session.
// https://developers.cloudflare.com/d1/best-practices/read-replication/
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signedInAccount } from "../helpers/accounts";
import { createClient } from "../helpers/client";

/** env.DB, recording which of its members the worker touches. */
function recordingD1(): { binding: D1Database; touched: Set<string> } {
  const touched = new Set<string>();
  const binding = new Proxy(env.DB, {
    get(target, property) {
      touched.add(String(property));
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { binding, touched };
}

describe("D1 reads", () => {
  it("SEC-53: session, role and revocation checks read the D1 primary: no Sessions API session is ever opened", async () => {
    const account = await signedInAccount();
    const d1 = recordingD1();
    const client = createClient({ env: { DB: d1.binding } });
    client.cookies.set("session_id", account.client.cookies.get("session_id")!);
    // A bookmark a client might send, as the Sessions API's examples pass one along in a header.
    const headers = { "x-d1-bookmark": "00000000-00000000-00000000-00000000000000000000000000000000" };

    const me = await client.get("/users/me", { headers });
    expect(me.status).toBe(200);
    const { id, role } = (await me.json()) as { id: string; role: string };
    expect(role).toBe("org_admin");

    await env.DB.prepare("UPDATE membership SET role = 'readonly' WHERE user_id = ?").bind(id).run();
    expect(await (await client.get("/users/me", { headers })).json()).toMatchObject({ role: "readonly" });

    expect((await account.client.post("/auth/logout")).status).toBe(204);
    expect((await client.get("/users/me", { headers })).status).toBe(401);

    expect(d1.touched.has("prepare") || d1.touched.has("batch")).toBe(true); // the reads went through it
    expect([...d1.touched]).not.toContain("withSession");
  });
});
