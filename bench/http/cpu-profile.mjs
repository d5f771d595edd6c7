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
import { resultsDir } from "./harness.mjs";
import { startInspectedWorker } from "./inspector.mjs";
import { summarize, top } from "./profile-summary.mjs";

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

if (routes.length === 0) throw new Error("name at least one route, e.g. /health /bench/bare/health");
const { server, inspector } = await startInspectedWorker(INSPECTOR_PORT, { skipPrepare: flags["no-prepare"] });
try {
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
        ...top(self, Number(flags.top), perRequest, "µs/req"),
        "  by total time:",
        ...top(total, Number(flags.top), perRequest, "µs/req"),
        "",
      ].join("\n"),
    );
  }
  inspector.close();
} finally {
  await server.dispose();
}
