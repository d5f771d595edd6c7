// The Durable Object that keeps exact, global rate-limit counters and login back-off (SEC-9..13).
//
// One object per key (the caller uses idFromName(key)), so every isolate in every location that
// asks about the same key talks to the same single-threaded object and its private SQLite.
//
// Why this is exact under concurrency: an object handles one event at a time and only lets another
// in while it awaits I/O. Every method below makes its decision with ctx.storage.sql, which is
// synchronous, and writes the result before its first await, so the read-count-insert of one
// request can never interleave with another's; the only await (setAlarm) comes after the decision
// and is itself held by the input gate. No locks and no compare-and-set are needed.
// https://developers.cloudflare.com/durable-objects/api/sql-storage/
// https://blog.cloudflare.com/durable-objects-easy-fast-correct-choose-three/
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/** Login back-off policy (SEC-12): slows a guesser, never locks the owner out for long. */
export const FREE_LOGIN_FAILURES = 5;
const LOGIN_FAILURE_MEMORY_SECONDS = 15 * 60;
const LOGIN_BACKOFF_BASE = 2;
export const LOGIN_BACKOFF_MAX_SECONDS = 15 * 60;

const SECOND_MS = 1000;

export type ConsumeResult = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };
export type BackoffResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Lock length after the n-th failure in the memory window: 0 up to the free ones, then 2, 4, 8 … capped. */
export function computeLoginLockSeconds(failures: number): number {
  if (failures <= FREE_LOGIN_FAILURES) return 0;
  return Math.min(LOGIN_BACKOFF_BASE ** (failures - FREE_LOGIN_FAILURES), LOGIN_BACKOFF_MAX_SECONDS);
}

function secondsUntil(epochMs: number, now: number): number {
  return Math.max(1, Math.ceil((epochMs - now) / SECOND_MS));
}

