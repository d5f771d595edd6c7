// Bench-only worker entry: the production app plus routes that exist only for `npm run bench`.
// It is never deployed (the root wrangler.toml points at src/index.ts); bench/http/wrangler.toml
// points here. The extra routes are registered on the app that createApp() built, so they run
// behind exactly the same global middleware as every real route (security headers, request
// context, CORS, body limit, origin check, 405 handling, error handler).
import { eq } from "drizzle-orm";
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Env, WebhookDeliveryMessage } from "../../src/env";
import { consumeWebhookBatch } from "../../src/features/webhooks/consumer";
import { createApp } from "../../src/app";
import { handleScheduled } from "../../src/cron/scheduled";
import { organizations } from "../../src/db/schema";
import { hashToken } from "../../src/lib/crypto";
import { getPasswordHashingStats, hashPassword, verifyPassword } from "../../src/lib/password";
import { findValidSession } from "../../src/platform/sessions/repo";
import { validateSessionToken } from "../../src/platform/sessions/service";
import { readSessionCookie } from "../../src/middleware/session-cookie";
import { registerLedgerBenchRoutes } from "../ai/routes";
import { registerMoneyBenchRoutes } from "../ai/money-routes";
import { createDB, pingDatabase } from "../../src/db/client";
import { securityHeaders } from "../../src/middleware/security-headers";
import { loopbackOnlyInDev } from "../../src/middleware/loopback-only";
import { corsPolicy } from "../../src/middleware/cors";
import { requestContext } from "../../src/middleware/request-context";
import { originCheck } from "../../src/middleware/origin-check";
import type { AppEnv } from "../../src/env";
import { type AuthenticationResponseJSON, verifyAuthenticationResponse } from "@simplewebauthn/server";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import { relyingPartyFrom } from "../../src/features/passkeys/relying-party";

export { RateLimiter } from "../../src/rate-limit/rate-limiter";

const app = createApp();
registerLedgerBenchRoutes(app); // the AI ledger bench (bench/ai/ledger.mjs)
registerMoneyBenchRoutes(app); // the member-budget reservation bench (bench/ai/money.mjs)

/**
 * The baseline of the /users/me target: one indexed D1 read (organization by primary key)
 * through drizzle, no authentication. `id` is the organization to read; a miss is still one read.
 */
app.get("/bench/baseline", async (c) => {
  const id = c.req.query("id") ?? "";
  const rows = await c
    .get("db")
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.id, id))
    .limit(1);
  return c.json({ id: rows[0]?.id ?? null }, 200);
});

// Profiling routes (bench/run.mjs --profile): /users/me taken apart one step at a time.

/** Global middleware only: no D1 at all. */
app.get("/bench/noop", (c) => c.json({ ok: true }, 200));

/** SHA-256 of the session cookie only (what validateSessionToken hashes), no D1. */
app.get("/bench/sha", async (c) => {
  const token = readSessionCookie(c) ?? "";
  return c.json({ hash: (await hashToken(token)).slice(0, 8) }, 200);
});

/** The session join as production runs it (prepared once per binding), without the access middleware. */
app.get("/bench/join", async (c) => {
  const token = readSessionCookie(c) ?? "";
  const row = await findValidSession(c.get("db"), await hashToken(token), Date.now());
  return c.json({ id: row?.userId ?? null }, 200);
});

/** The same join as raw D1 (prepare/bind/first), skipping drizzle's query builder and mapping. */
app.get("/bench/join-raw", async (c) => {
  const token = readSessionCookie(c) ?? "";
  const row = await c.env.DB.prepare(
    `SELECT s.id AS session_id, s.expires_at, u.id AS user_id, u.email, u.first_name, u.last_name, u.is_sys_admin,
            m.role AS membership_role, u.password_hash IS NOT NULL AS has_password, u.email_verified_at, u.created_at,
            o.id AS organization_id, o.name AS organization_name,
            (SELECT count(*) FROM membership all_m WHERE all_m.user_id = u.id) AS organizations_count
       FROM session s
       JOIN user u ON u.id = s.user_id
       JOIN membership m ON m.user_id = s.user_id AND m.organization_id = s.active_organization_id
       JOIN organization o ON o.id = s.active_organization_id
      WHERE s.token_hash = ? AND s.expires_at > ? AND u.suspended_at IS NULL
        AND u.email_verified_at IS NOT NULL AND o.suspended_at IS NULL
      LIMIT 1`,
  )
    .bind(await hashToken(token), Date.now())
    .first<{ user_id: string }>();
  return c.json({ id: row?.user_id ?? null }, 200);
});

/** validateSessionToken exactly as the access middleware calls it, without the role check. */
app.get("/bench/validate", async (c) => {
  const token = readSessionCookie(c) ?? "";
  const session = await validateSessionToken(c.get("db"), token);
  return c.json({ id: session?.user.id ?? null }, 200);
});

/**
 * The login target's floor: one Argon2id verify with production's parameters, through the same
 * hash queue as login, behind the same middleware. The hash is made once per isolate.
 */
