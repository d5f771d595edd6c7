// Copies Swagger UI's two browser files from node_modules/swagger-ui-dist (pinned by package.json)
// into public/docs/assets/, the Workers Static Assets directory of wrangler.toml's [assets]: the
// files are served by Cloudflare's asset layer instead of being bundled into the worker (issue 18,
// docs/decisions/perf.md). Run by wrangler's [build] command (dev, deploy, deploy --dry-run) and by
// vitest.config.ts, so a fresh clone needs no extra step; the copies are not committed (.gitignore).
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const FILES = ["swagger-ui-bundle.js", "swagger-ui.css"];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DOCS_ASSETS_DIR = path.join(root, "public", "docs", "assets");

async function sameContent(a, b) {
  try {
    const [left, right] = await Promise.all([readFile(a), readFile(b)]);
    return left.equals(right);
  } catch {
    return false;
  }
}

/** Copies the files that differ; returns the names copied (none when already up to date). */
export async function copyDocsAssets() {
  const require = createRequire(path.join(root, "package.json"));
  const sourceDir = path.dirname(require.resolve("swagger-ui-dist/package.json"));
  await mkdir(DOCS_ASSETS_DIR, { recursive: true });
  const copied = [];
  for (const name of FILES) {
    const from = path.join(sourceDir, name);
    const to = path.join(DOCS_ASSETS_DIR, name);
    // Unchanged files are left alone, so wrangler dev's asset watcher does not reload for nothing.
    if (await sameContent(from, to)) continue;
    await copyFile(from, to);
    copied.push(name);
  }
  return copied;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await copyDocsAssets();
}
