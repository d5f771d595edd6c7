// Bench-only peer for issue 18's startup figure: better-auth with what Rampart's own sign-in needs
// (email + password, sessions in D1, organizations) on Hono, built at module scope as Rampart builds
// its app (src/app.ts), so `wrangler check startup` measures the same kind of work for both.
// Never deployed; its packages live in this folder's package.json, installed on demand by
// bench/http/edge.mjs (not the root package.json).
import { env } from "cloudflare:workers";
import { betterAuth } from "better-auth";
import { organization } from "better-auth/plugins/organization";
import { Hono } from "hono";

type PeerEnv = { DB: D1Database; BETTER_AUTH_SECRET: string; BETTER_AUTH_URL: string };
const bindings = env as unknown as PeerEnv;

// better-auth's own Kysely adapter takes the D1 binding as is (it detects D1 and uses its dialect).
const auth = betterAuth({
  database: bindings.DB,
  secret: bindings.BETTER_AUTH_SECRET,
  baseURL: bindings.BETTER_AUTH_URL,
  emailAndPassword: { enabled: true },
  plugins: [organization()],
});

const app = new Hono();
app.on(["GET", "POST"], "/api/auth/*", (c) => auth.handler(c.req.raw));
app.get("/health", (c) => c.json({ status: "ok" }));

export default app;
