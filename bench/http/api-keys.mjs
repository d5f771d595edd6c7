// The API key figures of issue 14, ratios within one run (the machine is shared):
// - GET /notes with an API key against the same route with a session cookie and against the
//   one-read baseline (/bench/baseline), interleaved in rounds, same connections;
// - D1 write statements per 1,000 key-authenticated requests on keys never used before: the
//   target is at most one per key per minute (last_used_at), never one per request.
import autocannon from "autocannon";
import { cpuMs, median } from "./benches.mjs";

/** Keys the throughput phase cycles through: each at 6,000/min, so the per-key limit never answers 429 here. */
const THROUGHPUT_KEYS = 16;
/** Fresh keys for the write count: one last-use write each is the expected total. */
const COUNT_KEYS = 8;
const COUNT_REQUESTS = 1000;
const COUNT_D1_HEADER = "x-bench-count-d1";

async function createKeys(client, cookie, count) {
  const keys = [];
  for (let index = 0; index < count; index++) {
    const response = await client.post(
      "/api-keys",
      { name: `bench ${index}`, role: "readonly", scopes: ["notes:read"], rate_limit_per_minute: 6000 },
      { cookie },
    );
    if (response.status !== 201) throw new Error(`POST /api-keys: ${response.status} ${response.text.slice(0, 200)}`);
    keys.push(response.json().key);
  }
  return keys;
}

