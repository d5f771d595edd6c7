// hash-wasm's Argon2id as an independent reference implementation inside workerd, which refuses
// to compile WASM from bytes at run time ("Wasm code generation disallowed by embedder").
//
// hash-wasm ships its WASM only as base64 inside its JS and calls WebAssembly.compile(bytes) on
// it (once per module, "argon2" and "blake2b", cached per isolate). The shim below replaces
// WebAssembly.compile with a lookup that answers those calls with an already compiled
// WebAssembly.Module from a `PrecompiledModuleSource`; every other call (anything not exporting
// hash-wasm's `Hash_GetBuffer`) still goes to the real compile and fails as it would in
// production, so the shim cannot hide a run-time compile in src/.
//
// Where the precompiled modules come from:
// - bench/argon2 (a worker we configure): the .wasm bytes are extracted from hash-wasm at run time
//   by bench/argon2/run.mjs and imported as ordinary `.wasm` modules, exactly as a deployed worker
//   would bundle them; see `importedModuleSource`.
// - tests: the package ships no .wasm file to import, committing extracted bytes would be
//   generated code, and generating them before each run would need a step in vitest.config.ts.
//   The Workers Vitest pool already gives its runner workerd's unsafe-eval binding (it uses it to
//   evaluate the test modules); its `newWasmModule` compiles outside the code-generation ban, so
//   `unsafeEvalModuleSource` uses that. It exists only in the test runner, never in a deployment.
import { argon2Verify, argon2id } from "hash-wasm";
import type { Argon2Params } from "../../src/lib/password";

export type PrecompiledModuleSource = (bytes: Uint8Array) => Promise<WebAssembly.Module | undefined>;

let moduleSource: PrecompiledModuleSource | undefined;

/** Installs the shim once per isolate; must run before the first hash-wasm call (it caches failures). */
export function installPrecompiledWasmShim(source: PrecompiledModuleSource): void {
  if (moduleSource) {
    moduleSource = source;
    return;
  }
  moduleSource = source;
  // @cloudflare/workers-types leaves WebAssembly.compile out, since workerd refuses it anyway.
  const webAssembly = WebAssembly as unknown as { compile(bytes: BufferSource): Promise<WebAssembly.Module> };
  const compile = webAssembly.compile.bind(WebAssembly);
  webAssembly.compile = async (bytes: BufferSource): Promise<WebAssembly.Module> => {
    const module = await moduleSource?.(toBytes(bytes));
    if (module && WebAssembly.Module.exports(module).some((entry) => entry.name === "Hash_GetBuffer")) {
      return module;
    }
    return compile(bytes);
  };
}

/** Test runner only: compiles through the pool's unsafe-eval binding (see the module comment). */
export function unsafeEvalModuleSource(env: object): PrecompiledModuleSource {
  const binding = (env as Record<string, unknown>).__VITEST_POOL_WORKERS_UNSAFE_EVAL as
    | { newWasmModule?: (bytes: BufferSource) => WebAssembly.Module }
    | undefined;
  const newWasmModule = binding?.newWasmModule?.bind(binding);
  if (!newWasmModule) {
    throw new Error("hash-wasm shim: the Vitest pool's unsafe-eval binding is missing (plugin changed?)");
  }
  return async (bytes) => newWasmModule(bytes);
}

/** Answers with the imported module whose SHA-256 (hex) matches the bytes hash-wasm compiles. */
export function importedModuleSource(modulesBySHA256: Record<string, WebAssembly.Module>): PrecompiledModuleSource {
  return async (bytes) => {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    const hex = Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
    return modulesBySHA256[hex];
  };
}

/** Argon2id PHC string from hash-wasm (UTF-8 password, raw salt bytes, 32-byte tag). */
export async function hashWithHashWasm(password: string, salt: Uint8Array, params: Argon2Params): Promise<string> {
  assertInstalled();
  return argon2id({
    password,
    salt,
    iterations: params.iterations,
    memorySize: params.memoryKiB,
    parallelism: params.parallelism,
    hashLength: 32,
    outputType: "encoded",
  });
}

export async function verifyWithHashWasm(encodedHash: string, password: string): Promise<boolean> {
  assertInstalled();
  return argon2Verify({ hash: encodedHash, password });
}

function assertInstalled(): void {
  if (!moduleSource) throw new Error("hash-wasm shim: call installPrecompiledWasmShim() first");
}

function toBytes(source: BufferSource): Uint8Array {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
}
