// The at-size query bench (bench/scale/run.mjs): every hot query, issued by the real repo function
// through a D1 shim over node:sqlite (sqlite-d1.ts), so the SQL measured cannot drift from the
// worker's. For each query: its statements as captured, EXPLAIN QUERY PLAN of each, and the time
// inside SQLite over repeated runs (writes run inside a transaction that is rolled back, so every
// repetition sees the same data).
//
// Run by run.mjs with tsx: `tsx bench/scale/queries.ts <sqlite file> <label>`; prints JSON.
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { createDB, type Database } from "../../src/db/client";
import { readStats } from "../../src/features/admin/repo";
import { deleteOldAuditBatch, listAuditEntries } from "../../src/features/audit/repo";
import { deleteStaleTokensBatch } from "../../src/features/auth/email-token-repo";
import { findModelPrice, readAccountState } from "../../src/features/ai/account-repo";
import { selectLedgerLimitsSQL } from "../../src/features/ai/ledger";
import { type LedgerLimits, reserveTokens, settleReservation } from "../../src/features/ai/ledger-repo";
import {
  deleteSettledReservationsBatch,
  findCreditDrift,
  listExpiredReservations,
  repairDrift,
  rollOverPeriods,
} from "../../src/features/ai/maintenance-repo";
import { listNotesPage } from "../../src/features/notes/repo";
import { buildIncrementWithinLimit } from "../../src/features/plans/usage-repo";
import { rollUpAndDeleteUsageBatch } from "../../src/features/usage/rollup-repo";
import {
  listTopApiKeysPage,
  listTopUsersPage,
  listUsagePage,
  readFleetUsage,
  sumOwnUsage,
} from "../../src/features/usage/repo";
import { findUserByEmail } from "../../src/features/users/repo";
import { deleteExpiredSessionsBatch, findValidSession } from "../../src/platform/sessions/repo";
import { type CapturedStatement, createSQLiteD1 } from "./sqlite-d1";

const DAY = 86_400_000;
// Tables whose full scan would be a defect at size; the small ones (plan, model_price) may be scanned.
const LARGE_TABLES = [
  "organization",
  "user",
  "membership",
  "session",
  "llm_usage_log",
  "audit_log",
  "note",
  "ai_account",
  "ai_reservation",
  "usage_counter",
  "email_token",
  "invitation",
];

// An optional third argument keeps only the queries whose name contains it.
const [file, label = file, only = ""] = process.argv.slice(2);
if (!file) throw new Error("usage: tsx bench/scale/queries.ts <sqlite file> [label] [name filter]");

const sqlite = new DatabaseSync(file);
sqlite.exec("PRAGMA cache_size = -262144"); // 256 MiB, of the order of what a D1 primary keeps hot
const captured: CapturedStatement[] = [];
const db: Database = createDB(createSQLiteD1(sqlite, captured));

/** The subjects: the largest tenant (worst case), one of its heaviest users, a live session. */
function pickSubjects() {
  const org = sqlite
    .prepare(
      "SELECT organization_id AS id, count(*) AS n FROM membership GROUP BY organization_id ORDER BY n DESC LIMIT 1",
    )
    .get() as { id: string } | undefined;
  if (!org)
    throw new Error(`${file} has no users: seed it (npm run scale:seed) or let run.mjs create the empty fixture`);
  const user = sqlite
    .prepare(
      "SELECT u.id, u.email FROM membership m JOIN user u ON u.id = m.user_id WHERE m.organization_id = ? LIMIT 1",
    )
    .get(org.id) as {
    id: string;
    email: string;
  };
  const session = sqlite.prepare("SELECT token_hash FROM session WHERE expires_at > ? LIMIT 1").get(Date.now()) as
    | { token_hash: string }
    | undefined;
  return {
    organizationId: org.id,
    userId: user.id,
    email: user.email,
    tokenHash: session?.token_hash ?? "0".repeat(64),
  };
}

