// Passkey ceremonies through the API with the software authenticator, for the passkey tests and
// the route matrices (a real passkey id for DELETE/PATCH /auth/passkeys/{id}).
import { expect } from "vitest";
import type { TestClient } from "./client";
import { SoftwareAuthenticator, type RegistrationResponse } from "./webauthn-authenticator";

export interface RegisteredPasskey {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

type CreationOptions = Parameters<SoftwareAuthenticator["register"]>[0];

/** Asks the signed-in client's options and answers them: a registration response not sent yet. */
export async function answerRegistration(
  client: TestClient,
  authenticator = new SoftwareAuthenticator(),
): Promise<RegistrationResponse> {
  const options = await client.post("/auth/passkeys/register/options");
  expect(options.status, await options.clone().text()).toBe(200);
  return authenticator.register((await options.json()) as CreationOptions);
}

/** Registers a passkey of `authenticator` for the signed-in client. */
export async function registerPasskey(
  client: TestClient,
  authenticator = new SoftwareAuthenticator(),
  name = "Laptop",
): Promise<RegisteredPasskey> {
  const response = await answerRegistration(client, authenticator);
  const registered = await client.post("/auth/passkeys/register/verify", { name, response });
  expect(registered.status, await registered.clone().text()).toBe(201);
  return (await registered.json()) as RegisteredPasskey;
}
