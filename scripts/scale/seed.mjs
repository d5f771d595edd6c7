#!/usr/bin/env node
// `npm run scale:seed`: a local D1 at realistic size, for the at-size bench (bench/scale) and for
// trying `wrangler dev` against a big database (docs/scaling.md).
//
// The schema is the real one: wrangler applies migrations/ to a fresh local D1 first (so its
// d1_migrations table is filled and `wrangler dev --persist-to <dir>` accepts the file), then this
// script opens the SQLite file wrangler created with node:sqlite and generates the rows inside
// SQLite (recursive CTEs), which is ~100x faster than inserting through the binding.
//
// Options: --scale F        multiply every size by F (default 1: 1M users, 100k organizations,
//                           2M sessions, 10M usage rows, 5M audit rows, 1M notes); 0.01 for a quick run
//          --persist-to DIR wrangler's persist directory (default .wrangler/scale, so the developer's
//                           .wrangler/state database is never replaced); the file lands in
//                           DIR/v3/d1/miniflare-D1DatabaseObject/<id>.sqlite, wrangler's own layout
//
// Distributions (deterministic: every "random" value is a hash of the row number, so two seeds at
// one scale are the same database): every organization has an owner; the other users go to
// organizations with a cubic skew, so the largest tenant holds ~2% of all users and the smallest
// a handful; usage and audit rows follow their users with a quadratic skew (a few heavy users);
// 90% of organizations are on the free plan; 10% of sessions are expired, waiting for the prune.
//
// Row ids are UUID-shaped (36 characters) with a scrambled prefix, so primary keys are inserted
// in random order as crypto.randomUUID() ids are. Indexes are dropped before the bulk load and
// re-created from their own migration SQL afterwards (a sorted build, much faster than random
// inserts); the resulting b-trees are denser than ones grown by random inserts, so the file is a
// little smaller than the same rows written by the worker (docs/scaling.md uses a 1.3x factor).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";

const root = path.resolve(import.meta.dirname, "..", "..");
const { values: flags } = parseArgs({
  options: {
    scale: { type: "string", default: "1" },
    "persist-to": { type: "string", default: path.join(".wrangler", "scale") },
  },
});

const scale = Number(flags.scale);
if (!Number.isFinite(scale) || scale <= 0 || scale > 1) throw new Error("--scale takes a number in (0, 1]");
const persistTo = path.resolve(root, flags["persist-to"]);
if (persistTo === path.resolve(root, ".wrangler", "state")) {
  console.warn("seeding wrangler's default persist directory: the local dev database there is replaced");
}

const size = (n) => Math.max(10, Math.round(n * scale));
export const SIZES = {
  organizations: size(100_000),
  users: size(1_000_000),
  sessions: size(2_000_000),
  usage: size(10_000_000),
  audit: size(5_000_000),
  notes: size(1_000_000),
};

