// The authorization code grant (RFC 6749 §4.1.3) with the PKCE verifier, over fetch.
import type { ProviderMetadata } from "./discovery";
import { OAuthFailure } from "./errors";
import { callProvider } from "./http";

export interface CodeExchange {
  clientId: string;
  clientSecret: string;
  code: string;
  redirectURI: string;
  codeVerifier: string;
}

/**
 * Exchanges the code for the ID token. The client authenticates with client_secret_post, the
 * method Google documents. A 4xx (a used or expired code, a wrong verifier) is provider_error; a
 * 5xx or no answer is provider_unavailable. The provider's access token is not kept.
 */
export async function exchangeAuthorizationCode(metadata: ProviderMetadata, input: CodeExchange): Promise<string> {
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code: input.code,
    redirect_uri: input.redirectURI,
    code_verifier: input.codeVerifier,
    client_id: input.clientId,
    client_secret: input.clientSecret,
  });
  const { status, json } = await callProvider("token_endpoint", metadata.tokenEndpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
  });
  if (status >= 500 || (status !== 200 && status < 400)) {
    throw new OAuthFailure("provider_unavailable", `token_endpoint_status_${status}`);
  }
  if (status !== 200) {
    // RFC 6749 §5.2 error codes are short ASCII words; anything else is not echoed into logs.
    const error = typeof json?.error === "string" && /^[a-z_]{1,40}$/.test(json.error) ? json.error : "unknown";
    throw new OAuthFailure("provider_error", `token_rejected_${error}`);
  }
  const idToken = json?.id_token;
  if (typeof idToken !== "string" || idToken.length === 0)
    throw new OAuthFailure("provider_error", "token_response_without_id_token");
  return idToken;
}
