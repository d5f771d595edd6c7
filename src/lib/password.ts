// Argon2id password hashing (PHC strings) over libargon2 compiled to WASM; no Hono, no D1.
import wasm from "@phi-ag/argon2/argon2.wasm";
import { createSemaphore, type Semaphore } from "./semaphore";

export interface Argon2Params {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet / ASVS 5.0 Appendix C minimum (SEC-1). */
export const DEFAULT_ARGON2_PARAMS: Argon2Params = { memoryKiB: 19456, iterations: 2, parallelism: 1 };

/** Routes refuse long passwords first (SEC-2, SEC-4); this cap only keeps the WASM heap small. */
export const MAX_PASSWORD_BYTES = 1024;
/**
 * Largest cost we ever run, for our own hashes and for stored ones (SEC-54). m covers every
 * OWASP-recommended Argon2id configuration (up to m=47104,t=1); a heap that has served both 19 MiB
 * and 46 MiB hashes measures 65.2 MiB, which keeps the isolate clear of its 128 MB limit.
 */
export const MAX_ARGON2_PARAMS: Argon2Params = { memoryKiB: 47104, iterations: 16, parallelism: 8 };

const DEFAULT_MAX_CONCURRENT = 2;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const ARGON2_ID = 2; // argon2_type Argon2_id
const ARGON2_VERSION_13 = 0x13;
const ARGON2_OK = 0;
const ARGON2_MEMORY_ALLOCATION_ERROR = -22;
const SMALL_ALLOCATION_ARENA_BYTES = 64 * 1024;

// $argon2id$v=19$m=<int>,t=<int>,p=<int>$<b64 salt>$<b64 hash>, standard base64 without padding.
const PHC_ARGON2ID =
  /^\$argon2id\$v=19\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{6,})$/;

export async function hashPassword(
  password: string,
  params: Argon2Params,
  options?: { maxConcurrent?: number },
): Promise<string> {
  assertParams(params);
  const passwordBytes = encodePassword(password);
  if (!passwordBytes) throw new RangeError(`Password longer than ${MAX_PASSWORD_BYTES} UTF-8 bytes`);
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  return runHashing(options, (engine) => engine.hash(passwordBytes, salt, params));
}

/**
 * True only when `password` matches an Argon2id v=19 PHC string. A wrong password, a malformed or
 * non-Argon2id hash, or parameters above MAX_ARGON2_PARAMS give false. Only an engine failure
 * (the WASM cannot be instantiated or libargon2 cannot allocate its memory) throws, so an outage
 * is a 500 rather than a silent "wrong password".
 */
export async function verifyPassword(
  encodedHash: string,
  password: string,
  options?: { maxConcurrent?: number },
): Promise<boolean> {
  const parsed = parsePHC(encodedHash);
  if (!parsed || !isWithinMax(parsed.params)) return false;
  const passwordBytes = encodePassword(password);
  if (!passwordBytes) return false;
  return runHashing(options, (engine) => engine.verify(encodedHash, passwordBytes));
}

/** SEC-1: true when the stored hash is not Argon2id v=19, or is weaker than `params` in any dimension. */
export function needsRehash(encodedHash: string, params: Argon2Params): boolean {
  const parsed = parsePHC(encodedHash);
  if (!parsed) return true;
  return (
    parsed.params.memoryKiB < params.memoryKiB ||
    parsed.params.iterations < params.iterations ||
    parsed.params.parallelism < params.parallelism
  );
}

const dummyHashes = new Map<string, Promise<string>>();

/**
 * SEC-6: one full verify against a hash made with `params`, so a login for an unknown user (or
 * one without a password) costs what a wrong password costs. The dummy is hashed from random
 * bytes once per isolate and parameter set (the first call pays one extra hash) and can never
 * match.
 */
export async function verifyAgainstDummyHash(
  password: string,
  params: Argon2Params,
  options?: { maxConcurrent?: number },
): Promise<void> {
  const key = `${params.memoryKiB},${params.iterations},${params.parallelism}`;
  let dummy = dummyHashes.get(key);
  if (!dummy) {
    const randomPassword = encodeBase64(crypto.getRandomValues(new Uint8Array(32)));
    dummy = hashPassword(randomPassword, params, options);
    dummy.catch(() => dummyHashes.delete(key));
    dummyHashes.set(key, dummy);
  }
  await verifyPassword(await dummy, password, options);
}