const subjects = pickSubjects();
const now = Date.now();
const today = Math.floor(now / DAY) * DAY;
const month = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
const limits: LedgerLimits = { tokenLimit: 50_000_000, isOverageEnabled: false, overageCeiling: 0 };
const reservation = {
  id: "bench-reservation-0000-000000000000",
  organizationId: subjects.organizationId,
  userId: subjects.userId,
  tokens: 2048,
  provider: "openai",
  model: "gpt-4.1-mini",
  createdAt: now,
  expiresAt: now + 300_000,
};
const settlement = {
  reservationId: reservation.id,
  organizationId: subjects.organizationId,
  settlementId: "bench-settlement-0000-000000000000",
  inputTokens: 700,
  outputTokens: 300,
  inputUSDPerMillion: 0.4,
  outputUSDPerMillion: 1.6,
  isReclaimed: false,
  now,
};
const firstPage = { limit: 20, offset: 0 };
const deepPage = { limit: 20, offset: 2000 };

/** Each hot query, as the worker issues it. `setup` runs (untimed) inside the same transaction first. */
const QUERIES: { name: string; write?: boolean; setup?: () => Promise<unknown>; run: () => Promise<unknown> }[] = [
  { name: "session check", run: () => findValidSession(db, subjects.tokenHash, now) },
  { name: "login lookup", run: () => findUserByEmail(db, subjects.email) },
  {
    name: "quota upsert (notes)",
    write: true,
    run: () =>
      buildIncrementWithinLimit(
        db,
        { organizationId: subjects.organizationId, feature: "max_notes", periodStart: month },
        1,
        1000,
      ),
  },
  { name: "AI policy: account state", run: () => readAccountState(db, subjects.organizationId) },
  { name: "AI policy: model price", run: () => findModelPrice(db, "openai", "gpt-4.1-mini") },
  { name: "ledger reserve", write: true, run: () => reserveTokens(db, reservation, month, limits) },
  {
    name: "ledger settle",
    write: true,
    setup: () => reserveTokens(db, reservation, month, limits),
    // As the copilot settles: the limits and period read in SQL inside the batch.
    run: () => settleReservation(db, settlement, selectLedgerLimitsSQL(subjects.organizationId, now)),
  },
  { name: "notes list, first page", run: () => listNotesPage(db, subjects.organizationId, firstPage) },
  { name: "notes list, page 101", run: () => listNotesPage(db, subjects.organizationId, deepPage) },
  { name: "usage history, first page", run: () => listUsagePage(db, subjects.organizationId, firstPage) },
  { name: "usage history, page 101", run: () => listUsagePage(db, subjects.organizationId, deepPage) },
  {
    name: "usage history, one member",
    run: () => listUsagePage(db, subjects.organizationId, firstPage, { userId: subjects.userId }),
  },
  {
    name: "usage, my period total",
    run: () => sumOwnUsage(db, subjects.organizationId, { userId: subjects.userId }, month),
  },
  { name: "usage, top members", run: () => listTopUsersPage(db, subjects.organizationId, month, firstPage) },
  { name: "usage, top API keys", run: () => listTopApiKeysPage(db, subjects.organizationId, month, firstPage) },
  {
    name: "audit log, org first page",
    run: () => listAuditEntries(db, firstPage, { organizationId: subjects.organizationId }),
  },
  // Windows as the services compute them: whole UTC days (the daily rollups' grain), today included.
  { name: "admin stats (30 days)", run: () => readStats(db, today - 29 * DAY, now) },
  { name: "admin fleet usage (30 days)", run: () => readFleetUsage(db, today - 30 * DAY) },
  { name: "maintenance: expired sessions batch", write: true, run: () => deleteExpiredSessionsBatch(db, now, 500) },
  {
    name: "maintenance: stale email tokens batch",
    write: true,
    run: () => deleteStaleTokensBatch(db, now - 7 * DAY, 500),
  },
  { name: "maintenance: expired reservations", run: () => listExpiredReservations(db, now, 100) },
  { name: "maintenance: period roll-over", write: true, run: () => rollOverPeriods(db, now, month, 1000) },
  { name: "maintenance: drift repair", write: true, run: () => repairDrift(db, now - DAY, 200) },
  { name: "maintenance: credit drift", run: () => findCreditDrift(db, 200) },
  // Retention (src/cron/retention.ts), at its default windows.
  {
    name: "retention: usage roll-up and prune batch",
    write: true,
    run: () => rollUpAndDeleteUsageBatch(db, now - 400 * DAY, 500),
  },
  { name: "retention: audit prune batch", write: true, run: () => deleteOldAuditBatch(db, now - 400 * DAY, 500) },
  {
    name: "retention: settled reservations batch",
    write: true,
    run: () => deleteSettledReservationsBatch(db, now - 30 * DAY, 500),
  },
];

