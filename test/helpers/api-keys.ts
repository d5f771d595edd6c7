// Organization API keys for route tests: created through the API, and a client that sends one.
import { expect } from "vitest";
import type { ApiKeyRole, ApiKeyScope } from "../../src/lib/api-key-scopes";
import { API_KEY_SCOPES } from "../../src/lib/api-key-scopes";
import { createClient, type TestClient } from "./client";

export interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
}

/** POST /api-keys as `admin` (an org_admin's signed-in client); 201 expected. */
export async function createKey(
  admin: TestClient,
  options: { role?: ApiKeyRole; scopes?: ApiKeyScope[]; rate_limit_per_minute?: number; expires_at?: string } = {},
): Promise<CreatedKey> {
  const response = await admin.post("/api-keys", {
    name: "test key",
    role: options.role ?? "member",
    scopes: options.scopes ?? [...API_KEY_SCOPES],
    ...(options.rate_limit_per_minute === undefined ? {} : { rate_limit_per_minute: options.rate_limit_per_minute }),
    ...(options.expires_at === undefined ? {} : { expires_at: options.expires_at }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as CreatedKey;
}

/** A cookieless client that authenticates every request with `key` (Authorization: Bearer). */
export class KeyClient {
  constructor(
    readonly key: string,
    readonly client: TestClient = createClient(),
  ) {}

  request(method: string, path: string, json?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return this.client.request(method, path, {
      headers: { authorization: `Bearer ${this.key}`, ...headers },
      ...(json === undefined ? {} : { json }),
    });
  }
  get(path: string): Promise<Response> {
    return this.request("GET", path);
  }
  post(path: string, json?: unknown): Promise<Response> {
    return this.request("POST", path, json);
  }
}
