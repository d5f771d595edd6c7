// GET /docs in a real browser: Debian's headless Chromium, driven by playwright-core, loads the
// page from `wrangler dev` (started here on a free loopback port with a throwaway --persist-to),
// and must render the route list from the worker's own files: no request may leave loopback, and
// the page's Content-Security-Policy must not have refused anything. The screenshot is kept as a
// test artifact in test-results/docs.png. Skips, saying why, where /usr/bin/chromium is missing
// (.ci/run installs it: apt-get install chromium).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const root = path.resolve(import.meta.dirname, "..", "..");
const wrangler = path.join(root, "node_modules", ".bin", "wrangler");
const SCREENSHOT = path.join(root, "test-results", "docs.png");
const STARTUP_TIMEOUT_MS = 90_000;
const hasChromium = existsSync(CHROMIUM);

/** A port the kernel says is free on 127.0.0.1 (closed again before wrangler binds it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === "data:" || protocol === "blob:" || protocol === "about:") return true;
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Polls GET /ping until wrangler dev answers 200, or fails with what wrangler printed. */
async function waitUntilServing(base: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${base}/ping`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not answer /ping within ${STARTUP_TIMEOUT_MS} ms:\n${output()}`);
}

if (!hasChromium) {
  // Straight to stderr: the reporter prints skipped tests without a reason, and console output
  // of tests that did not fail is silenced (vitest.node.config.ts).
  process.stderr.write(
    `docs-browser.test.ts: SKIPPED, ${CHROMIUM} is missing. Install Debian's Chromium ` +
      "(apt-get install -y chromium, as .ci/run does) to run the real-browser test of GET /docs.\n",
  );
}

const title = hasChromium
  ? "GET /docs in headless Chromium, served by wrangler dev"
  : `GET /docs in headless Chromium (skipped: ${CHROMIUM} is missing)`;

describe.skipIf(!hasChromium)(title, () => {
  let persistDir = "";
  let userDataDir = "";
  let worker: ChildProcess | undefined;
  let workerOutput = "";
  let context: BrowserContext | undefined;
  let page: Page;
  let base = "";
  const requests: string[] = [];
  const consoleMessages: { type: string; text: string }[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    persistDir = mkdtempSync(path.join(tmpdir(), "rampart-docs-persist-"));
    userDataDir = mkdtempSync(path.join(tmpdir(), "rampart-docs-chromium-"));
    const [port, inspectorPort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}`;
    worker = spawn(
      wrangler,
      [
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        "--inspector-port",
        String(inspectorPort),
        "--persist-to",
        persistDir,
        "--show-interactive-dev-session=false",
        "--var",
        `JWT_SECRET:${randomBytes(32).toString("hex")}`,
        "--var",
        `CRON_SECRET:${randomBytes(32).toString("hex")}`,
      ],
      {
        cwd: root,
        // Its own process group, so the teardown ends wrangler and the workerd it started.
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          CI: "true",
          WRANGLER_SEND_METRICS: "false",
          PATH: [path.dirname(process.execPath), process.env.PATH].filter(Boolean).join(path.delimiter),
        },
      },
    );
    worker.stdout?.on("data", (chunk: Buffer) => (workerOutput += chunk.toString()));
    worker.stderr?.on("data", (chunk: Buffer) => (workerOutput += chunk.toString()));
    await waitUntilServing(base, worker, () => workerOutput);

    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("request", (request) => requests.push(request.url()));
    page.on("console", (message) => consoleMessages.push({ type: message.type(), text: message.text() }));
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    // Runs before the page's own scripts (injected by the browser, not subject to the page's CSP).
    // (A string: this file is type-checked without the DOM library.)
    await page.addInitScript(`
      window.__cspViolations = [];
      document.addEventListener("securitypolicyviolation", (event) => {
        window.__cspViolations.push(event.effectiveDirective + " blocked " + (event.blockedURI || "inline") +
          " (" + event.sourceFile + ":" + event.lineNumber + ")");
      });
    `);
  }, STARTUP_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await context?.close();
    if (worker?.pid !== undefined && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker!.once("exit", resolve));
      process.kill(-worker.pid, "SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (worker.exitCode === null) process.kill(-worker.pid, "SIGKILL");
    }
    for (const dir of [persistDir, userDataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it("renders the route list from /openapi.json, with the worker's own script and stylesheet", async () => {
    const response = await page.goto(`${base}/docs`, { waitUntil: "load" });
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");

    // Swagger UI draws one summary row per operation, its path in data-path.
    await page.locator('.opblock-summary-path[data-path="/users/me"]').first().waitFor({ timeout: 30_000 });
    const paths = await page
      .locator(".opblock-summary-path")
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute("data-path")));
    expect(paths).toEqual(expect.arrayContaining(["/auth/login", "/users/me", "/notes", "/openapi.json", "/docs"]));
    await expect.poll(() => page.getByText("/auth/login", { exact: true }).first().isVisible()).toBe(true);
    await expect.poll(() => page.locator(".info .title").first().textContent()).toContain("Rampart API");

    // The whole route list, down to where the Schemas section begins.
    const schemas = await page.locator("section.models").boundingBox();
    const height = Math.ceil(schemas?.y ?? 900);
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true, clip: { x: 0, y: 0, width: 1280, height } });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it("Try it out calls the API from the page (connect-src 'self'): GET /ping answers 200", async () => {
    const operation = page.locator("#operations-Service-get_ping");
    await operation.locator(".opblock-summary").click();
    await operation.getByRole("button", { name: "Try it out" }).click();
    await operation.getByRole("button", { name: "Execute" }).click();
    await expect
      .poll(() => operation.locator(".live-responses-table tbody .response-col_status").first().textContent(), {
        timeout: 15_000,
      })
      .toContain("200");
  });

  it("sent no request to any origin but the loopback worker", () => {
    expect(requests.length).toBeGreaterThan(3);
    expect(requests).toEqual(
      expect.arrayContaining([`${base}/docs`, `${base}/docs/assets/swagger-ui-bundle.js`, `${base}/openapi.json`]),
    );
    expect(requests.filter((url) => !isLoopback(url))).toEqual([]);
  });

  it("shows no Content-Security-Policy violation, console error or page error", async () => {
    const violations = await page.evaluate<string[]>("window.__cspViolations");
    expect(violations).toEqual([]);
    expect(consoleMessages.filter((message) => /content security policy|refused to/i.test(message.text))).toEqual([]);
    expect(consoleMessages.filter((message) => message.type === "error")).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
