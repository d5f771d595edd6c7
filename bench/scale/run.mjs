#!/usr/bin/env node
// `npm run bench:scale`: the at-size bench (not part of `npm test`; docs/scaling.md reads it).
// 1. every hot query (bench/scale/queries.ts) on an empty database and on the seeded one
//    (`npm run scale:seed` first): median and p99 inside SQLite, EXPLAIN QUERY PLAN, full scans;
// 2. round trips to the D1 primary per route (bench/scale/round-trips.test.ts, in workerd).
// Writes bench/.results/scale.md and scale.json. Options: --persist-to DIR (the seed's, default
// .wrangler/scale), --skip-round-trips. Times are from a shared 2-core machine: compare within a run.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";

const root = path.resolve(import.meta.dirname, "..", "..");
const resultsDir = path.join(root, "bench", ".results");
const { values: flags } = parseArgs({
  options: {
    "persist-to": { type: "string", default: path.join(".wrangler", "scale") },
    "skip-round-trips": { type: "boolean", default: false },
  },
});
const bin = (name) => path.join(root, "node_modules", ".bin", name);
mkdirSync(resultsDir, { recursive: true });

/** The migrations applied in order to a fresh file, plus one tenant so every query has a subject. */
function createEmptyDatabase() {
  const file = path.join(os.tmpdir(), `rampart-scale-empty-${process.pid}.sqlite`);
  rmSync(file, { force: true });
  const db = new DatabaseSync(file);
  const dir = path.join(root, "migrations");
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith(".sql"))
    .sort()) {
    db.exec(readFileSync(path.join(dir, name), "utf8").replaceAll("--> statement-breakpoint", ""));
  }
  const now = Date.now();
  db.exec(`INSERT INTO organization (id, name, created_at) VALUES ('00000000-0000-4000-8000-000000000001', 'Empty', ${now});
    INSERT INTO user (id, email, created_at, updated_at)
      VALUES ('00000000-0000-4000-8000-000000000002', 'only@example.com', ${now}, ${now});
    INSERT INTO membership (user_id, organization_id, role, created_at, last_active_at)
      VALUES ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'org_admin', ${now}, ${now});
    INSERT INTO session (id, token_hash, user_id, active_organization_id, created_at, expires_at)
      VALUES ('00000000-0000-4000-8000-000000000003', '${"a".repeat(64)}', '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', ${now}, ${now + 86_400_000});`);
  db.close();
  return file;
}

function seededDatabase() {
  const dir = path.resolve(root, flags["persist-to"], "v3", "d1", "miniflare-D1DatabaseObject");
  const file = existsSync(dir)
    ? readdirSync(dir).find((n) => n.endsWith(".sqlite") && n !== "metadata.sqlite")
    : undefined;
  return file ? path.join(dir, file) : null;
}

function runQueries(file, label) {
  console.log(`[bench:scale] queries on the ${label} database: ${path.relative(root, file)}`);
  const run = spawnSync(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", bin("tsx"), "bench/scale/queries.ts", file, label],
    {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (run.status !== 0) throw new Error(`queries.ts failed on the ${label} database (${run.status})`);
  return JSON.parse(run.stdout);
}

function runRoundTrips() {
  console.log("[bench:scale] round trips per route (workerd)");
  const run = spawnSync(bin("vitest"), ["run", "--config", "bench/scale/vitest.config.ts"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const match = /ROUND-TRIPS-BEGIN(.*)ROUND-TRIPS-END/.exec(run.stdout);
  if (run.status !== 0 || !match)
    throw new Error(`round-trips.test.ts failed (${run.status}):\n${run.stdout.slice(-3000)}`);
  return JSON.parse(match[1]);
}

const ms = (value) => (value < 1 ? value.toFixed(3) : value.toFixed(1));

function queryTable(empty, full) {
  const lines = [
    `| query | statements | empty: median / p99 ms | full: median / p99 ms | full scans of a large table (full) |`,
    "|---|---|---|---|---|",
  ];
  for (const row of empty.results) {
    const big = full?.results.find((r) => r.name === row.name);
    lines.push(
      `| ${row.name} | ${row.statements} | ${ms(row.median)} / ${ms(row.p99)} | ${big ? `${ms(big.median)} / ${ms(big.p99)}` : "not run"} | ${
        big ? big.fullScans.join("; ") || "none" : ""
      } |`,
    );
  }
  return lines.join("\n");
}

function planList(result) {
  return result.results.map((r) => `- **${r.name}**: ${r.plan.map((p) => `\`${p}\``).join(" ; ")}`).join("\n");
}

function roundTripTable(rows) {
  const lines = [
    "| route | status | round trips (critical path) | of which the session check | deferred (waitUntil) |",
    "|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const session = row.trips[0]?.some((s) => s.startsWith('select "session"')) ? 1 : 0;
    lines.push(`| ${row.route} | ${row.status} | ${row.critical} | ${session} | ${row.deferred} |`);
  }
  return lines.join("\n");
}

const emptyFile = createEmptyDatabase();
const empty = runQueries(emptyFile, "empty");
rmSync(emptyFile, { force: true });
const fullFile = seededDatabase();
const full = fullFile ? runQueries(fullFile, "full") : null;
const trips = flags["skip-round-trips"] ? null : runRoundTrips();

const sections = [
  `# At-size bench (${new Date().toISOString()})`,
  `Machine: ${os.cpus()[0]?.model ?? "?"}, ${os.availableParallelism()} cores shared with other work, Node ${process.version}.`,
  full
    ? `Full database: ${path.relative(root, fullFile)}; subject: the largest tenant.`
    : "Full database: not found (run `npm run scale:seed` first).",
  "## Hot queries inside SQLite",
  queryTable(empty, full),
  ...(full ? ["## Query plans (full database)", planList(full)] : []),
  ...(trips ? ["## Round trips to the D1 primary per route", roundTripTable(trips)] : []),
];
writeFileSync(path.join(resultsDir, "scale.md"), `${sections.join("\n\n")}\n`);
writeFileSync(path.join(resultsDir, "scale.json"), JSON.stringify({ empty, full, trips }, null, 2));
console.log(sections.join("\n\n"));
