// The copilot streams to a browser under a real `wrangler dev` (issue 11, item 12): with a browser's
// Accept-Encoding, the answer arrives in several chunks while the provider writes, not gzipped in
// one piece at the end (workers-sdk #6577, #8004). The route test (test/features/ai/copilot.test.ts)
// asserts the header inside workerd; only wrangler dev's own HTTP server showed the buffering.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planWranglerDev } from "../../scripts/dev-args.mjs";

const root = path.resolve(import.meta.dirname, "..", "..");
const wrangler = path.join(root, "node_modules", ".bin", "wrangler");
const CHUNK_DELAY_MS = 120;
const ORIGIN = "http://localhost:5173";

let persistDir = "";
let dev: ChildProcess | undefined;
let api = "";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function childEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CI: "true",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    PATH: [path.dirname(process.execPath), process.env.PATH].filter(Boolean).join(path.delimiter),
  };
}

beforeAll(async () => {
  persistDir = mkdtempSync(path.join(tmpdir(), "rampart-dev-streaming-"));
  const port = String(await freePort());
  // npm run dev's own arguments, on a throwaway database, with the secrets given as vars so that
  // the checkout's .dev.vars is neither needed nor written.
  const plan = planWranglerDev({
    argv: [
      "--port",
      port,
      "--persist-to",
      persistDir,
      "--var",
      `AI_FAKE_CHUNK_DELAY_MS:${CHUNK_DELAY_MS}`,
      "--var",
      `JWT_SECRET:${"j".repeat(40)}`,
      "--var",
      `CRON_SECRET:${"c".repeat(40)}`,
    ],
    env: {},
    devVars: null,
  });
  api = plan.origin;
  dev = spawn(wrangler, plan.args, { cwd: root, env: childEnv(), detached: true });
  const child = dev;
  // The migrations run while wrangler dev starts: they only need to be in before the first request.
  const migrated = new Promise<void>((resolve, reject) => {
    const migrate = spawn(wrangler, plan.migrateArgs, { cwd: root, env: childEnv() });
    let output = "";
    migrate.stdout.on("data", (data: Buffer) => (output += data.toString()));
    migrate.stderr.on("data", (data: Buffer) => (output += data.toString()));
    migrate.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`migrations failed:\n${output}`))));
  });
  const ready = new Promise<void>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${output}`)), 45_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      if (output.includes("Ready on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => reject(new Error(`wrangler dev exited (${code}):\n${output}`)));
  });
  await Promise.all([migrated, ready]);
});

afterAll(() => {
  if (dev?.pid) process.kill(-dev.pid, "SIGTERM"); // the process group: wrangler and its workerd
  if (persistDir) rmSync(persistDir, { recursive: true, force: true });
});

async function post(pathname: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(api + pathname, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

describe("npm run dev streams the copilot to a browser", () => {
  it("answers a browser's Accept-Encoding with Content-Encoding identity, in chunks as the provider writes", async () => {
    const email = `stream-${Date.now()}@example.com`;
    const password = "correct horse battery staple";
    expect((await post("/auth/signup", { email, password })).status).toBe(201);
    const outbox = (await (await fetch(`${api}/dev/emails?to=${encodeURIComponent(email)}`)).json()) as Array<{
      links: string[];
    }>;
    const link = outbox.flatMap((message) => message.links).find((candidate) => candidate.includes("verify-email"));
    const token = new URL(link ?? "http://invalid").searchParams.get("token");
    expect((await post("/auth/verify-email", { token })).status).toBe(200);
    const login = await post("/auth/login", { email, password });
    expect(login.status).toBe(200);
    const cookie = login.headers
      .getSetCookie()
      .map((line) => line.split(";")[0])
      .join("; ");
    const note = await post(
      "/notes",
      { title: "Streaming", content: "A note to summarize." },
      { cookie, origin: ORIGIN },
    );
    const { id } = (await note.json()) as { id: string };

    const started = Date.now();
    const response = await post(
      `/notes/${id}/copilot/summarize`,
      {},
      { cookie, origin: ORIGIN, "accept-encoding": "gzip, deflate, br, zstd" },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-encoding")).toBe("identity");
    const arrivals: number[] = [];
    for await (const _chunk of response.body as unknown as AsyncIterable<Uint8Array>)
      arrivals.push(Date.now() - started);
    // Buffered, the whole answer came in one chunk after the last delay; streamed, the first chunk
    // comes well before the last.
    expect(arrivals.length).toBeGreaterThanOrEqual(3);
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(2 * CHUNK_DELAY_MS);
  });
});
