// vitest globalSetup (runs in Node, once per `vitest run`): a real OpenID Connect provider on
// loopback, the `oidc-provider` package, standing in for Google in the Google sign-in tests.
//
// - One confidential client (client_secret_post, like Google), code flow only, PKCE required
//   (S256), redirect URI = the worker's callback at API_BASE_URL.
// - Accounts live in a registry the tests fill over HTTP (PUT /__test/accounts/<id>): the ID
//   token carries exactly the claims a test registered, so email_verified can be true, false,
//   "false" or missing. Login and consent go through the provider's own interaction endpoints
//   (devInteractions), driven by the test with fetch as a browser would.
// - Faults a correct provider never produces (wrong audience or issuer, bad signature, expired
//   token, foreign nonce, a failing token endpoint) are per account: the account's `fault` makes
//   this process rewrite that account's token response after oidc-provider built it, re-signing
//   with the provider's own key, so only the one property under test is wrong.
// - A second address that refuses connections stands for a provider that is down.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes, type webcrypto } from "node:crypto";
import Provider, { type Configuration, type KoaContextWithOIDC } from "oidc-provider";
import { SignJWT, decodeJwt, exportJWK, generateKeyPair, type JWK } from "jose";
import type { TestProject } from "vitest/node";

/** What the worker's config and the tests need to reach the provider (see vitest.config.ts). */
export interface OIDCTestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** An issuer URL on a loopback port that refuses connections. */
  refusedIssuer: string;
  /** The worker's public base URL; the registered redirect URI is its /auth/oauth/google/callback. */
  apiBaseURL: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    oidcTestProvider: OIDCTestProvider;
  }
}

/** Matches API_ORIGIN in test/helpers/client.ts: the tests call the worker at this origin. */
const API_BASE_URL = "http://localhost";
const CLIENT_ID = "rampart-test-client";
const ACCOUNTS_PATH = "/__test/accounts/";

export const FAULTS = [
  "wrong-audience",
  "wrong-issuer",
  "bad-signature",
  "expired",
  "nonce-mismatch",
  "unsigned",
  "token-endpoint-error",
] as const;
type Fault = (typeof FAULTS)[number];

interface TestAccount {
  /** The claims the ID token carries besides sub (email, email_verified, given_name, ...). */
  claims: Record<string, unknown>;
  fault?: Fault;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const accounts = new Map<string, TestAccount>();
  const server = createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  const clientSecret = randomBytes(32).toString("base64url");
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const signingKey: JWK = { ...(await exportJWK(privateKey)), kid: "test-signing-key", alg: "RS256", use: "sig" };

  const configuration: Configuration = {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: clientSecret,
        redirect_uris: [`${API_BASE_URL}/auth/oauth/google/callback`],
        response_types: ["code"],
        grant_types: ["authorization_code"],
        token_endpoint_auth_method: "client_secret_post",
        id_token_signed_response_alg: "RS256",
      },
    ],
    pkce: { required: () => true },
    scopes: ["openid", "email", "profile"],
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "given_name", "family_name"],
    },
    // Like Google: the ID token of the code flow carries the email claims itself.
    conformIdTokenClaims: false,
    async findAccount(_ctx, id) {
      const account = accounts.get(id);
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ ...account.claims, sub: id }) };
    },
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    features: { devInteractions: { enabled: true } },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
  };
  const provider = new Provider(issuer, configuration);

  // Post-processing of the token endpoint: applies the account's fault to the finished response.
  provider.use(async (ctx, next) => {
    await next();
    const oidcContext = ctx as unknown as Partial<KoaContextWithOIDC>;
    if (oidcContext.oidc?.route !== "token" || ctx.status !== 200) return;
    const body = ctx.body as { id_token?: string } | undefined;
    if (!body?.id_token) return;
    const payload = decodeJwt(body.id_token);
    const fault = accounts.get(String(payload.sub))?.fault;
    if (fault) await applyFault(ctx as unknown as KoaContextWithOIDC, body as { id_token: string }, payload, fault);
  });

  async function applyFault(
    ctx: KoaContextWithOIDC,
    body: { id_token: string },
    payload: Record<string, unknown>,
    fault: Fault,
  ): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    const sign = async (claims: Record<string, unknown>, key: webcrypto.CryptoKey = privateKey) =>
      new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: signingKey.kid!, typ: "JWT" }).sign(key);
    switch (fault) {
      case "wrong-audience":
        body.id_token = await sign({ ...payload, aud: "another-client" });
        return;
      case "wrong-issuer":
        body.id_token = await sign({ ...payload, iss: "https://accounts.example.net" });
        return;
      case "expired":
        body.id_token = await sign({ ...payload, iat: now - 1200, exp: now - 600 });
        return;
      case "nonce-mismatch":
        body.id_token = await sign({ ...payload, nonce: randomBytes(32).toString("base64url") });
        return;
      case "bad-signature": {
        // Same kid as the real key, so the verifier picks the real key and the signature fails.
        const { privateKey: stranger } = await generateKeyPair("RS256");
        body.id_token = await sign(payload, stranger);
        return;
      }
      case "unsigned": {
        const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
        body.id_token = `${encode({ alg: "none", typ: "JWT" })}.${encode(payload)}.`;
        return;
      }
      case "token-endpoint-error":
        ctx.status = 503;
        ctx.body = { error: "temporarily_unavailable" };
        return;
    }
  }

  const callback = provider.callback();
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    if (request.url?.startsWith(ACCOUNTS_PATH)) {
      void handleAccountRequest(request, response, accounts);
      return;
    }
    void callback(request, response);
  });

  // A port that was free a moment ago and is closed again: connections to it are refused.
  const probe = createServer();
  const refusedPort = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  project.provide("oidcTestProvider", {
    issuer,
    clientId: CLIENT_ID,
    clientSecret,
    refusedIssuer: `http://127.0.0.1:${refusedPort}`,
    apiBaseURL: API_BASE_URL,
  });

  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

/** PUT /__test/accounts/<id> with {claims, fault?}: registers or replaces a test account. */
async function handleAccountRequest(
  request: IncomingMessage,
  response: ServerResponse,
  accounts: Map<string, TestAccount>,
): Promise<void> {
  const id = decodeURIComponent(request.url!.slice(ACCOUNTS_PATH.length));
  if (request.method !== "PUT" || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    response.writeHead(400).end();
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const account = JSON.parse(Buffer.concat(chunks).toString("utf8")) as TestAccount;
  if (account.fault !== undefined && !FAULTS.includes(account.fault)) {
    response.writeHead(400).end();
    return;
  }
  accounts.set(id, account);
  response.writeHead(204).end();
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}