function planOf(statement: CapturedStatement): string[] {
  const rows = sqlite.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...statement.params) as { detail: string }[];
  return rows.map((row) => row.detail);
}

/** The large tables a statement names by alias ("FROM organization o"), so "SCAN o" counts too. */
function aliasesOf(sql: string): Map<string, string> {
  const aliases = new Map(LARGE_TABLES.map((table) => [table, table]));
  for (const [, table, alias] of sql.matchAll(/(?:FROM|JOIN)\s+(\w+)\s+(?:AS\s+)?(\w+)/gi)) {
    if (table && alias && LARGE_TABLES.includes(table)) aliases.set(alias, table);
  }
  return aliases;
}

/** "SCAN <large table>" (with or without "USING ... INDEX") reads the whole table or index. */
function fullScans(statement: CapturedStatement, plan: string[]): string[] {
  const aliases = aliasesOf(statement.sql);
  return plan.flatMap((line) => {
    const table = aliases.get(/^SCAN (\w+)/.exec(line)?.[1] ?? "");
    return table === undefined ? [] : [`${table}: ${line}`];
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** Times the captured statements (prepared once, as D1 caches them) `rounds` times, in ms. */
function timeStatements(statements: CapturedStatement[], setup: CapturedStatement[], write: boolean, budgetMs: number) {
  const prepared = statements.map((s) => ({ statement: sqlite.prepare(s.sql), params: s.params as SQLInputValue[] }));
  const preparedSetup = setup.map((s) => ({ statement: sqlite.prepare(s.sql), params: s.params as SQLInputValue[] }));
  const samples: number[] = [];
  const deadline = performance.now() + budgetMs;
  // At least 5 runs, at most 200, within the budget; a query slower than the whole budget gets 3.
  const minimumRuns = () => ((samples[0] ?? 0) > budgetMs ? 3 : 5);
  while (samples.length < 200 && (performance.now() < deadline || samples.length < minimumRuns())) {
    if (write || setup.length > 0) sqlite.exec("BEGIN");
    for (const { statement, params } of preparedSetup) statement.all(...params);
    const started = performance.now();
    for (const { statement, params } of prepared) statement.all(...params);
    samples.push(performance.now() - started);
    if (write || setup.length > 0) sqlite.exec("ROLLBACK");
  }
  samples.sort((a, b) => a - b);
  return { runs: samples.length, median: percentile(samples, 50), p99: percentile(samples, 99) };
}

const results = [];
for (const query of QUERIES.filter((q) => q.name.includes(only))) {
  // Capture: run once through the shim, inside a transaction rolled back afterwards.
  sqlite.exec("BEGIN");
  captured.length = 0;
  await query.setup?.();
  const setup = captured.splice(0);
  await query.run();
  const statements = captured.splice(0);
  sqlite.exec("ROLLBACK");
  const plans = statements.map(planOf);
  const timing = timeStatements(statements, setup, query.write === true, 3000);
  results.push({
    name: query.name,
    statements: statements.length,
    ...timing,
    fullScans: plans.flatMap((plan, i) => fullScans(statements[i] as CapturedStatement, plan)),
    plan: plans.map((lines) => lines.join(" | ")),
    sql: statements.map((s) => s.sql.replace(/\s+/g, " ").trim()),
  });
  process.stderr.write(
    `[${label}] ${query.name}: median ${timing.median.toFixed(3)} ms, p99 ${timing.p99.toFixed(3)} ms\n`,
  );
}
sqlite.close();
process.stdout.write(
  `${JSON.stringify({ label, file, subjects: { ...subjects, tokenHash: "(a live session's hash)" }, results })}\n`,
);
