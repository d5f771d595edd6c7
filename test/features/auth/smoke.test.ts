import { describe, expect, it } from "vitest";
import { createClient } from "../../helpers/client";
import { signedInAccount } from "../../helpers/accounts";

describe("smoke", () => {
  it("answers /ping", async () => {
    const response = await createClient().get("/ping");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("signs up, verifies, logs in and reads /users/me", async () => {
    const { client, email } = await signedInAccount();
    const me = await client.get("/users/me");
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email, role: "org_admin", email_verified: true });
  });
});
