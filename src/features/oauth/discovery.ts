// OpenID Connect Discovery 1.0 for the configured issuer, cached per isolate.
import { OAuthFailure } from "./errors";
import { callProvider } from "./http";

export interface ProviderMetadata {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksURI: string;
  /** id_token_signing_alg_values_supported, as published. */
  idTokenSigningAlgorithms: string[];
}

/** How long a fetched document is reused; Google's changes rarely and the keys have their own cache. */
const CACHE_TTL_MS = 60 * 60 * 1000;

const cache = new Map<string, { metadata: Promise<ProviderMetadata>; expiresAt: number }>();

/**
 * The provider's metadata. Concurrent callers share one fetch; a failure is not cached, so the
 * next sign-in tries again. `requireHTTPS` (outside dev) refuses plain-http endpoints.
 */
export function discoverProvider(issuer: string, options: { requireHTTPS: boolean }): Promise<ProviderMetadata> {
  const key = `${options.requireHTTPS ? "https" : "any"} ${issuer}`;
  const cached = cache.get(key);
  if (cached && cached.expiresAt > Date.now()) return cached.metadata;
  const metadata = fetchMetadata(issuer, options.requireHTTPS);
  cache.set(key, { metadata, expiresAt: Date.now() + CACHE_TTL_MS });
  metadata.catch(() => {
    if (cache.get(key)?.metadata === metadata) cache.delete(key);
  });
  return metadata;
}

async function fetchMetadata(issuer: string, requireHTTPS: boolean): Promise<ProviderMetadata> {
  // §4: the issuer without a trailing slash, then /.well-known/openid-configuration.
  const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  const { status, json } = await callProvider("discovery", url);
  if (status !== 200 || !json) throw new OAuthFailure("provider_unavailable", `discovery_status_${status}`);
  // §4.3: the document must name exactly the issuer it was fetched for, or it is another provider's.
  if (json.issuer !== issuer) throw new OAuthFailure("provider_unavailable", "discovery_issuer_mismatch");
  const endpoint = (name: string): string => {
    const value = json[name];
    if (typeof value !== "string" || !URL.canParse(value)) {
      throw new OAuthFailure("provider_unavailable", `discovery_missing_${name}`);
    }
    const protocol = new URL(value).protocol;
    if (protocol !== "https:" && (requireHTTPS || protocol !== "http:")) {
      throw new OAuthFailure("provider_unavailable", `discovery_insecure_${name}`);
    }
    return value;
  };
  const algorithms = json.id_token_signing_alg_values_supported;
  return {
    issuer,
    authorizationEndpoint: endpoint("authorization_endpoint"),
    tokenEndpoint: endpoint("token_endpoint"),
    jwksURI: endpoint("jwks_uri"),
    idTokenSigningAlgorithms: Array.isArray(algorithms) ? algorithms.filter((item) => typeof item === "string") : [],
  };
}
