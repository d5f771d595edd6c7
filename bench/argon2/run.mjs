// Argon2id engine benchmark inside workerd: @phi-ag/argon2, Rampart's hashPassword over the same
// WASM, hash-wasm (through the precompiled-module shim) and @noble/hashes (pure JS), all at
// m=19456,t=2,p=1. Usage: node bench/argon2/run.mjs [--runs N] [--warmup W]
// Writes a markdown section to stdout and to bench/.results/argon2.md (gitignored).
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

// Keep wrangler's start-up chatter (e.g. the offline `Request.cf` warning) off stdout, which
// carries only the markdown; errors still show.
process.env.WRANGLER_LOG ??= "error";
const { unstable_startWorker } = await import("wrangler");

const here = import.meta.dirname;
const resultsDir = path.join(here, "..", ".results");
const { values } = parseArgs({
  options: { runs: { type: "string", default: "30" }, warmup: { type: "string", default: "5" } },
});
const runs = Number(values.runs);
const warmup = Number(values.warmup);

// The CLI vector (`echo -n password | argon2 somesalt -id -t 2 -k 19456 -p 1 -l 32 -e`): every
// engine must reproduce it before its timings count.
const CLI_VECTOR = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$PL01amPyeUuxG7H0vIr5X+qHkZvWnHmGBGXFYvh8z2E";

async function versionOf(name) {
  const manifest = path.join(here, "..", "..", "node_modules", name, "package.json");
  return JSON.parse(await readFile(manifest, "utf8")).version;
}

const ENGINES = [
  {
    id: "phi-argon2",
    label: `@phi-ag/argon2 ${await versionOf("@phi-ag/argon2")} (SIMD WASM, package's Argon2 class)`,
  },
  { id: "rampart-hashPassword", label: "Rampart hashPassword (same WASM, own glue + queue + yield)" },
  { id: "hash-wasm", label: `hash-wasm ${await versionOf("hash-wasm")} (WASM via precompiled-module shim)` },
  { id: "noble-hashes", label: `@noble/hashes ${await versionOf("@noble/hashes")} argon2id (pure JS)` },
];

/**
 * hash-wasm keeps its WASM as base64 inside its JS and compiles it at run time, which workerd
 * forbids. Here, in Node, we let it hash once and capture the exact bytes it hands to
 * WebAssembly.compile, so the worker can import them as ordinary precompiled .wasm modules.
 */
async function extractHashWasmModules() {
  const compile = WebAssembly.compile;
  const captured = [];
  WebAssembly.compile = (bytes) => {
    captured.push(new Uint8Array(bytes instanceof ArrayBuffer ? bytes : bytes.buffer).slice());
    return compile(bytes);
  };
  try {
    const { argon2id } = await import("hash-wasm");
    await argon2id({ password: "x", salt: "somesalt", iterations: 1, memorySize: 8, parallelism: 1, hashLength: 32 });
  } finally {
    WebAssembly.compile = compile;
  }
  const modules = {};
  for (const bytes of captured) {
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((entry) => entry.name);
    // argon2.wasm sizes its block memory itself; blake2b.wasm is a streaming hash.
    const name = exports.includes("Hash_SetMemorySize")
      ? "argon2"
      : exports.includes("Hash_Init")
        ? "blake2b"
        : undefined;
    if (name) modules[name] = bytes;
  }
  if (!modules.argon2 || !modules.blake2b) throw new Error("could not capture hash-wasm's argon2 and blake2b modules");
  const wasmDir = path.join(resultsDir, "wasm");
  await mkdir(wasmDir, { recursive: true });
  const digests = {};
  for (const [name, bytes] of Object.entries(modules)) {
    await writeFile(path.join(wasmDir, `hash-wasm-${name}.wasm`), bytes);
    digests[name] = createHash("sha256").update(bytes).digest("hex");
  }
  return digests;
}

function percentile(sorted, fraction) {
  // Nearest-rank percentile.
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1];
}

async function getJSON(worker, url) {
  const response = await worker.fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

const digests = await extractHashWasmModules();
const worker = await unstable_startWorker({
  config: path.join(here, "wrangler.toml"),
  bindings: { HASH_WASM_SHA256: { type: "plain_text", value: JSON.stringify(digests) } },
  dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, logLevel: "error" },
});

const rows = [];
let check;
try {
  await worker.ready;
  check = await getJSON(worker, "http://bench/check");
  for (const engine of ENGINES) {
    const output = check.results[engine.id];
    const reproduces = engine.id === "rampart-hashPassword" ? check.rampartVerifies : output === CLI_VECTOR;
    if (!reproduces) throw new Error(`${engine.id} does not reproduce the CLI vector: ${output}`);
  }
  for (const engine of ENGINES) {
    process.stderr.write(`argon2 bench: ${engine.id} (${warmup} warm-up + ${runs} runs)...\n`);
    const { samples } = await getJSON(worker, `http://bench/run?engine=${engine.id}&runs=${runs}&warmup=${warmup}`);
    const sorted = [...samples].sort((a, b) => a - b);
    rows.push({ ...engine, median: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), min: sorted[0] });
  }
} finally {
  await worker.dispose();
}

const fastest = Math.min(...rows.map((row) => row.median));
const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const lines = [
  "## Argon2id engines inside workerd (m=19456 KiB, t=2, p=1, 32-byte tag)",
  "",
  `${new Date().toISOString()} · ${cpu} · Node ${process.version} · local workerd via wrangler ` +
    `unstable_startWorker · ${warmup} warm-up + ${runs} timed hashes per engine, one request per engine ` +
    "· performance.now() inside the worker (1 ms resolution) · every engine reproduced the argon2 CLI vector first.",
  "",
  "| Engine | median ms | p95 ms | min ms | median vs fastest |",
  "| --- | ---: | ---: | ---: | ---: |",
  ...rows.map(
    (row) =>
      `| ${row.label} | ${row.median.toFixed(1)} | ${row.p95.toFixed(1)} | ${row.min.toFixed(1)} | ` +
      `${(row.median / fastest).toFixed(2)}× |`,
  ),
  "",
  "Rampart hashPassword includes its per-hash event-loop yield (setTimeout 0, about 1 ms in workerd).",
  "",
];
const markdown = lines.join("\n");
await mkdir(resultsDir, { recursive: true });
await writeFile(path.join(resultsDir, "argon2.md"), markdown);
process.stdout.write(markdown);
