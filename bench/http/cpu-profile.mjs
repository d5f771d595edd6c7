// A workerd CPU profile under load: starts the bench worker (bench/http/harness.mjs) with its
// DevTools inspector open, drives each route given on the command line with autocannon (the edge
// bench's 32 connections), and records a V8 CPU profile of the worker meanwhile
// (Profiler.start / Profiler.stop over the Chrome DevTools protocol). Prints the top functions by
// self time and by total time per route, and writes each profile to bench/.results/<name>.cpuprofile
// (Chrome DevTools > Performance > Load profile).
//
//   npm run bench:profile -- [--seconds 10] [--no-prepare] /health /bench/bare/health
//
// The profiler's sampling slows the worker a little; compare routes within one run, not with the
// req/s of bench/run.mjs.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { prepare, resultsDir, startWorker } from "./harness.mjs";
import { connectInspector } from "./inspector.mjs";

const { values: flags, positionals: routes } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: "string", default: "10" },
    top: { type: "string", default: "25" },
    "no-prepare": { type: "boolean", default: false },
  },
});
const seconds = Number(flags.seconds);
const INSPECTOR_PORT = 9230;

function keyOf(node) {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url ? path.basename(url) : "";
  return `${functionName || "(anonymous)"} ${file}${file ? `:${lineNumber + 1}` : ""}`;
}

/** Self and total (inclusive) time per function, µs, and the busy (non-idle) total. */
function summarize(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  profile.samples.forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const inclusive = new Map();
  const totalOf = (node) => {
    if (inclusive.has(node.id)) return inclusive.get(node.id);
    let sum = selfUs.get(node.id) ?? 0;
    for (const child of node.children ?? []) sum += totalOf(byId.get(child));
    inclusive.set(node.id, sum);
    return sum;
  };
  const self = new Map();
  const total = new Map();
  // A function's total counts each call stack once even when it recurses.
  const walk = (node, onStack) => {
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + (selfUs.get(node.id) ?? 0));
    if (!onStack.has(key)) total.set(key, (total.get(key) ?? 0) + totalOf(node));
    const next = new Set(onStack).add(key);
    for (const child of node.children ?? []) walk(byId.get(child), next);
  };
  const rootNode = profile.nodes[0];
  walk(rootNode, new Set());
  const idle = ["(idle)", "(program)", "(garbage collector)"].map((name) => self.get(`${name} `) ?? 0);
  const busyUs = totalOf(rootNode) - idle[0];
  return { self, total, busyUs, programUs: idle[1], gcUs: idle[2] };
}

function top(map, count, perRequest) {
  return [...map.entries()]
    .filter(([key]) => !key.startsWith("(root)") && !key.startsWith("(idle)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, us]) => `  ${perRequest(us).toFixed(1).padStart(7)} µs/req  ${key}`);
}

if (routes.length === 0) throw new Error("name at least one route, e.g. /health /bench/bare/health");
if (!flags["no-prepare"]) prepare();
const server = await startWorker({ inspectorPort: INSPECTOR_PORT });
try {
  const inspector = await connectInspector(INSPECTOR_PORT);
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: 100 });
  const headers = { cookie: "", "cf-connecting-ip": "198.18.255.254" };
  for (const route of routes) {
    const url = `${server.url}${route}`;
    await autocannon({ url, headers, duration: 3, connections: 32 }); // warm-up, not profiled
    await inspector.send("Profiler.start");
    const result = await autocannon({ url, headers, duration: seconds, connections: 32 });
    const { profile } = await inspector.send("Profiler.stop");
    const requests = result["2xx"] + result.non2xx;
    const name = `cpu-${route.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "")}`;
    writeFileSync(path.join(resultsDir, `${name}.cpuprofile`), JSON.stringify(profile));
    const { self, total, busyUs, programUs, gcUs } = summarize(profile);
    const perRequest = (us) => us / requests;
    process.stdout.write(
      [
        `\n${route}: ${requests} responses (${result.non2xx} not 2xx), ${(requests / seconds).toFixed(0)} req/s under the profiler`,
        `  busy ${perRequest(busyUs).toFixed(1)} µs/req, of which (program) ${perRequest(programUs).toFixed(1)}, GC ${perRequest(gcUs).toFixed(1)}`,
        "  by self time:",
        ...top(self, Number(flags.top), perRequest),
        "  by total time:",
        ...top(total, Number(flags.top), perRequest),
        "",
      ].join("\n"),
    );
  }
  inspector.close();
} finally {
  await server.dispose();
}