/** One autocannon run over `requests` (cycled per connection); req/s of 2xx and workerd CPU per response. */
async function load(url, requests, { seconds, amount, connections, pid, headers = {} }) {
  const cpuBefore = cpuMs(pid);
  const result = await autocannon({
    url,
    connections,
    pipelining: 1,
    headers: { "cf-connecting-ip": "198.18.255.253", ...headers },
    requests,
    ...(amount ? { amount } : { duration: seconds }),
  });
  const cpuUsedMs = cpuMs(pid) - cpuBefore;
  const elapsed = (new Date(result.finish) - new Date(result.start)) / 1000;
  return {
    rps: result["2xx"] / elapsed,
    cpuUsPerRequest: (cpuUsedMs * 1000) / Math.max(result["2xx"] + result.non2xx, 1),
    ok: result["2xx"],
    bad: result.non2xx + result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

export async function runApiKeyBench({ startWorker, createClient, createVerifiedAccounts, logIn, plan, log }) {
  const server = await startWorker();
  try {
    const client = createClient(server.url);
    const [email] = await createVerifiedAccounts(client, "bench-keys", 1);
    const { cookie, user } = await logIn(client, email);
    const note = await client.post("/notes", { title: "Bench", content: "A note to list." }, { cookie });
    if (note.status !== 201) throw new Error(`POST /notes: ${note.status} ${note.text.slice(0, 200)}`);
    const keys = await createKeys(client, cookie, THROUGHPUT_KEYS);
    const probe = await fetch(`${server.url}/notes`, { headers: { authorization: `Bearer ${keys[0]}` } });
    if (probe.status !== 200) throw new Error(`GET /notes with a key: ${probe.status} ${await probe.text()}`);

    const routes = {
      baseline: [{ method: "GET", path: `/bench/baseline?id=${encodeURIComponent(user.organization_id)}` }],
      cookie: [{ method: "GET", path: "/notes", headers: { cookie } }],
      key: keys.map((key) => ({ method: "GET", path: "/notes", headers: { authorization: `Bearer ${key}` } })),
    };
    const options = { seconds: plan.seconds, connections: plan.connections, pid: server.pid };
    log(`api keys: warm-up, then ${plan.rounds} rounds x ${plan.seconds} s per route, ${plan.connections} connections`);
    for (const requests of Object.values(routes)) {
      await load(server.url, requests, { ...options, seconds: plan.warmupSeconds });
    }
    const rounds = [];
    for (let round = 1; round <= plan.rounds; round++) {
      const row = { round };
      for (const [name, requests] of Object.entries(routes)) {
        row[name] = await load(server.url, requests, options);
        log(
          `  round ${round} ${name}: ${row[name].rps.toFixed(0)} req/s, ${row[name].cpuUsPerRequest.toFixed(0)} µs CPU/req`,
        );
      }
      rounds.push(row);
    }

    log(`api keys: D1 writes over ${COUNT_REQUESTS} requests on ${COUNT_KEYS} fresh keys`);
    const fresh = await createKeys(client, cookie, COUNT_KEYS);
    await client.post("/bench/d1-writes/reset", {});
    const started = Date.now();
    const counted = await load(
      server.url,
      fresh.map((key) => ({ method: "GET", path: "/notes", headers: { authorization: `Bearer ${key}` } })),
      { ...options, amount: COUNT_REQUESTS, headers: { [COUNT_D1_HEADER]: "1" } },
    );
    const elapsedMinutes = (Date.now() - started) / 60_000;
    const d1 = (await client.get("/bench/d1-writes")).json();
    return {
      rounds,
      writes: { ...d1, requests: counted.ok + counted.bad, ok: counted.ok, keys: COUNT_KEYS, elapsedMinutes },
    };
  } finally {
    await server.dispose();
  }
}

const f = (value, digits = 1) => Number(value).toFixed(digits);

export function apiKeyReport(result) {
  const ratio = (a, b) => median(result.rounds.map((row) => row[a].rps / row[b].rps));
  const cpu = (name) => median(result.rounds.map((row) => row[name].cpuUsPerRequest));
  const bad = result.rounds.reduce((sum, row) => sum + row.baseline.bad + row.cookie.bad + row.key.bad, 0);
  const { writes } = result;
  const perThousand = (writes.writes * 1000) / Math.max(writes.requests, 1);
  const allowed = writes.keys * Math.max(1, Math.ceil(writes.elapsedMinutes));
  const lines = [
    "## API keys (issue 14)",
    "",
    "| Measure | Target | Result | Verdict |",
    "| --- | --- | --- | --- |",
    `| GET /notes with an API key vs the same route with a session cookie | informational | ${f(ratio("key", "cookie"), 3)} × req/s (median of rounds) | measured |`,
    `| GET /notes with an API key vs the one-read baseline | informational | ${f(ratio("key", "baseline"), 3)} × req/s | measured |`,
    `| D1 write statements per 1,000 key-authenticated requests | ≤ 1 per key per minute (${allowed} here) | ${writes.writes} over ${writes.requests} requests on ${writes.keys} fresh keys (${f(perThousand, 1)} per 1,000; ${writes.statements} statements in all) | ${writes.writes <= allowed ? "**PASS**" : "**FAIL**"} |`,
    "",
    "| Round | baseline req/s | cookie req/s | key req/s | key / cookie | key / baseline | CPU µs/req baseline / cookie / key |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...result.rounds.map(
      (row) =>
        `| ${row.round} | ${f(row.baseline.rps, 0)} | ${f(row.cookie.rps, 0)} | ${f(row.key.rps, 0)} | ${f(row.key.rps / row.cookie.rps, 3)} | ${f(row.key.rps / row.baseline.rps, 3)} | ${f(row.baseline.cpuUsPerRequest, 0)} / ${f(row.cookie.cpuUsPerRequest, 0)} / ${f(row.key.cpuUsPerRequest, 0)} |`,
    ),
    "",
    `Medians of workerd CPU per request: baseline ${f(cpu("baseline"), 0)} µs, cookie ${f(cpu("cookie"), 0)} µs, key ${f(cpu("key"), 0)} µs. Non-2xx responses in the rounds: ${bad}.`,
    "",
    "Method: one workerd (bench/http/worker.ts) on a fresh local D1; the three routes interleaved in each round, 32 connections. The key",
    `route cycles over ${THROUGHPUT_KEYS} readonly keys (scope notes:read, 6,000 requests/min each, so the exact per-key limit, which every request`,
    "still consults in the RateLimiter Durable Object, never answers 429). A key request is one indexed D1 read (key + organization) plus",
    "the Durable Object's count; the cookie request is the session join; the baseline one indexed read with no authentication. Write statements",
    `are counted by the bench worker's D1 wrapper (requests with ${COUNT_D1_HEADER}) over ${COUNT_REQUESTS} requests on keys never used before:`,
    "each key's first request schedules its one conditional last_used_at UPDATE (after the response), the rest read a fresh value or find",
    "the write already scheduled by the isolate.",
    "",
  ];
  return { lines };
}
