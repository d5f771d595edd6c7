// What the whole-app tests of the HTTP layer share (test/http/security-headers, cors, csrf,
// fail-closed-config, methods-and-bodies, session-cookie-parsing): the headers SEC-43 promises, a
// client of a production deployment, the session rows of an account, and a tiny app with the real
// middleware whose routes fail the way real code can.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv, Env } from "../../src/env";
import { corsPolicy } from "../../src/middleware/cors";
import { handleError, handleNotFound } from "../../src/middleware/error-handler";
import { originCheck } from "../../src/middleware/origin-check";
import { requestContext } from "../../src/middleware/request-context";
import { securityHeaders } from "../../src/middleware/security-headers";
import { API_ORIGIN, createClient, type TestClient } from "./client";

const CSP = "default-src 'none'; frame-ancestors 'none'";
const HSTS = "max-age=31536000; includeSubDomains";

export const PROD_ORIGIN = "https://app.example.com";
export const PROD_ENV: Partial<Env> = {
  ENVIRONMENT: "prod",
  WEB_BASE_URL: PROD_ORIGIN,
  CORS_ORIGINS: PROD_ORIGIN,
  EMAIL_PROVIDER: "resend",
  RESEND_API_KEY: "re_test",
};

export function prodClient(overrides: Partial<Env> = {}): TestClient {
  return createClient({ env: { ...PROD_ENV, ...overrides }, origin: PROD_ORIGIN });
}

export function securityHeadersOf(response: Response) {
  const header = (name: string) => response.headers.get(name);
  return {
    "x-content-type-options": header("x-content-type-options"),
    "cache-control": header("cache-control"),
    "content-security-policy": header("content-security-policy"),
    "x-frame-options": header("x-frame-options"),
    "referrer-policy": header("referrer-policy"),
    "strict-transport-security": header("strict-transport-security"),
  };
}

export function expectedSecurityHeaders(options: { hsts: boolean }) {
  return {
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "strict-transport-security": options.hsts ? HSTS : null,
  };
}

export async function sessionRowsOf(email: string): Promise<number> {
  const row = await env.DB.prepare(
    `SELECT count(*) AS n FROM session JOIN "user" ON "user".id = session.user_id WHERE "user".email = ?`,
  )
    .bind(email)
    .first<{ n: number }>();
  return row!.n;
}

// A tiny app with the real middleware and error handler, and routes that fail the way real code
// can: a thrown Error whose message holds secrets, a D1 error carrying SQL, an HTTPException.
const LEAK = "leak-8c1f: password_hash=$argon2id$v=19$m=19456 token=abc123";

function buildFailingApp(): Hono<AppEnv> {
  const failing = new Hono<AppEnv>();
  failing.use(securityHeaders);
  failing.use(requestContext);
  failing.use(corsPolicy);
  failing.use(originCheck);
  failing.get("/throws", () => {
    throw new Error(LEAK, { cause: new Error(`cause ${LEAK}`) });
  });
  failing.get("/type-error", (c) => {
    const missing = (c.env as unknown as Record<string, { boom: () => never }>).NO_SUCH_BINDING!;
    return missing.boom();
  });
  failing.get("/sql", async (c) => {
    await c.env.DB.prepare(`SELECT password_hash FROM no_such_table WHERE email = '${LEAK}'`).all();
    return c.json({ ok: true });
  });
  failing.post("/http-exception", () => {
    throw new HTTPException(400, { message: LEAK });
  });
  failing.notFound(handleNotFound);
  failing.onError(handleError);
  return failing;
}

export async function callFailingApp(
  path: string,
  init: RequestInit = {},
  overrides: Partial<Env> = {},
): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await buildFailingApp().fetch(
    new Request(new URL(path, API_ORIGIN), init),
    { ...env, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}
