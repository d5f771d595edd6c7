// The three HTTP benches. Each returns plain data; bench/run.mjs judges it and writes the report.
// No timed assertion anywhere: every target is a ratio of two measurements from the same run.
import { readFileSync, writeFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import autocannon from "autocannon";
import { PASSWORD, nextIP } from "./harness.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Nearest-rank percentile. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

// ---------------------------------------------------------------------------------------------
// 1. Throughput: GET /users/me against GET /bench/baseline, interleaved.

/** CPU time (user + system) the process has used so far, in ms. */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, 100 on Linux x86-64

/**
 * One autocannon run: `connections` keep-alive connections, each with one request in flight.
 * Besides req/s it reports the workerd process's CPU time per response, which the other tenants
 * of a shared machine disturb far less than req/s (they take wall time, not this process's CPU).
 */
async function load(url, headers, seconds, connections, pid) {
  const cpuBefore = cpuMs(pid);
  const result = await autocannon({ url, headers, duration: seconds, connections, pipelining: 1 });
  const cpuUsedMs = cpuMs(pid) - cpuBefore;
  const elapsedSeconds = (new Date(result.finish) - new Date(result.start)) / 1000;
  return {
    rps: result["2xx"] / elapsedSeconds,
    cpuUsPerRequest: (cpuUsedMs * 1000) / (result["2xx"] + result.non2xx),
    ok: result["2xx"],
    bad: result.non2xx + result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
    seconds: elapsedSeconds,
  };
}

/**
 * `routes` is [{ name, path }]; the first is the reference. Every route gets the same headers
 * (the session cookie too), so the requests on the wire differ only in their path.
 */
export async function throughput(baseURL, { pid, routes, cookie, rounds, seconds, warmupSeconds, connections }) {
  const headers = { cookie, "cf-connecting-ip": "198.18.255.254" };
  for (const route of routes) await load(`${baseURL}${route.path}`, headers, warmupSeconds, connections, pid);
  const results = [];
  for (let round = 1; round <= rounds; round++) {
    const row = { round };
    for (const route of routes) {
      row[route.name] = await load(`${baseURL}${route.path}`, headers, seconds, connections, pid);
      const { rps, cpuUsPerRequest } = row[route.name];
      process.stdout.write(
        `  round ${round} ${route.name}: ${rps.toFixed(0)} req/s, ${cpuUsPerRequest.toFixed(0)} µs CPU/req\n`,
      );
    }
    results.push(row);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// 2. Login latency per outcome (SEC-6).

/**
 * Sequential logins, one at a time, in rounds; each round runs every case once in a shuffled
 * order, so drift on a noisy machine spreads over all cases alike. Every failing attempt goes to
 * an email that has never been tried before (a fresh verified account for the wrong passwords, a
 * fresh address for the unknown email), so each of the three failing cases meets the same state:
 * a new per-account back-off object, a new per-IP limiter object (every request has its own
 * CF-Connecting-IP) and no earlier failures. Successes reuse one account; a success clears its
 * back-off, so it never locks.
 */
export async function loginLatency(
  client,
  { pid, successEmail, wrongEmails, shortEmails, unknownEmails, rounds, warmupRounds },
) {
  const cases = {
    success: { status: 200, next: () => ({ email: successEmail, password: PASSWORD }) },
    wrong_password: { status: 401, next: () => ({ email: wrongEmails.pop(), password: `${PASSWORD}!` }) },
    short_password: { status: 401, next: () => ({ email: shortEmails.pop(), password: "wrongpw1" }) },
    unknown_email: { status: 401, next: () => ({ email: unknownEmails.pop(), password: `${PASSWORD}!` }) },
  };
  const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  // workerd CPU time per case, summed over its samples: 10 ms ticks are too coarse for one login
  // but not for the sum, and other tenants of the machine barely move it (unlike wall time).
  const cpu = Object.fromEntries(Object.keys(cases).map((name) => [name, 0]));
  for (let round = 0; round < warmupRounds + rounds; round++) {
    const order = Object.keys(cases).sort(() => Math.random() - 0.5);
    for (const name of order) {
      const { email, password } = cases[name].next();
      if (!email) throw new Error(`login latency: ran out of emails for ${name}`);
      const cpuBefore = cpuMs(pid);
      const started = performance.now();
      const response = await client.post("/auth/login", { email, password });
      const elapsed = performance.now() - started;
      const cpuUsed = cpuMs(pid) - cpuBefore;
      if (response.status !== cases[name].status) {
        throw new Error(`login ${name}: expected ${cases[name].status}, got ${response.status}: ${response.text}`);
      }
      if (round >= warmupRounds) {
        samples[name].push(elapsed);
        cpu[name] += cpuUsed;
      }
    }
  }
  return {
    samples,
    cpuMsPerLogin: Object.fromEntries(Object.entries(cpu).map(([name, total]) => [name, total / rounds])),
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Memory of a burst of concurrent logins (SEC-54).

// Samples /proc/<pid>/status every `intervalMs` on its own thread, so the sampling keeps its
// pace while the main thread is busy with the burst's responses.
const SAMPLER = `
const { parentPort, workerData } = require("node:worker_threads");
const { readFileSync } = require("node:fs");
const { pid, intervalMs, stop } = workerData;
const flag = new Int32Array(stop);
const samples = [];
const kib = (text, key) => Number(new RegExp(key + ":\\\\s+(\\\\d+) kB").exec(text)[1]);
const started = performance.now();
while (Atomics.load(flag, 0) === 0) {
  const status = readFileSync("/proc/" + pid + "/status", "utf8");
  samples.push({ t: performance.now() - started, rssKiB: kib(status, "VmRSS"), hwmKiB: kib(status, "VmHWM") });
  Atomics.wait(flag, 0, 0, intervalMs);
}
parentPort.postMessage(samples);
`;

function startSampler(pid, intervalMs = 10) {
  const stop = new SharedArrayBuffer(4);
  const worker = new Worker(SAMPLER, { eval: true, workerData: { pid, intervalMs, stop } });
  const done = new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return {
    async stop() {
      Atomics.store(new Int32Array(stop), 0, 1);
      Atomics.notify(new Int32Array(stop), 0);
      const samples = await done;
      await worker.terminate();
      return samples;
    },
  };
}

function readStatusKiB(pid, key) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)[1]);
}

/**
 * Fires one login per email, all at once, and samples the workerd process's RSS meanwhile.
 * VmHWM is reset first (clear_refs 5), so it is the exact peak of the burst, between samples too.
 */
export async function loginBurst(server, client, emails) {
  await sleep(500); // let the previous work's garbage settle
  const idle = [];
  for (let i = 0; i < 10; i++) {
    idle.push(readStatusKiB(server.pid, "VmRSS"));
    await sleep(10);
  }
  let hwmReset = true;
  try {
    writeFileSync(`/proc/${server.pid}/clear_refs`, "5");
  } catch {
    hwmReset = false; // not allowed here: VmHWM is then the peak since the process started
  }
  const hashingBefore = (await client.get("/bench/hashing-stats")).json();
  const problemsBefore = server.problems.length;
  const sampler = startSampler(server.pid);
  await sleep(50);
  const started = performance.now();
  const results = await Promise.all(
    emails.map(async (email) => {
      const t0 = performance.now();
      try {
        const response = await client.post("/auth/login", { email, password: PASSWORD }, { ip: nextIP() });
        return { status: response.status, ms: performance.now() - t0 };
      } catch (error) {
        return { status: 0, ms: performance.now() - t0, error: String(error) };
      }
    }),
  );
  const wallMs = performance.now() - started;
  await sleep(300);
  const samples = await sampler.stop();
  const afterKiB = readStatusKiB(server.pid, "VmRSS");
  const hashingAfter = (await client.get("/bench/hashing-stats")).json();
  const beforeKiB = median(idle);
  const peakSampledKiB = Math.max(...samples.map((sample) => sample.rssKiB));
  const hwmKiB = readStatusKiB(server.pid, "VmHWM");
  return {
    count: emails.length,
    statuses: results.map((result) => result.status),
    allOK: results.every((result) => result.status === 200),
    latencyMedianMs: median(results.map((result) => result.ms)),
    latencyMaxMs: Math.max(...results.map((result) => result.ms)),
    wallMs,
    beforeKiB,
    peakSampledKiB,
    hwmKiB,
    hwmReset,
    afterKiB,
    sampleCount: samples.length,
    sampleIntervalMs: samples.length > 1 ? (samples.at(-1).t - samples[0].t) / (samples.length - 1) : null,
    problems: server.problems.slice(problemsBefore),
    wasmBytesBefore: hashingBefore.wasmMemoryBytes,
    wasmBytesAfter: hashingAfter.wasmMemoryBytes,
    hashingPeak: hashingAfter.peak,
  };
}