export class RateLimiter extends DurableObject<Env> {
  /** False after alarm() deleted all storage (tables included) while this instance stayed in memory. */
  private hasSchema = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => this.ensureSchema());
  }

  /**
   * Sliding log: one row per admitted request, holding the time it stops counting. Chosen over a
   * fixed window because a fixed window admits up to twice the limit across a window boundary (5
   * logins at 14:59 and 5 more at 15:00); the log is exact, and since only admitted requests are
   * stored it never holds more than `limit` rows (all limits here are small).
   * A key always comes with the same policy (its name is part of the key).
   */
  async consume(limit: number, windowSeconds: number): Promise<ConsumeResult> {
    if (!Number.isInteger(limit) || limit < 1 || !Number.isFinite(windowSeconds) || windowSeconds <= 0) {
      throw new RangeError("consume() needs an integer limit >= 1 and a positive window");
    }
    this.ensureSchema();
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    sql.exec("DELETE FROM hits WHERE expires_at <= ?", now);
    const count = sql.exec<{ count: number }>("SELECT COUNT(*) AS count FROM hits").one().count;

    if (count >= limit) {
      // The slot frees when enough of the oldest hits expire to leave room for one more.
      const freesAt = sql
        .exec<{ expires_at: number }>("SELECT expires_at FROM hits ORDER BY expires_at LIMIT 1 OFFSET ?", count - limit)
        .one().expires_at;
      return { allowed: false, retryAfterSeconds: secondsUntil(freesAt, now) };
    }

    sql.exec("INSERT INTO hits (expires_at) VALUES (?)", now + windowSeconds * SECOND_MS);
    await this.scheduleCleanup();
    return { allowed: true, remaining: limit - count - 1 };
  }

  /**
   * Admits one login attempt unless the account is locked. An admitted attempt is counted as a
   * failure right away (a pending row) and only a success forgives it (reset). Counting at check
   * time, not when the failure is reported, is what makes the back-off hold under concurrency:
   * otherwise 1,000 parallel guesses from 1,000 IPs would all pass the check before the first
   * failure was recorded. An attempt whose outcome never arrives stays counted (fail closed).
   */
  async checkBackoff(): Promise<BackoffResult> {
    this.ensureSchema();
    const now = Date.now();
    this.forgetExpiredAttempts(now);
    const lockedUntil = this.readLockedUntil();
    if (lockedUntil !== null && lockedUntil > now) {
      return { allowed: false, retryAfterSeconds: secondsUntil(lockedUntil, now) };
    }
    this.insertAttempt("pending", now);
    await this.scheduleCleanup();
    return { allowed: true };
  }

  /** Confirms the oldest pending attempt as failed, or counts a new failure if none is pending. */
  async recordFailure(): Promise<void> {
    this.ensureSchema();
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    this.forgetExpiredAttempts(now);
    const confirmed = sql.exec(
      `UPDATE attempts SET outcome = 'failed'
       WHERE rowid = (SELECT rowid FROM attempts WHERE outcome = 'pending' ORDER BY expires_at LIMIT 1)`,
    ).rowsWritten;
    // A confirmed pending attempt was already counted (and locked for) when it was admitted.
    if (confirmed === 0) this.insertAttempt("failed", now);
    await this.scheduleCleanup();
  }

  /** A successful login forgets every failure and lifts the lock. */
  async reset(): Promise<void> {
    this.ensureSchema();
    this.ctx.storage.sql.exec("DELETE FROM attempts");
    this.ctx.storage.sql.exec("DELETE FROM backoff_lock");
  }

  /**
   * Forgets everything this object holds: hits, attempts, the lock and the alarm. Only the
   * development reset calls it (POST /dev/rate-limits/reset, 404 outside ENVIRONMENT=dev). The flag
   * is cleared before the awaits, as in alarm(), so a request that arrives meanwhile recreates the
   * tables instead of failing on a missing one.
   */
  async clear(): Promise<void> {
    this.hasSchema = false;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  /**
   * Cleanup, scheduled for when the last row expires: an idle object deletes all its storage, so
   * one object per IP or account ever seen does not accumulate.
   */
  override async alarm(): Promise<void> {
    this.ensureSchema();
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    sql.exec("DELETE FROM hits WHERE expires_at <= ?", now);
    this.forgetExpiredAttempts(now);
    sql.exec("DELETE FROM backoff_lock WHERE locked_until <= ?", now);
    if (this.readLatestExpiry() !== null) {
      await this.scheduleCleanup();
      return;
    }
    // deleteAll() drops the tables too; the flag is cleared before the await so a request that
    // arrives afterwards recreates them instead of failing on a missing table.
    this.hasSchema = false;
    await this.ctx.storage.deleteAll();
  }

  private ensureSchema(): void {
    if (this.hasSchema) return;
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS hits (expires_at INTEGER NOT NULL)");
    sql.exec(
      `CREATE TABLE IF NOT EXISTS attempts (
         expires_at INTEGER NOT NULL,
         outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'failed'))
       )`,
    );
    sql.exec(
      "CREATE TABLE IF NOT EXISTS backoff_lock (id INTEGER PRIMARY KEY CHECK (id = 1), locked_until INTEGER NOT NULL)",
    );
    this.hasSchema = true;
  }

  private forgetExpiredAttempts(now: number): void {
    this.ctx.storage.sql.exec("DELETE FROM attempts WHERE expires_at <= ?", now);
  }

  /** Counts a new attempt and, past the free ones, locks the account for the back-off length. */
  private insertAttempt(outcome: "pending" | "failed", now: number): void {
    const sql = this.ctx.storage.sql;
    sql.exec(
      "INSERT INTO attempts (expires_at, outcome) VALUES (?, ?)",
      now + LOGIN_FAILURE_MEMORY_SECONDS * SECOND_MS,
      outcome,
    );
    const failures = sql.exec<{ count: number }>("SELECT COUNT(*) AS count FROM attempts").one().count;
    const lockSeconds = computeLoginLockSeconds(failures);
    if (lockSeconds > 0) {
      sql.exec(
        `INSERT INTO backoff_lock (id, locked_until) VALUES (1, ?)
         ON CONFLICT (id) DO UPDATE SET locked_until = MAX(locked_until, excluded.locked_until)`,
        now + lockSeconds * SECOND_MS,
      );
    }
  }

  private readLockedUntil(): number | null {
    const row = this.ctx.storage.sql
      .exec<{ locked_until: number }>("SELECT locked_until FROM backoff_lock WHERE id = 1")
      .toArray()[0];
    return row?.locked_until ?? null;
  }

  private readLatestExpiry(): number | null {
    return this.ctx.storage.sql
      .exec<{ latest: number | null }>(
        `SELECT MAX(latest) AS latest FROM (
           SELECT MAX(expires_at) AS latest FROM hits
           UNION ALL SELECT MAX(expires_at) FROM attempts
           UNION ALL SELECT MAX(locked_until) FROM backoff_lock
         )`,
      )
      .one().latest;
  }

  private async scheduleCleanup(): Promise<void> {
    const latest = this.readLatestExpiry();
    if (latest !== null) await this.ctx.storage.setAlarm(latest);
  }
}
