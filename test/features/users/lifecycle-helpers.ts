// Shared set-up of the account lifecycle tests: a signed-in account made without the signup flow.
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { createClient, type TestClient } from "../../helpers/client";
import { insertUser, type InsertedUser } from "../../helpers/factories";

export interface SignedInUser extends InsertedUser {
  client: TestClient;
}

export async function signedInUser(options: Parameters<typeof insertUser>[0] = {}): Promise<SignedInUser> {
  const user = await insertUser(options);
  const client = createClient();
  expect((await client.post("/auth/login", { email: user.email, password: user.password })).status).toBe(200);
  return { ...user, client };
}

/** Moves every session's sign-in of the user past the fresh-proof window (SEC-69). */
export async function ageSignIn(userId: string): Promise<void> {
  await env.DB.prepare("UPDATE session SET authenticated_at = 0 WHERE user_id = ?").bind(userId).run();
}
