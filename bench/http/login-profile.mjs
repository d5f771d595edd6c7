// Where a successful sign-in spends its CPU beyond its one Argon2id verify (issue 18's login
// figure): starts the bench worker with its DevTools inspector open, makes sequential successful
// logins of one account and sequential `POST /bench/verify` (one verify with production's
// parameters, the same hash queue and global middleware), in alternating batches, and prints:
// - workerd's whole CPU time per request (/proc/<pid>/stat: the worker, its Durable Objects'
//   SQLite, Miniflare's local D1 service and the HTTP server, all on one thread here), from
//   batches run without the profiler;
// - from batches run under V8's CPU profiler: the worker isolate's busy time per request, and
//   login minus verify per function, by self and by total time.
// The profiler's sampling adds CPU of its own (more the longer a request runs), so its figures are
// compared login against verify, never with the unprofiled ones.
//
//   npm run bench:profile:login -- [--rounds 6] [--batch 10] [--top 25] [--no-prepare]
//
// Each login comes from a never-seen CF-Connecting-IP, as the edge bench's do, so each one meets
// a new per-IP RateLimiter object.
//
// Reading the self times: a line that calls into workerd (creating a Durable Object, a digest, a
// D1 call) is charged with the native work done meanwhile, and sometimes with more: under load,
// hashToken showed 80 µs of self time per request where a route doing nothing else measured under
// 10 µs by workerd's CPU time. Confirm a line with an unprofiled measurement before acting on it.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { cpuMs } from "./benches.mjs";
import { PASSWORD, createClient, createVerifiedAccounts, resultsDir } from "./harness.mjs";
import { startInspectedWorker } from "./inspector.mjs";
import { summarize, top } from "./profile-summary.mjs";

const { values: flags } = parseArgs({
  options: {
    rounds: { type: "string", default: "6" },
    batch: { type: "string", default: "10" },
    top: { type: "string", default: "25" },
    "no-prepare": { type: "boolean", default: false },
  },
});
const ROUNDS = Number(flags.rounds);
const BATCH = Number(flags.batch);
const INSPECTOR_PORT = 9233;

/** Adds each function's time of `summary` into `sums`. */
function accumulate(sums, summary) {
  sums.busyUs += summary.busyUs;
  for (const kind of ["self", "total"]) {
    for (const [key, us] of summary[kind]) sums[kind].set(key, (sums[kind].get(key) ?? 0) + us);
  }
}

/** login minus verify per function, ms per request. */
function difference(login, verify, kind, requests) {
  const keys = new Set([...login[kind].keys(), ...verify[kind].keys()]);
  return new Map(
    [...keys].map((key) => [key, ((login[kind].get(key) ?? 0) - (verify[kind].get(key) ?? 0)) / requests]),
  );
}

const { server, inspector } = await startInspectedWorker(INSPECTOR_PORT, { skipPrepare: flags["no-prepare"] });
try {
  const client = createClient(server.url);
  const [email] = await createVerifiedAccounts(client, "login-profile", 1);
  const requests = {
    verify: () => client.post("/bench/verify", {}),
    login: () => client.post("/auth/login", { email, password: PASSWORD }),
  };
  const send = async (kind) => {
    const response = await requests[kind]();
    if (response.status !== 200) throw new Error(`${kind}: ${response.status} ${response.text.slice(0, 200)}`);
  };
  for (let i = 0; i < BATCH; i++) for (const kind of ["verify", "login"]) await send(kind); // JIT, hash queue, statements

  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: 100 });
  const sums = Object.fromEntries(
    ["verify", "login"].map((kind) => [kind, { processMs: 0, busyUs: 0, self: new Map(), total: new Map() }]),
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of round % 2 === 0 ? ["verify", "login"] : ["login", "verify"]) {
      const cpuBefore = cpuMs(server.pid);
      for (let i = 0; i < BATCH; i++) await send(kind);
      sums[kind].processMs += cpuMs(server.pid) - cpuBefore;
      await inspector.send("Profiler.start");
      for (let i = 0; i < BATCH; i++) await send(kind);
      const { profile } = await inspector.send("Profiler.stop");
      accumulate(sums[kind], summarize(profile));
      if (round === 0) writeFileSync(path.join(resultsDir, `cpu-${kind}.cpuprofile`), JSON.stringify(profile));
    }
  }
  inspector.close();

  const n = ROUNDS * BATCH;
  // The hash's own WASM is the same work in both; its sampling noise (a few ms) is left out of the
  // isolate's line so that what remains is what a login adds.
  const wasmUs = (kind) =>
    [...sums[kind].self].reduce((sum, [key, us]) => (key.startsWith("wasm-function") ? sum + us : sum), 0);
  const perRequest = (kind) => ({
    process: sums[kind].processMs / n,
    busy: sums[kind].busyUs / 1000 / n,
    beyondHash: (sums[kind].busyUs - wasmUs(kind)) / 1000 / n,
  });
  const [verify, login] = [perRequest("verify"), perRequest("login")];
  const ms = (value) => `${value.toFixed(2)} ms`;
  const asMs = (us) => us / 1000;
  process.stdout.write(
    [
      `\n${ROUNDS} rounds, each a batch of ${BATCH} verifies and of ${BATCH} logins unprofiled, then profiled; CPU per request:`,
      `  workerd process, unprofiled   verify ${ms(verify.process)}, login ${ms(login.process)}, login - verify ${ms(login.process - verify.process)}`,
      `  worker's isolate, profiled    verify ${ms(verify.busy)}, login ${ms(login.busy)}, login - verify ${ms(login.busy - verify.busy)}`,
      `    without the Argon2id WASM   verify ${ms(verify.beyondHash)}, login ${ms(login.beyondHash)}, login - verify ${ms(login.beyondHash - verify.beyondHash)}`,
      "  login - verify by self time:",
      ...top(difference(sums.login, sums.verify, "self", n), Number(flags.top), asMs, "ms"),
      "  login - verify by total time:",
      ...top(difference(sums.login, sums.verify, "total", n), Number(flags.top), asMs, "ms"),
      `  profiles of the first batches: ${path.relative(process.cwd(), resultsDir)}/cpu-{login,verify}.cpuprofile`,
      "",
    ].join("\n"),
  );
} finally {
  await server.dispose();
}