/** Load of the hashing stage for one `maxConcurrent` value, plus the WASM heap size (SEC-54). */
export function getPasswordHashingStats(options?: { maxConcurrent?: number }): {
  active: number;
  queued: number;
  peak: number;
  /** Argon2 computations (hashes and verifies) run in this isolate so far. */
  operations: number;
  wasmMemoryBytes: number;
} {
  const semaphore = getSemaphore(options);
  return {
    active: semaphore.active,
    queued: semaphore.queued,
    peak: semaphore.peak,
    operations: operationCount,
    wasmMemoryBytes: engineInstance?.memoryBytes() ?? 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Concurrency (SEC-54). libargon2 runs synchronously on the isolate's one thread, so only one
// hash computes at any instant and a single WASM instance serves them all. The semaphore bounds
// how many requests are admitted to the hashing stage per isolate (the limit is expected to come
// from config, one value per isolate), and each admitted task first yields to the event loop so
// a burst of logins is served in FIFO order without starving other requests between hashes.
// Memory (measured in workerd and Node): the instance starts at 16.1 MiB of linear memory (the
// module's declared initial size) and the first m=19456 hash grows it once to 19.2 MiB; with
// the small-allocation arena below, later hashes and verifies, even 20 concurrent ones, reuse
// that block and it stays there (test/lib/password.test.ts). WASM memory never shrinks: a
// stored hash with a larger m grows it to about 19 MiB + that m once, hence MAX_ARGON2_PARAMS.
// ---------------------------------------------------------------------------------------------

const semaphores = new Map<number, Semaphore>();
let operationCount = 0;

function getSemaphore(options?: { maxConcurrent?: number }): Semaphore {
  const limit = options?.maxConcurrent ?? DEFAULT_MAX_CONCURRENT;
  let semaphore = semaphores.get(limit);
  if (!semaphore) {
    semaphore = createSemaphore(limit);
    semaphores.set(limit, semaphore);
  }
  return semaphore;
}

async function runHashing<T>(
  options: { maxConcurrent?: number } | undefined,
  work: (engine: Argon2Engine) => T,
): Promise<T> {
  const engine = await getEngine();
  return getSemaphore(options).run(async () => {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    operationCount++;
    return work(engine);
  });
}

// ---------------------------------------------------------------------------------------------
// Engine. We use @phi-ag/argon2's SIMD build of the reference C libargon2 (phc-winner-argon2 at
// f57e61e) through its raw exports instead of its `Argon2` class: that class passes the
// password's UTF-16 `.length` as the byte length, so any non-ASCII password is silently
// truncated ("pä" and "pÃ" hash alike, as do "😀😀" and "😀😁"), which breaks SEC-2 and
// interoperability. Here the password goes in as UTF-8 bytes with its byte length.
//
// Constant time: argon2_verify (src/argon2.c) recomputes the tag and compares it with
// argon2_compare, an OR-of-XORs over all `outlen` bytes with no early exit; the JS side only
// reads the resulting status code.
// ---------------------------------------------------------------------------------------------

interface Argon2Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  malloc(size: number): number;
  free(pointer: number): void;
  argon2_hash(
    t: number,
    m: number,
    p: number,
    pwd: number,
    pwdlen: number,
    salt: number,
    saltlen: number,
    hash: number,
    hashlen: number,
    encoded: number,
    encodedlen: number,
    type: number,
    version: number,
  ): number;
  argon2_verify(encoded: number, pwd: number, pwdlen: number, type: number): number;
  argon2_encodedlen(t: number, m: number, p: number, saltlen: number, hashlen: number, type: number): number;
  argon2_error_message(code: number): number;
}

interface Argon2Engine {
  hash(password: Uint8Array, salt: Uint8Array, params: Argon2Params): string;
  verify(encodedHash: string, password: Uint8Array): boolean;
  memoryBytes(): number;
}

let enginePromise: Promise<Argon2Engine> | undefined;
let engineInstance: Argon2Engine | undefined;

function getEngine(): Promise<Argon2Engine> {
  enginePromise ??= WebAssembly.instantiate(wasm)
    .then((instance) => (engineInstance = createEngine(instance.exports as unknown as Argon2Exports)))
    .catch((error: unknown) => {
      enginePromise = undefined; // let the next request retry
      throw error;
    });
  return enginePromise;
}

function createEngine(exports: Argon2Exports): Argon2Engine {
  exports._initialize();
  // Heap layout (SEC-54): reserve a small-allocation arena before the first Argon2 block area.
  // Without it the few-hundred-byte buffers of a verify land at the start of the 19 MiB region
  // the previous hash freed, the next 19 MiB block no longer fits, and linear memory grows to
  // 38.1 MiB (measured). emmalloc serves small requests from this freed 64 KiB region instead,
  // and the 16-byte block kept after it stops it merging back into the large free region.
  const arena = exports.malloc(SMALL_ALLOCATION_ARENA_BYTES);
  exports.malloc(16);
  exports.free(arena);
  // Views must be re-created after every call that may grow memory (malloc, argon2_*).
  const heap = (): Uint8Array => new Uint8Array(exports.memory.buffer);

  function copyIn(bytes: Uint8Array): number {
    const pointer = exports.malloc(Math.max(bytes.length, 1));
    if (pointer === 0) throw new Error("argon2: out of WASM memory");
    heap().set(bytes, pointer);
    return pointer;
  }

  function wipeAndFree(pointer: number, length: number): void {
    if (pointer !== 0) heap().fill(0, pointer, pointer + length);
    exports.free(pointer);
  }

  function errorMessage(code: number): string {
    const memory = heap();
    const start = exports.argon2_error_message(code);
    const end = memory.indexOf(0, start);
    return new TextDecoder().decode(memory.subarray(start, end));
  }

  return {
    hash(password, salt, params) {
      const { memoryKiB: m, iterations: t, parallelism: p } = params;
      const encodedLength = exports.argon2_encodedlen(t, m, p, salt.length, HASH_BYTES, ARGON2_ID);
      let passwordPointer = 0;
      let saltPointer = 0;
      let encodedPointer = 0;
      try {
        passwordPointer = copyIn(password);
        saltPointer = copyIn(salt);
        encodedPointer = copyIn(new Uint8Array(encodedLength));
        const code = exports.argon2_hash(
          t,
          m,
          p,
          passwordPointer,
          password.length,
          saltPointer,
          salt.length,
          0,
          HASH_BYTES,
          encodedPointer,
          encodedLength,
          ARGON2_ID,
          ARGON2_VERSION_13,
        );
        if (code !== ARGON2_OK) throw new Error(`argon2_hash: ${errorMessage(code)}`);
        const memory = heap();
        const end = memory.indexOf(0, encodedPointer);
        return new TextDecoder().decode(memory.subarray(encodedPointer, end));
      } finally {
        wipeAndFree(passwordPointer, password.length); // free(0) is a no-op
        exports.free(saltPointer);
        exports.free(encodedPointer);
      }
    },

    verify(encodedHash, password) {
      const encoded = new TextEncoder().encode(`${encodedHash}\0`);
      let encodedPointer = 0;
      let passwordPointer = 0;
      try {
        encodedPointer = copyIn(encoded);
        passwordPointer = copyIn(password);
        const code = exports.argon2_verify(encodedPointer, passwordPointer, password.length, ARGON2_ID);
        if (code === ARGON2_OK) return true;
        if (code === ARGON2_MEMORY_ALLOCATION_ERROR) throw new Error(`argon2_verify: ${errorMessage(code)}`);
        // ARGON2_VERIFY_MISMATCH (-35), ARGON2_DECODING_FAIL (-32) and parameter errors: no match.
        return false;
      } finally {
        exports.free(encodedPointer);
        wipeAndFree(passwordPointer, password.length);
      }
    },

    memoryBytes() {
      return exports.memory.buffer.byteLength;
    },
  };
}

// ---------------------------------------------------------------------------------------------

function parsePHC(encodedHash: string): { params: Argon2Params } | undefined {
  if (typeof encodedHash !== "string" || encodedHash.length > 512) return undefined;
  const match = PHC_ARGON2ID.exec(encodedHash);
  if (!match) return undefined;
  const [, m, t, p] = match as unknown as [string, string, string, string];
  return { params: { memoryKiB: Number(m), iterations: Number(t), parallelism: Number(p) } };
}

function isWithinMax(params: Argon2Params): boolean {
  return (
    params.memoryKiB <= MAX_ARGON2_PARAMS.memoryKiB &&
    params.iterations <= MAX_ARGON2_PARAMS.iterations &&
    params.parallelism <= MAX_ARGON2_PARAMS.parallelism
  );
}

function assertParams(params: Argon2Params): void {
  const { memoryKiB, iterations, parallelism } = params;
  const valid =
    Number.isInteger(memoryKiB) &&
    Number.isInteger(iterations) &&
    Number.isInteger(parallelism) &&
    parallelism >= 1 &&
    iterations >= 1 &&
    memoryKiB >= 8 * parallelism &&
    isWithinMax(params);
  if (!valid) throw new RangeError(`Invalid Argon2 parameters m=${memoryKiB},t=${iterations},p=${parallelism}`);
}

/** UTF-8 bytes of the password, or undefined when over MAX_PASSWORD_BYTES. */
function encodePassword(password: string): Uint8Array | undefined {
  if (typeof password !== "string" || password.length > MAX_PASSWORD_BYTES) return undefined;
  const bytes = new TextEncoder().encode(password);
  return bytes.length > MAX_PASSWORD_BYTES ? undefined : bytes;
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