let benchHash: Promise<string> | undefined;
app.post("/bench/verify", async (c) => {
  const { argon2 } = c.get("config");
  const options = { maxConcurrent: argon2.maxConcurrent };
  benchHash ??= hashPassword(BENCH_PASSWORD, argon2, options);
  return c.json({ ok: await verifyPassword(await benchHash, BENCH_PASSWORD, options) }, 200);
});
const BENCH_PASSWORD = "correct horse battery staple";

/**
 * The passkey figure's counterpart of /bench/verify: only the assertion check a passkey sign-in
 * runs (verifyAuthenticationResponse with the options production passes: clientDataJSON, RP id
 * hash, flags, the ES256 signature over WebCrypto), no D1. The runner sends a fresh assertion and
 * the credential's public key in the body (bench/passkeys/passkeys.mjs).
 */
app.post("/bench/passkey-verify", async (c) => {
  const body = await c.req.json<{ response: AuthenticationResponseJSON; public_key: string; challenge: string }>();
  const relyingParty = relyingPartyFrom(c.get("config"));
  const verification = await verifyAuthenticationResponse({
    response: body.response,
    expectedChallenge: body.challenge,
    expectedOrigin: relyingParty.origin,
    expectedRPID: relyingParty.id,
    requireUserVerification: true,
    credential: { id: body.response.id, publicKey: isoBase64URL.toBuffer(body.public_key), counter: 0 },
  });
  return c.json({ ok: verification.verified }, 200);
});

/** The Argon2 stage of this isolate: WASM heap size and the most hashes ever admitted at once. */
app.get("/bench/hashing-stats", (c) =>
  c.json(getPasswordHashingStats({ maxConcurrent: c.get("config").argon2.maxConcurrent }), 200),
);

// The /health target's floor: a bare Hono app (no middleware, no error handler) that runs the
// same `SELECT 1` through drizzle as /health. It is a separate app, so none of the global
// middleware above runs for it.
const bare = new Hono<AppEnv>();
bare.get("/bench/bare/health", async (c) => {
  await pingDatabase(createDB(c.env.DB));
  return c.json({ status: "ok", db: "ok" }, 200);
});

const BARE_PATH = /^\/bench\/(bare|stack)\//;

// The global middleware one layer at a time, each behind the previous ones, in app.ts's order:
// /bench/stack/<n>/health runs the first n of them and then the same SELECT 1 as /health.
const STACK: [string, MiddlewareHandler<AppEnv>][] = [
  ["security-headers", securityHeaders],
  ["loopback-only", loopbackOnlyInDev],
  ["cors", corsPolicy],
  ["request-context", requestContext],
  ["body-limit", bodyLimit({ maxSize: 64 * 1024 })],
  ["origin-check", originCheck],
];
for (let depth = 1; depth <= STACK.length; depth++) {
  const stacked = new Hono<AppEnv>();
  for (const [, middleware] of STACK.slice(0, depth)) stacked.use(middleware);
  stacked.get("/health", async (c) => {
    await pingDatabase(createDB(c.env.DB));
    return c.json({ status: "ok", db: "ok" }, 200);
  });
  bare.route(`/bench/stack/${depth}`, stacked);
}

/**
 * D1 writes of the API key bench (bench/http/api-keys.mjs): a request with COUNT_D1_HEADER runs on
 * an env whose DB counts the write statements it prepares (INSERT, UPDATE, DELETE, REPLACE). One
 * such env per isolate and env, so drizzle's per-binding prepared statements and the config cache
 * keep working; requests without the header never see it.
 */
const COUNT_D1_HEADER = "x-bench-count-d1";
const WRITE_SQL = /^\s*(insert|update|delete|replace)\b/i;
const d1Counts = { writes: 0, statements: 0 };
const countingEnvs = new WeakMap<Env, Env>();

