// Factories that create accounts through the public API, the way a person would.
import { expect } from "vitest";
import { createClient, type ClientOptions, type TestClient } from "./client";

export interface DevEmail {
  to: string;
  subject: string;
  text: string;
  links: string[];
  created_at: string;
}

let counter = 0;

export function uniqueEmail(label = "user"): string {
  counter++;
  return `${label}.${counter}.${crypto.randomUUID().slice(0, 8)}@example.com`;
}

export const GOOD_PASSWORD = "correct horse battery staple";

export async function readOutbox(client: TestClient, to: string): Promise<DevEmail[]> {
  const response = await client.get(`/dev/emails?to=${encodeURIComponent(to)}`);
  expect(response.status).toBe(200);
  return (await response.json()) as DevEmail[];
}

/** The token of the newest emailed link whose path is `path` (e.g. "/verify-email"). */
export async function readEmailedToken(client: TestClient, to: string, path: string): Promise<string> {
  for (const email of await readOutbox(client, to)) {
    for (const link of email.links) {
      const url = new URL(link);
      const token = url.searchParams.get("token");
      if (url.pathname === path && token) return token;
    }
  }
  throw new Error(`no ${path} link was emailed to ${to}`);
}

export interface Account {
  email: string;
  password: string;
  client: TestClient;
}

/** Signs up (201) but does not verify. */
export async function signUpAccount(
  options: { email?: string; password?: string; client?: ClientOptions } = {},
): Promise<Account> {
  const client = createClient(options.client);
  const email = options.email ?? uniqueEmail();
  const password = options.password ?? GOOD_PASSWORD;
  const response = await client.post("/auth/signup", { email, password, first_name: "Ada", last_name: "Lovelace" });
  expect(response.status).toBe(201);
  return { email, password, client };
}

/** Signs up, verifies through the emailed link and signs in: the client holds a session. */
export async function signedInAccount(
  options: { email?: string; password?: string; client?: ClientOptions } = {},
): Promise<Account> {
  const account = await signUpAccount(options);
  const token = await readEmailedToken(account.client, account.email, "/verify-email");
  expect((await account.client.post("/auth/verify-email", { token })).status).toBe(200);
  const login = await account.client.post("/auth/login", { email: account.email, password: account.password });
  expect(login.status).toBe(200);
  return account;
}