const DAY = 86_400_000;
const NOW = Date.now();
const started = performance.now();
const log = (message) => console.log(`[scale:seed ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);

/** Applies the real migrations to a fresh local D1 in persistTo and returns its SQLite file. */
function createMigratedDatabase() {
  rmSync(path.join(persistTo, "v3", "d1"), { recursive: true, force: true });
  const wrangler = path.join(root, "node_modules", ".bin", "wrangler");
  const run = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, CI: "1", WRANGLER_LOG: "warn" },
  });
  if (run.status !== 0) throw new Error(`wrangler d1 migrations apply failed (${run.status})`);
  const dir = path.join(persistTo, "v3", "d1", "miniflare-D1DatabaseObject");
  const files = existsSync(dir)
    ? readdirSync(dir).filter((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite")
    : [];
  if (files.length !== 1) throw new Error(`expected one .sqlite file in ${dir}, found ${files.length}`);
  return path.join(dir, files[0]);
}

// A deterministic pseudo-random fraction in [0, 1) of an integer SQL expression (Knuth's
// multiplicative hash modulo a prime; `salt` decorrelates the draws of one row).
const frac = (expr, salt) => `((((${expr}) + ${salt}) * 2654435761) % 1000003) / 1000003.0`;
// A UUID-shaped id for index `expr` of a table: unique (the last group is the index), scrambled prefix.
const uuid = (expr, tag) =>
  `printf('%08x-%04x-4%03x-a%03x-%012x', ((${expr}) * 2654435761) % 4294967296, ${tag}, ((${expr}) * 40503) % 4096, ((${expr}) * 9973) % 4096, ${expr})`;
const hex = (bytes) => `lower(hex(randomblob(${bytes})))`;
// Integers 1..n; SQLite's recursive CTE produces them without any row leaving the engine.
const series = (n) => `WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${n}) `;

/** The INSERT ... SELECT statements that fill the daily usage rollups, from the migration that adds them. */
function rollupBackfill() {
  const dir = path.join(root, "migrations");
  return readdirSync(dir)
    .filter((name) => name.endsWith(".sql"))
    .flatMap((name) => readFileSync(path.join(dir, name), "utf8").split("--> statement-breakpoint"))
    .filter((statement) => /INSERT INTO `llm_usage_daily(_org)?`/.test(statement));
}

function seed(db) {
  const { organizations: O, users: U, sessions: S, usage: L, audit: A, notes: N } = SIZES;

  // Drop the large tables' indexes for the load; re-created below from the migrations' own SQL.
  const indexes = db
    .prepare(
      `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
        AND tbl_name IN ('organization', 'user', 'session', 'llm_usage_log', 'audit_log', 'note', 'ai_account', 'usage_counter')`,
    )
    .all();
  for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`);
  // The daily-rollup triggers too: one backfill after the load is far faster than 10M trigger runs.
  const triggers = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all();
  for (const { name } of triggers) db.exec(`DROP TRIGGER "${name}"`);

  db.exec("BEGIN");
  db.exec(
    `${series(O)}INSERT INTO organization (id, name, created_at, plan_id, stripe_customer_id, subscription_status,
       current_period_start, current_period_end, credit_balance_tokens)
     SELECT ${uuid("n", 1)}, 'Organization ' || n, ${NOW} - CAST(${frac("n", 1)} * 1000 AS INTEGER) * ${DAY},
       CASE WHEN ${frac("n", 2)} < 0.9 THEN NULL WHEN ${frac("n", 2)} < 0.99 THEN 'plan_professional' ELSE 'plan_premium' END,
       CASE WHEN ${frac("n", 2)} < 0.9 THEN NULL ELSE 'cus_' || ${hex(7)} END,
       CASE WHEN ${frac("n", 2)} < 0.9 THEN NULL ELSE 'active' END,
       CASE WHEN ${frac("n", 2)} < 0.9 THEN NULL ELSE ${NOW - 10 * DAY} END,
       CASE WHEN ${frac("n", 2)} < 0.9 THEN NULL ELSE ${NOW + 20 * DAY} END,
       CASE WHEN ${frac("n", 3)} < 0.05 THEN 100000 ELSE 0 END
     FROM s`,
  );
  log(`organization: ${O}`);

  // User n <= O owns organization n; the rest land with a cubic skew towards low organization numbers.
  db.exec(
    `${series(U)}INSERT INTO user (id, email, password_hash, first_name, last_name,
       email_verified_at, created_at, updated_at)
     SELECT ${uuid("n", 2)},
       'user' || n || '@example' || (n % 997) || '.com',
       '$argon2id$v=19$m=19456,t=2,p=1$' || substr(${hex(16)}, 1, 22) || '$' || substr(${hex(32)}, 1, 43),
       'First' || (n % 5000), 'Last' || (n % 7919),
       ${NOW} - ${DAY}, ${NOW} - CAST(${frac("n", 6)} * 900 AS INTEGER) * ${DAY}, ${NOW} - ${DAY}
     FROM s`,
  );
  log(`user: ${U}`);

  // One membership per user (user n is the user row n).
  db.exec(
    `${series(U)}INSERT INTO membership (user_id, organization_id, role, created_at, last_active_at)
     SELECT (SELECT id FROM user WHERE rowid = n),
       (SELECT id FROM organization WHERE rowid = (CASE WHEN n <= ${O} THEN n
          ELSE 1 + CAST(${frac("n", 4)} * ${frac("n", 4)} * ${frac("n", 4)} * ${O} AS INTEGER) END)),
       CASE WHEN n <= ${O} THEN 'org_admin' WHEN ${frac("n", 5)} < 0.1 THEN 'readonly' ELSE 'member' END,
       ${NOW} - ${DAY}, ${NOW} - ${DAY}
     FROM s`,
  );
  log(`membership: ${U}`);

  db.exec(
    `${series(S)}INSERT INTO session (id, token_hash, user_id, active_organization_id, created_at, expires_at, user_agent, ip)
     SELECT ${uuid("n", 3)}, ${hex(32)}, m.user_id, m.organization_id,
       ${NOW} - CAST(${frac("n", 8)} * ${DAY} AS INTEGER),
       ${NOW} + CAST((${frac("n", 8)} - 0.1) * ${DAY} AS INTEGER),
       'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
       '203.0.' || (n % 256) || '.' || (n % 251)
     FROM s JOIN membership m ON m.rowid = 1 + CAST(${frac("n", 7)} * ${U} AS INTEGER)`,
  );
  log(`session: ${S}`);

  // Membership n is user n's (one each, above), so its rowid picks a user and their organization.
  // Usage follows its user (quadratic skew: a few heavy users), over the last 400 days.
  db.exec(
    `${series(L)}INSERT INTO llm_usage_log (organization_id, user_id, reservation_id, settlement_id, provider, model,
       bucket, tokens, input_tokens, output_tokens, cost_usd, period_start, created_at, reclaimed)
     SELECT m.organization_id, m.user_id, ${uuid("n", 4)}, ${uuid("n", 5)}, 'openai', 'gpt-4.1-mini',
       CASE WHEN ${frac("n", 10)} < 0.9 THEN 'allotment' WHEN ${frac("n", 10)} < 0.97 THEN 'credits' ELSE 'overage' END,
       t.tokens, t.tokens * 3 / 4, t.tokens - t.tokens * 3 / 4, t.tokens * 0.0000007,
       CAST(strftime('%s', t.created / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000, t.created, 0
     FROM (SELECT n, 1 + CAST(${frac("n", 9)} * ${frac("n", 9)} * ${U} AS INTEGER) AS user_rowid,
             200 + CAST(${frac("n", 11)} * 3000 AS INTEGER) AS tokens,
             ${NOW} - CAST(${frac("n", 12)} * 400 * ${DAY} AS INTEGER) AS created FROM s) AS t
     JOIN membership m ON m.rowid = t.user_rowid`,
  );
  log(`llm_usage_log: ${L}`);

  const actions = ["auth.login", "auth.logout", "note.create", "note.update", "member.invite", "auth.password_reset"];
  db.exec(
    `${series(A)}INSERT INTO audit_log (organization_id, actor_user_id, target, action, ip, details, created_at)
     SELECT m.organization_id, m.user_id, 'user:' || m.user_id,
       CASE t.n % ${actions.length} ${actions.map((a, i) => `WHEN ${i} THEN '${a}'`).join(" ")} END,
       '203.0.' || (t.n % 256) || '.' || (t.n % 251), '{"user_agent":"Mozilla/5.0","method":"password"}', t.created
     FROM (SELECT n, 1 + CAST(${frac("n", 13)} * ${frac("n", 13)} * ${U} AS INTEGER) AS user_rowid,
             ${NOW} - CAST(${frac("n", 14)} * 400 * ${DAY} AS INTEGER) AS created FROM s) AS t
     JOIN membership m ON m.rowid = t.user_rowid`,
  );
  log(`audit_log: ${A}`);

  db.exec(
    `${series(N)}INSERT INTO note (id, organization_id, created_by_user_id, title, content, created_at, updated_at, quota_period_start)
     SELECT ${uuid("t.n", 6)}, m.organization_id, m.user_id, 'Note ' || t.n,
       substr('Meeting notes: the quarterly plan, the hiring pipeline, the incident review and the follow-ups agreed with the customer. ', 1, 60 + t.n % 60) || ${hex(64)},
       t.created, t.created, NULL
     FROM (SELECT n, 1 + CAST(${frac("n", 15)} * ${frac("n", 15)} * ${U} AS INTEGER) AS user_rowid,
             ${NOW} - CAST(${frac("n", 16)} * 400 * ${DAY} AS INTEGER) AS created FROM s) AS t
     JOIN membership m ON m.rowid = t.user_rowid`,
  );
  log(`note: ${N}`);

  // One AI account and one note counter per organization, in the current month.
  const month = Date.UTC(new Date(NOW).getUTCFullYear(), new Date(NOW).getUTCMonth(), 1);
  db.exec(
    `INSERT INTO ai_account (organization_id, period_start, allotment_used, overage_used, reserved_tokens, updated_at)
     SELECT id, ${month}, rowid % 40000, 0, 0, ${NOW} FROM organization`,
  );
  db.exec(
    `INSERT INTO usage_counter (organization_id, feature, period_start, used)
     SELECT id, 'max_notes', ${month}, rowid % 10 FROM organization`,
  );
  db.exec("COMMIT");
  log("ai_account, usage_counter: one per organization");

  for (const { name, sql } of indexes) {
    db.exec(sql);
    log(`index ${name}`);
  }
  // What the triggers would have summed, by the backfill statements of their own migration.
  for (const statement of rollupBackfill()) db.exec(statement);
  for (const { name, sql } of triggers) {
    db.exec(sql);
    log(`trigger ${name}`);
  }
  // No ANALYZE: a D1 database has no sqlite_stat1 unless someone runs it, so the planner here
  // chooses as production's does.
}

const file = createMigratedDatabase();
log(`migrations applied by wrangler: ${path.relative(root, file)}`);
const db = new DatabaseSync(file);
// A throwaway bulk load: no rollback journal or fsync (a crash means re-running the seed).
const journal = db.prepare("PRAGMA journal_mode").get().journal_mode;
db.exec(
  "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000; PRAGMA temp_store = MEMORY",
);
seed(db);
db.exec(`PRAGMA journal_mode = ${journal}`);
db.close();
const seconds = (performance.now() - started) / 1000;
const bytes = statSync(file).size;
console.log(
  JSON.stringify(
    { file: path.relative(root, file), scale, sizes: SIZES, seconds: Number(seconds.toFixed(1)), bytes },
    null,
    2,
  ),
);