function countingEnv(env: Env): Env {
  let counting = countingEnvs.get(env);
  if (!counting) {
    const DB = new Proxy(env.DB, {
      get(target, property) {
        if (property === "prepare") {
          return (query: string) => {
            d1Counts.statements++;
            if (WRITE_SQL.test(query)) d1Counts.writes++;
            return target.prepare(query);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    counting = { ...env, DB };
    countingEnvs.set(env, counting);
  }
  return counting;
}

/**
 * Storage as far away as in production (the login figure, bench/http/edge.mjs): a request with
 * STORAGE_LATENCY_HEADER: <ms> runs on an env whose D1 and RateLimiter calls each wait that long,
 * on a timer, before they go out. Locally every Durable Object and D1 call runs on workerd's one
 * thread, so its cost is CPU that no overlapping can hide; on Cloudflare each is a network round
 * trip to another machine, during which the worker's own work (the Argon2id verify) goes on. The
 * wait is idle time, as a round trip is, so the critical path of a route shows: calls made one
 * after the other pay it each time, calls made side by side once. One such env per isolate, env
 * and latency, like countingEnv.
 */
const STORAGE_LATENCY_HEADER = "x-bench-storage-latency-ms";
const latencyEnvs = new WeakMap<Env, Map<number, Env>>();

function withStorageLatency(env: Env, ms: number): Env {
  let byLatency = latencyEnvs.get(env);
  if (!byLatency) {
    byLatency = new Map();
    latencyEnvs.set(env, byLatency);
  }
  let delayed = byLatency.get(ms);
  if (!delayed) {
    const roundTrip = () => scheduler.wait(ms);
    delayed = { ...env, DB: delayD1(env.DB, roundTrip), RATE_LIMITER: delayNamespace(env.RATE_LIMITER, roundTrip) };
    byLatency.set(ms, delayed);
  }
  return delayed;
}

const D1_CALLS = new Set(["first", "all", "run", "raw"]);

/** D1 with a round trip before each query and batch; batch() gets back the real statements. */
function delayD1(db: D1Database, roundTrip: () => Promise<void>): D1Database {
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, property) {
        if (property === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        if (typeof property === "string" && D1_CALLS.has(property)) {
          return async (...args: unknown[]) => {
            await roundTrip();
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
    real.set(proxy, statement);
    return proxy;
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === "prepare") return (query: string) => wrap(target.prepare(query));
      if (property === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          await roundTrip();
          return target.batch(statements.map((statement) => real.get(statement) ?? statement));
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The RateLimiter namespace whose stubs wait a round trip before each RPC call. */
function delayNamespace(namespace: Env["RATE_LIMITER"], roundTrip: () => Promise<void>): Env["RATE_LIMITER"] {
  return new Proxy(namespace, {
    get(target, property) {
      if (property === "get") {
        return (id: DurableObjectId) => {
          const stub = target.get(id);
          return new Proxy(stub, {
            get(stubTarget, method) {
              const value: unknown = Reflect.get(stubTarget, method);
              if (typeof value !== "function" || method === "then") return value;
              // Called through the stub, not with apply(): an RPC method's own properties are RPC names.
              const methods = stubTarget as unknown as Record<PropertyKey, (...args: unknown[]) => unknown>;
              return async (...args: unknown[]) => {
                await roundTrip();
                return methods[method]?.(...args);
              };
            },
          });
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * The layers' own cost, without the I/O that dominates a local request (the /health figure,
 * bench/http/edge.mjs): /bench/loop/<n>/<path> makes `n` requests of <path> inside this isolate,
 * one after the other, through the same fetch as a real request, on an env whose D1 answers every
 * statement at once. The client reads workerd's CPU time before and after, so (after - before) / n
 * is what the router, middleware, drizzle and Response objects of one such request cost in workerd,
 * free of the local D1 service and the HTTP server, whose cost swamps a few tens of µs. One such env
 * per isolate and env, like countingEnv (the config cache and drizzle's statements key on it).
 */
const LOOP_PATH = /^\/bench\/loop\/(\d+)(\/.*)$/;
const instantEnvs = new WeakMap<Env, Env>();

function withInstantD1(env: Env): Env {
  let instant = instantEnvs.get(env);
  if (!instant) {
    const answer = { success: true, meta: {}, results: [] };
    const statement = {
      bind: () => statement,
      run: () => Promise.resolve(answer),
      all: () => Promise.resolve(answer),
      raw: () => Promise.resolve([]),
      first: () => Promise.resolve(null),
    };
    const DB = { prepare: () => statement, batch: (list: unknown[]) => Promise.resolve(list.map(() => answer)) };
    instant = { ...env, DB: DB as unknown as D1Database };
    instantEnvs.set(env, instant);
  }
  return instant;
}

async function loopRequests(request: Request, env: Env, ctx: ExecutionContext, count: number, path: string) {
  const url = new URL(path, request.url).toString();
  const instant = withInstantD1(env);
  let failures = 0;
  for (let index = 0; index < count; index++) {
    const response = await dispatch(new Request(url, { headers: request.headers }), instant, ctx);
    if (response.status !== 200) failures++;
    await response.arrayBuffer();
  }
  return Response.json({ count, failures });
}

app.get("/bench/d1-writes", (c) => c.json(d1Counts, 200));
app.post("/bench/d1-writes/reset", (c) => {
  d1Counts.writes = 0;
  d1Counts.statements = 0;
  return c.json(d1Counts, 200);
});

/** Which app serves a request, and on which env. */
function dispatch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
  if (BARE_PATH.test(new URL(request.url).pathname)) return bare.fetch(request, env, ctx);
  const latency = Number(request.headers.get(STORAGE_LATENCY_HEADER) ?? 0);
  if (latency > 0) return app.fetch(request, withStorageLatency(env, latency), ctx);
  return app.fetch(request, request.headers.has(COUNT_D1_HEADER) ? countingEnv(env) : env, ctx);
}

export default {
  fetch: (request, env, ctx) => {
    const loop = LOOP_PATH.exec(new URL(request.url).pathname);
    if (loop) return loopRequests(request, env, ctx, Math.min(Number(loop[1]), 100_000), loop[2]!);
    return dispatch(request, env, ctx);
  },
  scheduled: handleScheduled,
  queue: consumeWebhookBatch,
} satisfies ExportedHandler<Env, WebhookDeliveryMessage>;
