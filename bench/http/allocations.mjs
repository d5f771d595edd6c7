// Bytes the worker allocates per request of a route, and where: V8's sampling heap profiler
// (HeapProfiler.startSampling over workerd's inspector) while the bench worker makes requests of
// the route inside its isolate (/bench/loop/<n>/<path>, bench/http/worker.ts: a D1 that answers at
// once, so neither the local D1 service nor the HTTP server is counted). Objects collected by
// either GC are counted too, so the figure is everything a request allocates, garbage included.
//
//   npm run bench:alloc -- [--no-prepare] [--top 25] /health /bench/stack/6/health /bench/bare/health
//
// Why beside the CPU figures: on this shared VM the CPU time of the same loop moves by ±10 µs
// between runs, as much as a change to one layer saves, while the sampled bytes repeat within
// about 1%. Bytes are not time, but every layer's garbage is paid again by the collector; in the
// edge bench's routes the two moved together (docs/decisions/perf.md, "Fifth round").
import { parseArgs } from "node:util";
import { median } from "./benches.mjs";
import { startInspectedWorker } from "./inspector.mjs";

const { values: flags, positionals: routes } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: "string", default: "25" },
    "no-prepare": { type: "boolean", default: false },
  },
});
const INSPECTOR_PORT = 9231;
/** Requests per loop, loops per sample and samples per route. */
const LOOP_REQUESTS = 2_000;
const LOOPS = 5;
const SAMPLES = 5;
/** Bytes between samples: small enough that a request's few hundred allocations are all seen often. */
const SAMPLING_INTERVAL = 128;

/** Self bytes by allocating function (name, file:line) and the function that called it. */
function allocationSites(profile) {
  const sites = new Map();
  let total = 0;
  const label = ({ functionName, url, lineNumber }) =>
    `${functionName || "(anonymous)"}${url ? ` ${url.split("/").at(-1)}:${lineNumber + 1}` : ""}`;
  const walk = (node, caller) => {
    total += node.selfSize;
    if (node.selfSize > 0) {
      const key = `${label(node.callFrame)}  <- ${caller}`;
      sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, label(node.callFrame));
  };
  walk(profile.head, "");
  return { total, sites };
}

if (routes.length === 0) throw new Error("name at least one route, e.g. /health /bench/bare/health");
const { server, inspector } = await startInspectedWorker(INSPECTOR_PORT, { skipPrepare: flags["no-prepare"] });
try {
  await inspector.send("HeapProfiler.enable");
  const loop = async (route) => {
    const response = await fetch(`${server.url}/bench/loop/${LOOP_REQUESTS}${route}`, {
      headers: { "cf-connecting-ip": "198.18.255.252" },
    });
    const body = await response.json();
    if (response.status !== 200 || body.failures !== 0) throw new Error(`loop ${route}: ${JSON.stringify(body)}`);
  };
  for (const route of routes) {
    for (let index = 0; index < 3; index++) await loop(route); // warm-up: JIT, config, statements
    const perRequest = [];
    const sites = new Map();
    for (let sample = 0; sample < SAMPLES; sample++) {
      await inspector.send("HeapProfiler.startSampling", {
        samplingInterval: SAMPLING_INTERVAL,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
      for (let index = 0; index < LOOPS; index++) await loop(route);
      const { profile } = await inspector.send("HeapProfiler.stopSampling");
      const found = allocationSites(profile);
      perRequest.push(found.total / (LOOPS * LOOP_REQUESTS));
      for (const [key, bytes] of found.sites) sites.set(key, (sites.get(key) ?? 0) + bytes);
    }
    const requests = SAMPLES * LOOPS * LOOP_REQUESTS;
    const top = [...sites.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(flags.top));
    process.stdout.write(
      [
        `\n${route}: ${median(perRequest).toFixed(0)} bytes allocated per request (median of ${SAMPLES} samples; ${perRequest
          .map((bytes) => bytes.toFixed(0))
          .join(", ")})`,
        "  by allocating function and its caller, bytes per request:",
        ...top.map(([key, bytes]) => `  ${(bytes / requests).toFixed(0).padStart(7)}  ${key}`),
        "",
      ].join("\n"),
    );
  }
  inspector.close();
} finally {
  await server.dispose();
}
