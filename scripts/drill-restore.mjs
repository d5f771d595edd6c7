#!/usr/bin/env node
// `npm run drill:restore`: the backup-and-restore drill of docs/backup.md, end to end on this
// machine, against throwaway local D1 databases (never the dev database in .wrangler/state):
//
//   1. migrate a fresh local D1, create a sys_admin with a known password (npm run admin:create)
//      and write rows into the tables a deployment fills;
//   2. `wrangler d1 export DB --local --output dump.sql`, as an operator does with --remote;
//   3. `wrangler d1 execute DB --local --file dump.sql` into a second, empty state directory;
//   4. compare every table's row count between the two, then start the worker on the restored
//      state (wrangler's unstable_startWorker) and log in as the admin: a session is written and
//      read back, so the restored database is the one serving.
//
// Exits 0 when the restore is faithful, 1 otherwise; prints each step and its time. Passwords and
// hashes are never printed.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const wrangler = path.join(root, "node_modules", ".bin", "wrangler");
const ADMIN_EMAIL = "drill-admin@example.com";
/** The Origin the dev config allows (WEB_BASE_URL in wrangler.toml): login is an unsafe method. */
const WEB_ORIGIN = "http://localhost:5173";

const childEnv = {
  ...process.env,
  CI: "true",
  // This Node first: wrangler and admin:create run under the same version as the drill.
  PATH: [path.dirname(process.execPath), process.env.PATH].filter(Boolean).join(path.delimiter),
};

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, env: { ...childEnv, ...options.env }, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(
      `${path.basename(command)} ${args.slice(0, 3).join(" ")} failed:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/** `wrangler d1 <command...> DB --local --persist-to <dir> <args...>` */
const d1 = (persistDir, command, args = []) =>
  run(wrangler, ["d1", ...command, "DB", "--local", "--persist-to", persistDir, ...args]);

/** The rows of every statement of `sql`, one after the other, read through wrangler. */
function query(persistDir, sql) {
  const results = JSON.parse(d1(persistDir, ["execute"], ["--json", "--command", sql]));
  return results.flatMap((result) => result.results);
}

/** The tables to compare (wrangler's own bookkeeping included: d1_migrations must come back too). */
function listTables(persistDir) {
  return query(
    persistDir,
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name",
  ).map((row) => row.name);
}

/** Rows per table, in one wrangler call: one statement per table (D1 caps a compound SELECT's terms). */
function countRows(persistDir, tables) {
  const sql = tables.map((name) => `SELECT '${name}' AS name, count(*) AS rows FROM "${name}"`).join("; ");
  return Object.fromEntries(query(persistDir, sql).map((row) => [row.name, row.rows]));
}

/** A little of everything a deployment accumulates, beside the admin. */
function seed(persistDir, organizationId, userId) {
  const now = Date.now();
  const statements = [];
  for (let i = 0; i < 20; i++) {
    statements.push(
      `INSERT INTO audit_log (organization_id, actor_user_id, action, details, created_at) VALUES ('${organizationId}', '${userId}', 'drill.event', '{"i":${i},"text":"it''s \\"quoted\\""}', ${now - i})`,
      `INSERT INTO llm_usage_log (organization_id, user_id, reservation_id, settlement_id, provider, model, bucket, tokens, input_tokens, output_tokens, cost_usd, period_start, created_at) VALUES ('${organizationId}', '${userId}', 'res-${i}', 'set-${i}', 'fake', 'fake-copilot-1', 'allotment', ${100 + i}, 50, ${50 + i}, 0.000123, 0, ${now - i})`,
    );
  }
  statements.push(
    `INSERT INTO llm_usage_monthly (organization_id, month_start, user_id, provider, model, tokens, input_tokens, output_tokens, cost_usd, absorbed_tokens, credits_tokens, reclaimed_tokens, calls) VALUES ('${organizationId}', 0, '', 'fake', 'fake-copilot-1', 7, 3, 4, 0.5, 0, 0, 0, 1)`,
    `INSERT INTO stripe_event (id, type, processed_at) VALUES ('evt_drill', 'checkout.session.completed', ${now})`,
  );
  d1(persistDir, ["execute"], ["--command", statements.join("; ")]);
}

/** `wrangler d1 export DB --local` of the database in `persistDir` (see originalProject below). */
function exportLocal(persistDir, output) {
  const project = path.dirname(path.dirname(persistDir));
  const config = path.join(project, "wrangler.toml");
  writeFileSync(
    config,
    `name = "rampart-drill"\ncompatibility_date = "2025-01-01"\n\n[[d1_databases]]\nbinding = "DB"\n` +
      `database_name = "rampart-dev"\ndatabase_id = "00000000-0000-0000-0000-000000000000"\n`,
  );
  run(wrangler, ["d1", "export", "DB", "--local", "--config", config, "--output", output]);
}

async function logIn(persistDir, password) {
  const { unstable_startWorker } = await import("wrangler");
  const worker = await unstable_startWorker({
    config: path.join(root, "wrangler.toml"),
    dev: {
      persist: persistDir,
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      watch: false,
      logLevel: "error",
    },
  });
  try {
    await worker.ready;
    const login = await worker.fetch("http://localhost/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", origin: WEB_ORIGIN },
      body: JSON.stringify({ email: ADMIN_EMAIL, password }),
    });
    const cookie = login.headers.get("set-cookie")?.split(";")[0];
    await login.body?.cancel();
    if (login.status !== 200 || !cookie) throw new Error(`login on the restored database: ${login.status}`);
    const sessions = await worker.fetch("http://localhost/auth/sessions", { headers: { cookie, origin: WEB_ORIGIN } });
    const body = await sessions.json();
    // Exactly the one session this login wrote: the restored database is the one serving.
    if (sessions.status !== 200 || body.sessions?.length !== 1) {
      throw new Error(`GET /auth/sessions with the new session: ${sessions.status}`);
    }
    return { status: login.status, sessions: body.sessions.length };
  } finally {
    await worker.dispose();
  }
}

const started = performance.now();
const step = (name) => {
  const at = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`[${at.padStart(5)} s] ${name}`);
};
// `wrangler d1 export --local` takes no --persist-to: it reads <config's directory>/.wrangler/state.
// So the original database lives exactly there, beside a one-binding config written for the export.
const originalProject = mkdtempSync(path.join(tmpdir(), "rampart-drill-original-"));
const original = path.join(originalProject, ".wrangler", "state");
const restored = mkdtempSync(path.join(tmpdir(), "rampart-drill-restored-"));
const dumpDir = mkdtempSync(path.join(tmpdir(), "rampart-drill-dump-"));
const dump = path.join(dumpDir, "dump.sql");
try {
  step("migrating a throwaway local D1");
  d1(original, ["migrations", "apply"]);
  step("creating a sys_admin with a known password (npm run admin:create) and writing rows");
  const password = `Drill-${randomBytes(12).toString("base64url")}`;
  const created = run(
    process.execPath,
    [path.join(root, "scripts", "admin-create.ts"), "--email", ADMIN_EMAIL, "--persist-to", original],
    {
      env: { RAMPART_ADMIN_PASSWORD: password },
    },
  );
  const userId = /user id:\s+(\S+)/.exec(created)?.[1];
  const organizationId = /organization id:\s+(\S+)/.exec(created)?.[1];
  if (!userId || !organizationId) throw new Error("admin:create printed no ids");
  seed(original, organizationId, userId);
  const tables = listTables(original);
  const before = countRows(original, tables);

  step("wrangler d1 export DB --local --output dump.sql");
  exportLocal(original, dump);
  step(`exported ${statSync(dump).size} bytes; wrangler d1 execute DB --local --file dump.sql into an empty state`);
  d1(restored, ["execute"], ["--yes", "--file", dump]);

  // The original's table list: a table missing after the restore fails its count.
  const after = countRows(restored, tables);
  const differences = tables.filter((table) => before[table] !== after[table]);
  for (const table of Object.keys(before))
    console.log(`  ${table.padEnd(32)} ${String(before[table]).padStart(6)} -> ${after[table]}`);
  if (differences.length > 0) throw new Error(`row counts differ after the restore: ${differences.join(", ")}`);
  if (!(before.user >= 1 && before.audit_log >= 20 && before.llm_usage_log === 20 && before.d1_migrations >= 1)) {
    throw new Error("the seeded rows are missing from the original database");
  }

  step("starting the worker on the restored state and logging in as the admin");
  const login = await logIn(restored, password);
  step(`login ${login.status}; GET /auth/sessions with its cookie lists ${login.sessions} session`);
  console.log("drill:restore: the restored database matches the original and serves a login.");
} catch (error) {
  console.error(`drill:restore: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  for (const dir of [originalProject, restored, dumpDir]) rmSync(dir, { recursive: true, force: true });
}
