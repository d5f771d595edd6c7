// The AI ledger bench (SEC-52), run by bench/run.mjs: what the spend cap costs.
// 1. Throughput of a full ledger cycle (policy + reservation batch + settlement batch, no
//    provider) against local D1, as ratios to a one-read route and a one-write route, interleaved
//    in the same run under the same load.
// 2. The latency the ledger adds to a copilot call: POST /notes/{id}/copilot/summarize (fake
//    provider, no delay) against the same call without the ledger (bench-only route: same session
//    check, note, prompt and provider stream), one request at a time, alternating.
// Bench-only routes: bench/ai/routes.ts. No timed assertion: every figure is a ratio or a
// difference between measurements of this run.
import autocannon from "autocannon";
import { createClient, createVerifiedAccounts, logIn, startWorker, WEB_ORIGIN } from "../http/harness.mjs";
import { cpuMs, median, percentile } from "../http/benches.mjs";

function ledgerPlan(quick) {
  return quick
    ? { connections: 16, warmupSeconds: 1, rounds: 2, seconds: 3, latencyRounds: 40, latencyWarmup: 5 }
    : { connections: 16, warmupSeconds: 3, rounds: 5, seconds: 5, latencyRounds: 300, latencyWarmup: 20 };
}

async function load(url, { method, headers, seconds, connections, pid }) {
  const cpuBefore = cpuMs(pid);
  const result = await autocannon({
    url,
    method,
    headers,
    body: method === "POST" ? "{}" : undefined,
    duration: seconds,
    connections,
    pipelining: 1,
  });
  const cpuUsedMs = cpuMs(pid) - cpuBefore;
  const elapsedSeconds = (new Date(result.finish) - new Date(result.start)) / 1000;
  return {
    rps: result["2xx"] / elapsedSeconds,
    cpuUsPerRequest: (cpuUsedMs * 1000) / Math.max(result["2xx"] + result.non2xx, 1),
    bad: result.non2xx + result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

async function expectOK(response, what) {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what}: ${response.status} ${text.slice(0, 300)}`);
  return text;
}

export async function runLedgerBench({ quick, log }) {
  const plan = ledgerPlan(quick);
  const server = await startWorker();
  try {
    const client = createClient(server.url);
    const [email] = await createVerifiedAccounts(client, "bench-ai", 1);
    const { cookie, user } = await logIn(client, email);
    const org = user.organization_id;
    const note = await client.post(
      "/notes",
      { title: "Bench note", content: "A note of a few sentences that the copilot summarizes. ".repeat(4) },
      { cookie },
    );
    if (note.status !== 201) throw new Error(`POST /notes: ${note.status} ${note.text}`);
    const noteId = note.json().id;
    const post = (path, withCookie = false) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        headers: {
          origin: WEB_ORIGIN,
          "content-type": "application/json",
          "cf-connecting-ip": "198.19.255.250",
          ...(withCookie ? { cookie } : {}),
        },
        body: "{}",
      });
    const query = `org=${encodeURIComponent(org)}&user=${encodeURIComponent(user.id)}`;
    await expectOK(await post(`/bench/ledger/setup?${query}`), "ledger setup");
    // Sanity, before anything is timed: every route answers 200 with what it should.
    await expectOK(await post(`/bench/ledger/cycle?${query}`), "ledger cycle");
    await expectOK(await post(`/bench/ledger/write-baseline?${query}`), "write baseline");
    const metered = await expectOK(await post(`/notes/${noteId}/copilot/summarize`, true), "copilot");
    const unmetered = await expectOK(
      await post(`/bench/copilot-unmetered?note=${noteId}`, true),
      "copilot without the ledger",
    );
    if (metered !== unmetered || metered.length === 0) throw new Error("the two copilot routes answer differently");

    // 1. Throughput, interleaved rounds.
    const routes = [
      { name: "read", method: "GET", path: `/bench/baseline?id=${encodeURIComponent(org)}` },
      { name: "write", method: "POST", path: `/bench/ledger/write-baseline?${query}` },
      { name: "cycle", method: "POST", path: `/bench/ledger/cycle?${query}` },
    ];
    const headers = { origin: WEB_ORIGIN, "content-type": "application/json", "cf-connecting-ip": "198.19.255.251" };
    log(`ledger throughput: ${plan.rounds} rounds x ${plan.seconds} s per route, ${plan.connections} connections`);
    for (const route of routes)
      await load(`${server.url}${route.path}`, {
        ...plan,
        ...route,
        headers,
        seconds: plan.warmupSeconds,
        pid: server.pid,
      });
    const rounds = [];
    for (let round = 1; round <= plan.rounds; round++) {
      const row = { round };
      for (const route of routes) {
        row[route.name] = await load(`${server.url}${route.path}`, { ...plan, ...route, headers, pid: server.pid });
        process.stdout.write(
          `  round ${round} ${route.name}: ${row[route.name].rps.toFixed(0)} req/s, ${row[route.name].cpuUsPerRequest.toFixed(0)} µs CPU/req\n`,
        );
      }
      rounds.push(row);
    }

    // 2. Per-call latency, one request at a time, alternating which goes first.
    log(
      `ledger latency: ${plan.latencyRounds} rounds (+${plan.latencyWarmup} warm-up) of copilot with and without the ledger`,
    );
    const samples = { metered: [], unmetered: [] };
    const cpu = { metered: 0, unmetered: 0 };
    const paths = {
      metered: `/notes/${noteId}/copilot/summarize`,
      unmetered: `/bench/copilot-unmetered?note=${noteId}`,
    };
    for (let round = 0; round < plan.latencyWarmup + plan.latencyRounds; round++) {
      const order = round % 2 === 0 ? ["metered", "unmetered"] : ["unmetered", "metered"];
      for (const name of order) {
        const cpuBefore = cpuMs(server.pid);
        const started = performance.now();
        await expectOK(await post(paths[name], true), name);
        const elapsed = performance.now() - started;
        if (round >= plan.latencyWarmup) {
          samples[name].push(elapsed);
          cpu[name] += cpuMs(server.pid) - cpuBefore;
        }
      }
    }
    const ledger = await (
      await fetch(`${server.url}/usage/summary`, { headers: { cookie, "cf-connecting-ip": "198.19.255.252" } })
    ).json();
    return {
      plan,
      rounds,
      latency: {
        samples,
        cpuMsPerCall: { metered: cpu.metered / plan.latencyRounds, unmetered: cpu.unmetered / plan.latencyRounds },
      },
      reservedAfter: ledger.reserved_tokens,
      problems: server.problems.filter((message) => !/ai_usage_absorbed/.test(message)).slice(0, 5),
    };
  } finally {
    await server.dispose();
  }
}

const fmt = (value, digits = 0) =>
  value === null || value === undefined || Number.isNaN(value) ? "–" : Number(value).toFixed(digits);

function judgeLedger(result) {
  const cycleOverRead = median(result.rounds.map((row) => row.cycle.rps / row.read.rps));
  const cycleOverWrite = median(result.rounds.map((row) => row.cycle.rps / row.write.rps));
  const cpuOverWrite = median(result.rounds.map((row) => row.cycle.cpuUsPerRequest / row.write.cpuUsPerRequest));
  const metered = median(result.latency.samples.metered);
  const unmetered = median(result.latency.samples.unmetered);
  const clean =
    result.rounds.every((row) => ["read", "write", "cycle"].every((name) => row[name].bad === 0)) &&
    result.reservedAfter === 0;
  return {
    cycleOverRead,
    cycleOverWrite,
    cpuOverWrite,
    metered,
    unmetered,
    latencyRatio: metered / unmetered,
    addedMs: metered - unmetered,
    clean,
  };
}

/** The summary table's row and the report's section, in the style of bench/run.mjs. */
export function ledgerReport(result) {
  const j = judgeLedger(result);
  const { plan } = result;
  const row = (name) => result.rounds.map((r) => r[name]);
  const summaryRow = `| AI ledger (SEC-52): reserve + settle cycle, and its latency per copilot call | informational (ratios in this run) | cycle ${fmt(j.cycleOverWrite, 3)} × one-write req/s; call +${fmt(j.addedMs, 1)} ms (${fmt(j.latencyRatio, 2)} ×) | ${j.clean ? "measured" : "**INVALID RUN**"} |`;
  const lines = [
    "## 4. AI spend ledger (SEC-52): what the cap costs",
    "",
    "Two questions: how many reserve + settle cycles local D1 sustains, compared with one-statement routes under the same load; and how much",
    "latency the ledger adds to one copilot call. No target is set: the ledger's cost is the price of the cap, reported so that a change to it shows.",
    "",
    "### Cycle throughput against a one-read and a one-write route",
    "",
    "| Round | one read req/s | one write req/s | ledger cycle req/s | cycle / read | cycle / write | CPU µs/req read / write / cycle |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...result.rounds.map(
      (r) =>
        `| ${r.round} | ${fmt(r.read.rps)} | ${fmt(r.write.rps)} | ${fmt(r.cycle.rps)} | ${fmt(r.cycle.rps / r.read.rps, 3)} | ${fmt(r.cycle.rps / r.write.rps, 3)} | ${fmt(r.read.cpuUsPerRequest)} / ${fmt(r.write.cpuUsPerRequest)} / ${fmt(r.cycle.cpuUsPerRequest)} |`,
    ),
    "",
    `Medians: a cycle runs at **${fmt(j.cycleOverRead, 3)} ×** the one-read route's req/s and **${fmt(j.cycleOverWrite, 3)} ×** the one-write route's; its workerd CPU per request is ${fmt(j.cpuOverWrite, 2)} × the write's.` +
      ` Median cycle latency ${fmt(median(row("cycle").map((x) => x.p50)))} ms (p99 ${fmt(median(row("cycle").map((x) => x.p99)))} ms) at ${plan.connections} connections.` +
      (j.clean
        ? " Every response was a 200 and nothing stayed reserved."
        : " **Some responses failed or tokens stayed reserved: the run is not valid.**"),
    "",
    "A cycle is what a copilot call does besides the provider: the ledger policy (the plan and three settings: 4 reads), the reservation batch",
    "(roll-over upsert, the conditional UPDATE, the gated reservation insert), then the settlement (the policy again, read afresh so a plan or",
    "switch changed mid-call applies, and one batch of six statements: roll-over, CAS, usage rows split in SQL, counters, credits, the outcome).",
    "The routes (bench/ai/routes.ts) take the organization from the query, on an unlimited plan, one organization for every request:",
    "the worst case, every write on one account row.",
    "`one read` is bench 1's `/bench/baseline` (organization by primary key); `one write` is a one-statement batch updating the same account row.",
    `Load: autocannon, ${plan.connections} keep-alive connections, POST with body \`{}\`; ${plan.warmupSeconds} s warm-up per route, then ${plan.rounds} rounds of ${plan.seconds} s, interleaved.`,
    "Local D1 is SQLite in the workerd process, so this measures the ledger's statements and the runtime, not D1's network round trips: in",
    "production each of the cycle's 4 + 1 + 4 + 1 D1 calls is a round trip to the database's primary (the 4 reads run in parallel).",
    "",
    "### Latency a copilot call pays for the ledger",
    "",
    "| Call | n | median ms | p95 ms | min ms | workerd CPU ms per call |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...["unmetered", "metered"].map((name) => {
      const values = result.latency.samples[name];
      const label =
        name === "metered"
          ? "POST /notes/{id}/copilot/summarize (through the ledger)"
          : "the same call without the ledger (/bench/copilot-unmetered)";
      return `| ${label} | ${values.length} | ${fmt(median(values), 2)} | ${fmt(percentile(values, 95), 2)} | ${fmt(Math.min(...values), 2)} | ${fmt(result.latency.cpuMsPerCall[name], 2)} |`;
    }),
    "",
    `The ledger adds **${fmt(j.addedMs, 2)} ms** to the median call (**${fmt(j.latencyRatio, 2)} ×** the call without it), on the fake provider with no delay:`,
    "against a real model, whose first token takes hundreds of milliseconds, the same milliseconds are a small fraction.",
    `Method: one request at a time from Node's fetch over keep-alive, ${plan.latencyRounds} rounds after ${plan.latencyWarmup} warm-up rounds, alternating which call goes first;`,
    "each sample is the time to the end of the streamed body (the metered body ends only after its settlement has committed). Both calls check",
    "the session, read the note and stream the same fake answer; the difference is the policy reads, the price read, and the two ledger batches.",
    "",
  ];
  return { summaryRow, lines };
}
