// `npm run drill:restore` for real (docs/backup.md): export a throwaway local D1 with wrangler,
// restore it into an empty one, compare every table's row count and log in on the restored state.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..", "..");

describe("npm run drill:restore", () => {
  it("restores an exported local D1 with every row and a working login", { timeout: 180_000 }, () => {
    const run = spawnSync(process.execPath, [path.join(root, "scripts", "drill-restore.mjs")], {
      cwd: root,
      env: {
        ...process.env,
        CI: "true",
        PATH: [path.dirname(process.execPath), process.env.PATH].filter(Boolean).join(path.delimiter),
      },
      encoding: "utf8",
    });
    expect(run.stderr).not.toContain("FAILED");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/user\s+1 -> 1/);
    expect(run.stdout).toMatch(/llm_usage_log\s+20 -> 20/);
    expect(run.stdout).toContain("login 200");
    expect(run.stdout).toContain("the restored database matches the original and serves a login");
  });
});
