// The HTTP benches' harness: build the bench worker, give it a fresh local D1, run it in one
// workerd process, and create accounts through the public API the way a person would.
//
// Why Miniflare's API and not `wrangler dev`: wrangler dev runs two workerd processes, a proxy
// worker on the public port that forwards every request to the user worker in the second one. On
// this 2-core machine that proxy capped a one-query route at ~190 req/s while the user worker
// alone served ~2,000, so every route measured through it would run at the proxy's speed and the
// /users/me : baseline ratio would come out near 1 whatever the routes cost. Here wrangler still
// does everything that decides what runs: it bundles the worker (`wrangler deploy --dry-run`, the
// same esbuild pipeline as dev and deploy), applies the D1 migrations (`wrangler d1 migrations
// apply --local`), and turns bench/http/wrangler.toml into Miniflare options
// (unstable_getMiniflareWorkerOptions); the worker then runs on wrangler's own Miniflare and
// workerd build, with one workerd process whose RSS is the worker's (the memory bench needs that).
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { readFileSync, readdirSync, rmSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const resultsDir = path.join(root, "bench", ".results");
const configPath = path.join(root, "bench", "http", "wrangler.toml");
const bundleDir = path.join(resultsDir, "http-bundle");
/** The bench worker's own local state (D1, Durable Objects); wiped at every run. */
const persistDir = path.join(resultsDir, "http-state");
const wranglerBin = path.join(root, "node_modules", ".bin", "wrangler");
const wranglerRequire = createRequire(path.join(root, "node_modules", "wrangler", "package.json"));

export const WEB_ORIGIN = "http://localhost:5173";
export const PASSWORD = "correct horse battery staple";

export function versions() {
  const read = (require, name) => {
    try {
      return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")).version;
    } catch {
      return "unknown";
    }
  };
  const miniflareRequire = createRequire(wranglerRequire.resolve("miniflare"));
  return {
    wrangler: read(createRequire(path.join(root, "package.json")), "wrangler"),
    miniflare: read(wranglerRequire, "miniflare"),
    workerd: read(miniflareRequire, "workerd"),
  };
}

function wrangler(args, what) {
  const run = spawnSync(wranglerBin, args, {
    cwd: root,
    encoding: "utf8",
    // CI=true: no interactive confirmation; no metrics: the bench must not phone home.
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
  });
  if (run.status !== 0) {
    throw new Error(`${what} failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** Bundles the bench worker and applies the migrations to a brand-new local D1. */
export function prepare() {
  rmSync(bundleDir, { recursive: true, force: true });
  rmSync(persistDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  // --outdir must be absolute: wrangler resolves a relative one against the config's folder.
  wrangler(["deploy", "--dry-run", "--outdir", bundleDir, "-c", configPath], "wrangler deploy --dry-run");
  wrangler(
    ["d1", "migrations", "apply", "DB", "--local", "-c", configPath, "--persist-to", persistDir],
    "wrangler d1 migrations apply --local",
  );
}

/**
 * Starts the bundled bench worker in one workerd process on a free loopback port. Returns its
 * URL, the workerd pid, the worker's warnings and errors (console.warn/error and runtime errors),
 * the Miniflare instance (its D1 binding and scheduled handler, for the mixed-traffic bench) and
 * dispose(). `vars` override bench/http/wrangler.toml's [vars] for this run; `inspectorPort` opens
 * workerd's DevTools inspector on that loopback port (bench/http/cpu-profile.mjs).
 */
export async function startWorker({ vars = {}, inspectorPort } = {}) {
  const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = wranglerRequire("miniflare");
  const rootRequire = createRequire(path.join(root, "package.json"));
  const { unstable_getMiniflareWorkerOptions } = await import(pathToFileURL(rootRequire.resolve("wrangler")).href);
  const { workerOptions } = unstable_getMiniflareWorkerOptions(configPath);
  // The bundle lists its modules itself; the rules and root are for unbundled sources.
  const { modulesRules: _rules, rootPath: _root, ...bindingsAndFlags } = workerOptions;
  const modules = [
    { type: "ESModule", path: path.join(bundleDir, "worker.js") },
    ...readdirSync(bundleDir)
      .filter((name) => name.endsWith(".wasm"))
      .map((name) => ({ type: "CompiledWasm", path: path.join(bundleDir, name) })),
  ];

  const problems = [];
  class CapturingLog extends Log {
    log(message) {
      problems.push(message);
    }
  }
  const before = new Set(workerdChildren());
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      cf: false, // no network here: skip fetching the Request.cf fixture
      ...(inspectorPort === undefined ? {} : { inspectorPort }),
      logRequests: false,
      log: new CapturingLog(LogLevel.WARN),
      handleStructuredLogs: (entry) => {
        if (entry.level === "error" || entry.level === "warn") problems.push(entry.message);
      },
      resourcePersistencePath: path.join(persistDir, "v3"),
      workers: [
        {
          name: "rampart-bench",
          ...bindingsAndFlags,
          bindings: { ...bindingsAndFlags.bindings, ...vars },
          modulesRoot: bundleDir,
          modules,
        },
      ],
    }),
  );
  const url = await mf.ready;
  const started = workerdChildren().filter((pid) => !before.has(pid));
  if (started.length !== 1) throw new Error(`expected one new workerd process, found ${started.length}`);
  return {
    url: url.href.replace(/\/$/, ""),
    pid: started[0],
    problems,
    mf,
    dispose: () => mf.dispose(),
  };
}

/** Pids of workerd processes that are children of this process. */
function workerdChildren() {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const afterName = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (name === "workerd" && Number(afterName[1]) === process.pid) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

// ---------------------------------------------------------------------------------------------
// Client: every request carries its own CF-Connecting-IP, from the benchmarking range 198.18/15,
// so the per-IP limits (login 5 / 15 min, signup 3 / h, verify 10 / 15 min) never trigger.

let ipCounter = 0;
export function nextIP() {
  ipCounter++;
  return `198.${18 + ((ipCounter >> 16) & 1)}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

export function createClient(baseURL) {
  async function send(method, pathname, { body, cookie, ip = nextIP(), headers: extraHeaders = {} } = {}) {
    const headers = { ...extraHeaders, "CF-Connecting-IP": ip };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers.Origin = WEB_ORIGIN;
    if (cookie) headers.Cookie = cookie;
    const response = await fetch(`${baseURL}${pathname}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
  }
  return {
    get: (pathname, options) => send("GET", pathname, options),
    post: (pathname, body, options) => send("POST", pathname, { ...options, body }),
    patch: (pathname, body, options) => send("PATCH", pathname, { ...options, body }),
  };
}

function expectStatus(response, status, what) {
  if (response.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${response.status}: ${response.text.slice(0, 300)}`);
  }
}

let emailCounter = 0;
export function uniqueEmail(label) {
  emailCounter++;
  return `${label}.${emailCounter}.${Date.now().toString(36)}@example.com`;
}

async function signUp(client, email, password = PASSWORD) {
  expectStatus(
    await client.post("/auth/signup", { email, password, first_name: "Bench", last_name: "User" }),
    201,
    "signup",
  );
}

/** The verify-email token from the stub outbox; the email is sent after the response (waitUntil). */
async function readVerificationToken(client, email) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const response = await client.get(`/dev/emails?to=${encodeURIComponent(email)}`);
    expectStatus(response, 200, "GET /dev/emails");
    for (const message of response.json()) {
      for (const link of message.links) {
        const url = new URL(link);
        const token = url.searchParams.get("token");
        if (url.pathname === "/verify-email" && token) return token;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no verification email reached ${email}`);
}

async function verify(client, email) {
  const token = await readVerificationToken(client, email);
  expectStatus(await client.post("/auth/verify-email", { token }), 200, "verify-email");
}

/** Logs in and returns the session cookie (name=value) and the user. */
export async function logIn(client, email, password = PASSWORD) {
  const response = await client.post("/auth/login", { email, password });
  expectStatus(response, 200, "login");
  const setCookie = response.headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0];
  if (!cookie.includes("=")) throw new Error("login: no session cookie");
  return { cookie, user: response.json() };
}

/** signup -> GET /dev/emails -> POST /auth/verify-email, for `count` accounts, a few at a time. */
export async function createVerifiedAccounts(client, label, count, parallel = 4) {
  const emails = Array.from({ length: count }, () => uniqueEmail(label));
  await inBatches(emails, parallel, async (email) => {
    await signUp(client, email);
    await verify(client, email);
  });
  return emails;
}

async function inBatches(items, size, work) {
  for (let i = 0; i < items.length; i += size) {
    await Promise.all(items.slice(i, i + size).map(work));
  }
}

export function writeJSON(name, value) {
  writeFileSync(path.join(resultsDir, name), `${JSON.stringify(value, null, 2)}\n`);
}
