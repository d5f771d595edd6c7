// Bench-only worker: times one Argon2id hash (m=19456,t=2,p=1) per engine inside workerd.
// Started by bench/argon2/run.mjs; never deployed. GET /run?engine=<id>&runs=N&warmup=W answers
// the per-hash milliseconds; GET /check answers each engine's PHC string for the CLI vector.
import PhiArgon2 from "@phi-ag/argon2";
import phiWasm from "@phi-ag/argon2/argon2.wasm";
import { argon2id as nobleArgon2id } from "@noble/hashes/argon2.js";
// Extracted from hash-wasm by run.mjs at run time into the gitignored bench/.results/ (never committed).
import hashWasmArgon2Module from "../.results/wasm/hash-wasm-argon2.wasm";
import hashWasmBlake2bModule from "../.results/wasm/hash-wasm-blake2b.wasm";
import { DEFAULT_ARGON2_PARAMS, hashPassword, verifyPassword } from "../../src/lib/password";
import {
  hashWithHashWasm,
  importedModuleSource,
  installPrecompiledWasmShim,
} from "../../test/helpers/hash-wasm-argon2";

interface BenchEnv {
  /** JSON {"argon2": "<sha256 hex>", "blake2b": "<sha256 hex>"} of the extracted modules. */
  HASH_WASM_SHA256: string;
}

const PASSWORD = "password";
const SALT = new TextEncoder().encode("somesalt");
const { memoryKiB: m, iterations: t, parallelism: p } = DEFAULT_ARGON2_PARAMS;

type Engine = () => Promise<string>;

let engines: Record<string, Engine> | undefined;

async function getEngines(env: BenchEnv): Promise<Record<string, Engine>> {
  if (engines) return engines;
  const digests = JSON.parse(env.HASH_WASM_SHA256) as { argon2: string; blake2b: string };
  installPrecompiledWasmShim(
    importedModuleSource({ [digests.argon2]: hashWasmArgon2Module, [digests.blake2b]: hashWasmBlake2bModule }),
  );
  const phi = new PhiArgon2(await WebAssembly.instantiate(phiWasm));
  engines = {
    // The package's own Argon2 class, exactly as its README shows for Workers.
    "phi-argon2": async () =>
      phi.hash(PASSWORD, { salt: SALT, timeCost: t, memoryCost: m, parallelism: p, hashLength: 32 }).encoded,
    // src/lib/password.ts: the same WASM with our glue, semaphore and event-loop yield per hash.
    "rampart-hashPassword": () => hashPassword(PASSWORD, DEFAULT_ARGON2_PARAMS),
    "hash-wasm": () => hashWithHashWasm(PASSWORD, SALT, DEFAULT_ARGON2_PARAMS),
    "noble-hashes": async () => {
      const tag = nobleArgon2id(PASSWORD, SALT, { t, m, p, dkLen: 32 });
      return `$argon2id$v=19$m=${m},t=${t},p=${p}$${base64(SALT)}$${base64(tag)}`;
    },
  };
  return engines;
}

export default {
  async fetch(request: Request, env: BenchEnv): Promise<Response> {
    const url = new URL(request.url);
    const all = await getEngines(env);
    if (url.pathname === "/check") {
      const results: Record<string, string> = {};
      for (const [name, engine] of Object.entries(all)) results[name] = await engine();
      const ours = results["rampart-hashPassword"] as string;
      return Response.json({ results, rampartVerifies: await verifyPassword(ours, PASSWORD) });
    }
    if (url.pathname === "/run") {
      const engine = all[url.searchParams.get("engine") ?? ""];
      if (!engine) return new Response("unknown engine", { status: 404 });
      const runs = Number(url.searchParams.get("runs") ?? "20");
      const warmup = Number(url.searchParams.get("warmup") ?? "3");
      for (let i = 0; i < warmup; i++) await engine();
      const samples: number[] = [];
      for (let i = 0; i < runs; i++) {
        // Local workerd advances performance.now() during synchronous work (1 ms resolution);
        // deployed Workers would not, which is why this runs under `wrangler dev` only.
        const start = performance.now();
        await engine();
        samples.push(performance.now() - start);
      }
      return Response.json({ samples });
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<BenchEnv>;

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/=+$/, "");
}
