import { describe, expect, it } from "vitest";
import { createClient } from "../../helpers/client";
import { signedInAccount } from "../../helpers/accounts";

describe("/users/me", () => {
  it("returns the signed-in user in FastSvelte's snake_case shape", async () => {
    const { client, email } = await signedInAccount();
    const response = await client.get("/users/me");
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(Object.keys(body as object).sort()).toEqual(
      [
        "created_at",
        "email",
        "email_verified",
        "first_name",
        "has_password",
        "id",
        "last_name",
        "organization_id",
        "organizations_count",
        "role",
      ].sort(),
    );
    expect(body).toMatchObject({
      email,
      first_name: "Ada",
      last_name: "Lovelace",
      role: "org_admin",
      organizations_count: 1,
      email_verified: true,
      has_password: true,
    });
  });

  it("is 401 UNAUTHENTICATED without a session", async () => {
    const response = await createClient().get("/users/me");
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: "UNAUTHENTICATED", message: "Sign in to continue." } });
  });

  it("updates only the names a body carries; null clears one", async () => {
    const { client } = await signedInAccount();
    const response = await client.patch("/users/me", { first_name: "  Augusta  ", last_name: null });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ first_name: "Augusta", last_name: null });
    expect(await (await client.patch("/users/me", { last_name: "King" })).json()).toMatchObject({
      first_name: "Augusta",
      last_name: "King",
    });
    expect(await (await client.get("/users/me")).json()).toMatchObject({ first_name: "Augusta", last_name: "King" });
  });

  it("SEC-37 refuses role, email, organization_id and email_verified in PATCH and applies none", async () => {
    const { client } = await signedInAccount();
    const before = await (await client.get("/users/me")).json();
    for (const field of ["role", "email", "organization_id", "email_verified", "id"]) {
      const response = await client.patch("/users/me", {
        first_name: "Mallory",
        [field]: field === "email_verified" ? true : "sys_admin",
      });
      expect(response.status).toBe(422);
      expect(await response.json()).toMatchObject({
        error: { details: { fields: [{ field, message: "is not a known field" }] } },
      });
    }
    expect(await (await client.get("/users/me")).json()).toEqual(before);
  });
});
