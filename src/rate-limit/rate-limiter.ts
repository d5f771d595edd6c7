// The Durable Object that keeps exact, global rate-limit counters and login back-off (SEC-9..13, SEC-55).
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
import {
  type BackoffResult,
  type LoginClientScope,
  admitLoginAttempt,
  ensureLoginBackoffSchema,
  forgetExpired,
  liftLoginBackoff,
  readLatestLoginExpiry,
  recordLoginFailure,
  recordLoginSuccess,
} from "./login-backoff";

const SECOND_MS = 1000;

export type ConsumeResult = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };
export type { BackoffResult, LoginClientScope } from "./login-backoff";

function secondsUntil(epochMs: number, now: number): number {
  return Math.max(1, Math.ceil((epochMs - now) / SECOND_MS));
}

// The object reads no binding, so it takes none by type: env.ts names this class for its namespace,
// and importing Env back here would make the two modules a cycle.
export class RateLimiter extends DurableObject<unknown> {
  /**
   * Whether this instance has made sure its tables exist; false after alarm() deleted all storage
   * (tables included) while this instance stayed in memory. Every method calls ensureSchema()
   * synchronously before its first statement, so no constructor-time blockConcurrencyWhile is
   * needed: a new object (the per-IP limiter of every never-seen IP) then writes its schema and its
   * first row in one implicit transaction instead of two (docs/decisions/perf.md, "The sign-in path").
   */
  private hasSchema = false;

  /**
   * Whether this instance has set the cleanup alarm since it last fired (or was cleared). One alarm
   * is enough: set for the latest expiry at that time, it finds any later rows when it runs and
   * sets itself again (alarm()), so the other calls of a busy object skip the storage write. A new
   * instance starts at false and sets it once more, which only moves the alarm later.
   */
  private hasCleanupAlarm = false;

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

  /** One login attempt on this object's account (login-backoff.ts); the scope names the client. */
  async admitLoginAttempt(scope: LoginClientScope): Promise<BackoffResult> {
    this.ensureSchema();
    const result = admitLoginAttempt(this.ctx.storage.sql, scope, Date.now());
    if (result.allowed) await this.scheduleCleanup();
    return result;
  }

  async recordLoginFailure(scope: LoginClientScope): Promise<void> {
    this.ensureSchema();
    recordLoginFailure(this.ctx.storage.sql, scope, Date.now());
    await this.scheduleCleanup();
  }

  async recordLoginSuccess(scope: LoginClientScope): Promise<void> {
    this.ensureSchema();
    recordLoginSuccess(this.ctx.storage.sql, scope);
  }

  async liftLoginBackoff(): Promise<void> {
    this.ensureSchema();
    liftLoginBackoff(this.ctx.storage.sql);
  }

  /**
   * Forgets everything this object holds: hits, attempts, the lock and the alarm. Only the
   * development reset calls it (POST /dev/rate-limits/reset, 404 outside ENVIRONMENT=dev). The flag
   * is cleared before the awaits, as in alarm(), so a request that arrives meanwhile recreates the
   * tables instead of failing on a missing one.
   */
  async clear(): Promise<void> {
    this.hasSchema = false;
    this.hasCleanupAlarm = false;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  /**
   * Cleanup, scheduled for when the last row expires: an idle object deletes all its storage, so
   * one object per IP or account ever seen does not accumulate.
   */
  override async alarm(): Promise<void> {
    this.hasCleanupAlarm = false;
    this.ensureSchema();
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    sql.exec("DELETE FROM hits WHERE expires_at <= ?", now);
    forgetExpired(sql, now);
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
    ensureLoginBackoffSchema(sql);
    this.hasSchema = true;
  }

  private readLatestExpiry(): number | null {
    const sql = this.ctx.storage.sql;
    const hits = sql.exec<{ latest: number | null }>("SELECT MAX(expires_at) AS latest FROM hits").one().latest;
    const login = readLatestLoginExpiry(sql);
    if (hits === null) return login;
    return login === null ? hits : Math.max(hits, login);
  }

  private async scheduleCleanup(): Promise<void> {
    if (this.hasCleanupAlarm) return;
    const latest = this.readLatestExpiry();
    if (latest === null) return;
    // Set before the await: a call that runs meanwhile (the input gate lets it in) needs no second alarm.
    this.hasCleanupAlarm = true;
    await this.ctx.storage.setAlarm(latest);
  }
}
