// Outbound webhooks (docs/webhooks.md). WEBHOOK_ENCRYPTION_KEY encrypts the endpoints' signing
// secrets (SEC-75): without it, or with a malformed one, the webhook routes and the delivery
// consumer answer 503 MISCONFIGURED and the rest of the API goes on. `npm run dev` generates one.
import type { Env } from "../env";
import { decodeKey } from "../lib/encryption";
import { type ConfigResult, readEnvironment } from "./contract";

export interface WebhooksConfig {
  /** AES-256-GCM key for the signing secrets at rest. */
  encryptionKey: Uint8Array;
  /** Dev only: http:// and localhost receivers, for a receiver on the developer's machine. */
  allowInsecureURLs: boolean;
}

export function readWebhooksConfig(env: Env): ConfigResult<WebhooksConfig> {
  const encryptionKey = decodeKey(env.WEBHOOK_ENCRYPTION_KEY?.trim() ?? "");
  if (!encryptionKey) return { problems: ["WEBHOOK_ENCRYPTION_KEY"] };
  return { config: { encryptionKey, allowInsecureURLs: readEnvironment(env) === "dev" } };
}
