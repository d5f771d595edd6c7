// Outbound calls to the OpenID provider: a timeout, no redirects, a size cap on what is read.
import { OAuthFailure } from "./errors";

const TIMEOUT_MS = 10_000;
/** Discovery documents, JWKS and token responses are a few KB; anything near this is not one. */
const MAX_RESPONSE_BYTES = 256 * 1024;

export interface ProviderResponse {
  status: number;
  /** The parsed JSON body, or null when it was not a JSON object. */
  json: Record<string, unknown> | null;
}

/**
 * Calls the provider. A network failure, timeout or oversized body is provider_unavailable with
 * `what` as the reason; status codes are the caller's to judge.
 */
export async function callProvider(what: string, url: string, init: RequestInit = {}): Promise<ProviderResponse> {
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      headers: { accept: "application/json", ...init.headers },
      // A provider endpoint never needs a redirect; following one could send the code elsewhere.
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    throw new OAuthFailure("provider_unavailable", `${what}_unreachable`);
  }
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > MAX_RESPONSE_BYTES) {
    await response.body?.cancel();
    throw new OAuthFailure("provider_unavailable", `${what}_too_large`);
  }
  let text: string;
  try {
    text = await response.text();
  } catch {
    throw new OAuthFailure("provider_unavailable", `${what}_unreachable`);
  }
  if (text.length > MAX_RESPONSE_BYTES) throw new OAuthFailure("provider_unavailable", `${what}_too_large`);
  return { status: response.status, json: parseObject(text) };
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
