import { env } from "cloudflare:test";
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  type JSONWebKeySet,
} from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { createClient, type TestClient } from "../../helpers/client";
import { insertUser } from "../../helpers/factories";
import { signIn } from "../../helpers/orgs";

const ISSUER = "http://localhost:8787";
const AUDIENCE = "rampart-services";

let user: Awaited<ReturnType<typeof insertUser>>;
let session: TestClient;

/** The signed-in session, seen by a worker whose env differs (another JWT_SIGNING_KEYS). */
function sameSessionWith(overrides: Partial<typeof env>): TestClient {
  const client = createClient({ env: overrides });
  for (const [name, value] of session.cookies) client.cookies.set(name, value);
  return client;
}

async function issueToken(client: TestClient): Promise<string> {
  const response = await client.post("/auth/token");
  expect(response.status, await response.clone().text()).toBe(200);
  const body = (await response.json()) as { token: string; token_type: string; expires_in: number };
  expect(body).toMatchObject({ token_type: "Bearer", expires_in: 300 });
  return body.token;
}

async function servedKeySet(client: TestClient): Promise<JSONWebKeySet> {
  const response = await client.get("/.well-known/jwks.json");
  expect(response.status).toBe(200);
  return (await response.json()) as JSONWebKeySet;
}

/** Exactly what a downstream Worker does: the served JWKS, the algorithm, iss and aud pinned. */
function verifyDownstream(token: string, keySet: JSONWebKeySet) {
  return jwtVerify(token, createLocalJWKSet(keySet), { issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"] });
}

async function newPrivateJWK(kid: string) {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: "ES256" };
}

beforeAll(async () => {
  user = await insertUser({ role: "org_admin" });
  session = await signIn(user);
});

describe("short-lived access tokens", () => {
  it("SEC-74: POST /auth/token gives a 5-minute ES256 JWT with kid, iss, aud, sub, org, role, sid and jti that the JWKS verifies", async () => {
    const token = await issueToken(session);
    const keySet = await servedKeySet(createClient());
    const { payload, protectedHeader } = await verifyDownstream(token, keySet);
    const { sessions } = (await (await session.get("/auth/sessions")).json()) as {
      sessions: { id: string; current: boolean }[];
    };
    expect(protectedHeader).toMatchObject({ alg: "ES256", kid: keySet.keys[0]!.kid });
    expect(payload).toMatchObject({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: user.id,
      org: user.organizationId,
      role: "org_admin",
      sid: sessions.find((listed) => listed.current)!.id,
    });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    // Public halves only.
    expect(keySet.keys.every((key) => !("d" in key))).toBe(true);
  });

  it("SEC-74: across a rotation, tokens of the previous key verify until it leaves the JWKS", async () => {
    const before = await issueToken(session);
    const previous = JSON.parse(env.JWT_SIGNING_KEYS!).keys[0];
    const next = await newPrivateJWK("next");
    const rotated = sameSessionWith({ JWT_SIGNING_KEYS: JSON.stringify({ keys: [next, previous] }) });

    const after = await issueToken(rotated);
    expect(decodeProtectedHeader(after).kid).toBe("next");
    const keySet = await servedKeySet(rotated);
    expect(keySet.keys.map((key) => key.kid)).toEqual(["next", previous.kid]);
    await expect(verifyDownstream(before, keySet)).resolves.toBeTruthy();
    await expect(verifyDownstream(after, keySet)).resolves.toBeTruthy();

    const retired = await servedKeySet(sameSessionWith({ JWT_SIGNING_KEYS: JSON.stringify({ keys: [next] }) }));
    await expect(verifyDownstream(before, retired)).rejects.toThrow();
  });

  it("SEC-74: a token is refused downstream for another audience or after it expires", async () => {
    const token = await issueToken(session);
    const keySet = await servedKeySet(session);
    await expect(
      jwtVerify(token, createLocalJWKSet(keySet), { issuer: ISSUER, audience: "someone-else", algorithms: ["ES256"] }),
    ).rejects.toThrow();
    await expect(
      jwtVerify(token, createLocalJWKSet(keySet), {
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(Date.now() + 301_000),
      }),
    ).rejects.toThrow();
  });

  it("without JWT_SIGNING_KEYS (or with an invalid one) both routes answer 503 MISCONFIGURED", async () => {
    for (const value of ["", '{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}']) {
      const client = sameSessionWith({ JWT_SIGNING_KEYS: value });
      for (const response of [await client.post("/auth/token"), await client.get("/.well-known/jwks.json")]) {
        expect(response.status, value).toBe(503);
        const body = (await response.json()) as { error: { code: string; details: { settings: string[] } } };
        expect(body.error.code).toBe("MISCONFIGURED");
        expect(body.error.details.settings).toContain("JWT_SIGNING_KEYS");
      }
    }
  });

  it("an anonymous caller gets no token", async () => {
    expect((await createClient().post("/auth/token")).status).toBe(401);
  });
});
