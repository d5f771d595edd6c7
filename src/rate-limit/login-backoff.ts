// Login back-off state of one account (SEC-12, SEC-55), kept in the RateLimiter object named after
// the account. Two kinds of counters live side by side:
//
// - per client (a device that signed in before, or else an IP bucket): the hard back-off. Five
//   failures are free, then each attempt locks this client out of this account for 2, 4, 8 …
//   seconds, up to an hour, and failures are remembered for a day. A guesser on one client gets a
//   few dozen guesses a day at this account, and nobody else is affected by its lock.
// - for the account as a whole, counting only clients without a device cookie: a slow-down, not a
//   lock. Past five failures in 15 minutes each attempt holds the next one off for at most a few
//   seconds, so strangers spread over many IPs are slowed while an owner signing in from a new
//   device waits seconds at worst, and an owner with a device cookie never waits for them at all.
//
// This is OWASP's "Slow down online guessing attacks with device cookies": per-device lockout for
// trusted clients, a throttle for untrusted ones, instead of one lock that strangers can hold.
// https://owasp.org/www-community/Slow_Down_Online_Guessing_Attacks_with_Device_Cookies
//
// Every function runs synchronously on the object's SQLite (see rate-limiter.ts for why that
// makes each decision exact under concurrency).

export interface BackoffPolicy {
  freeFailures: number;
  memorySeconds: number;
  maxLockSeconds: number;
}

export const CLIENT_BACKOFF: BackoffPolicy = { freeFailures: 5, memorySeconds: 24 * 60 * 60, maxLockSeconds: 60 * 60 };
export const ACCOUNT_SLOWDOWN: BackoffPolicy = { freeFailures: 5, memorySeconds: 15 * 60, maxLockSeconds: 4 };

/** The scope of the account-wide counter; client scopes are SHA-256 hex digests, never this. */
const ACCOUNT_SCOPE = "account";
const CLIENT_SCOPE_PATTERN = /^[0-9a-f]{64}$/;

const SECOND_MS = 1000;

export type BackoffResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Who is attempting: an opaque client key, and whether it holds a valid device cookie. */
export interface LoginClientScope {
  /** SHA-256 (hex) of the client's identity, so no IP address is stored in the object. */
  client: string;
  isTrustedDevice: boolean;
}

/** Lock length after the n-th attempt in the memory window: 0 up to the free ones, then 2, 4, 8 … capped. */
export function computeLockSeconds(policy: BackoffPolicy, attempts: number): number {
  if (attempts <= policy.freeFailures) return 0;
  return Math.min(2 ** (attempts - policy.freeFailures), policy.maxLockSeconds);
}

export function ensureLoginBackoffSchema(sql: SqlStorage): void {
  // The first version kept one account-wide counter in these tables; its state lasted 15 minutes.
  sql.exec("DROP TABLE IF EXISTS attempts");
  sql.exec("DROP TABLE IF EXISTS backoff_lock");
  sql.exec(
    `CREATE TABLE IF NOT EXISTS login_attempts (
       scope TEXT NOT NULL,
       expires_at INTEGER NOT NULL,
       outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'failed'))
     )`,
  );
  sql.exec("CREATE INDEX IF NOT EXISTS login_attempts_scope ON login_attempts (scope, expires_at)");
  sql.exec("CREATE TABLE IF NOT EXISTS login_locks (scope TEXT PRIMARY KEY, locked_until INTEGER NOT NULL)");
}

/**
 * Admits one attempt unless this client is locked out of the account or, for a client without a
 * device cookie, the account-wide slow-down is on. An admitted attempt is counted as a failure
 * right away (a pending row) and only a success forgives it: counting at check time, not when the
 * failure is reported, is what makes the back-off hold under concurrency (1,000 parallel guesses
 * would otherwise all pass before the first failure was recorded). An attempt whose outcome never
 * arrives stays counted (fail closed).
 */
export function admitLoginAttempt(sql: SqlStorage, scope: LoginClientScope, now: number): BackoffResult {
  forgetExpired(sql, now);
  const scopes = countedScopes(scope);
  const blockedUntil = Math.max(0, ...scopes.map(([name]) => readLockedUntil(sql, name)));
  if (blockedUntil > now) return { allowed: false, retryAfterSeconds: secondsUntil(blockedUntil, now) };
  for (const [name, policy] of scopes) insertAttempt(sql, name, policy, "pending", now);
  return { allowed: true };
}

/** Confirms the oldest pending attempt in each counted scope as failed, or counts a new failure. */
export function recordLoginFailure(sql: SqlStorage, scope: LoginClientScope, now: number): void {
  forgetExpired(sql, now);
  for (const [name, policy] of countedScopes(scope)) {
    const confirmed = sql.exec(
      `UPDATE login_attempts SET outcome = 'failed'
       WHERE rowid = (SELECT rowid FROM login_attempts WHERE scope = ? AND outcome = 'pending' ORDER BY expires_at LIMIT 1)`,
      name,
    ).rowsWritten;
    // A confirmed pending attempt was already counted (and locked for) when it was admitted.
    if (confirmed === 0) insertAttempt(sql, name, policy, "failed", now);
  }
}

/**
 * A success forgives this client's failures and lifts its lock. Strangers' failures on the
 * account are not forgiven by the owner's success; only this attempt's own account-wide count is
 * taken back.
 */
export function recordLoginSuccess(sql: SqlStorage, scope: LoginClientScope): void {
  countedScopes(scope);
  sql.exec("DELETE FROM login_attempts WHERE scope = ?", scope.client);
  sql.exec("DELETE FROM login_locks WHERE scope = ?", scope.client);
  if (!scope.isTrustedDevice) {
    sql.exec(
      `DELETE FROM login_attempts
       WHERE rowid = (SELECT rowid FROM login_attempts WHERE scope = ? AND outcome = 'pending' ORDER BY expires_at LIMIT 1)`,
      ACCOUNT_SCOPE,
    );
  }
}

/** A completed password reset proves the mailbox: every client's back-off and the slow-down end. */
export function liftLoginBackoff(sql: SqlStorage): void {
  sql.exec("DELETE FROM login_attempts");
  sql.exec("DELETE FROM login_locks");
}

/** Drops what no longer counts; used by the object's cleanup alarm too. */
export function forgetExpired(sql: SqlStorage, now: number): void {
  sql.exec("DELETE FROM login_attempts WHERE expires_at <= ?", now);
  sql.exec("DELETE FROM login_locks WHERE locked_until <= ?", now);
}

/** The latest time anything stored here stops counting, or null when nothing is stored. */
export function readLatestLoginExpiry(sql: SqlStorage): number | null {
  return sql
    .exec<{ latest: number | null }>(
      `SELECT MAX(latest) AS latest FROM (
         SELECT MAX(expires_at) AS latest FROM login_attempts
         UNION ALL SELECT MAX(locked_until) FROM login_locks
       )`,
    )
    .one().latest;
}

/** The client's own scope always; the account-wide one only for clients without a device cookie. */
function countedScopes(scope: LoginClientScope): [string, BackoffPolicy][] {
  if (!CLIENT_SCOPE_PATTERN.test(scope.client)) throw new RangeError("a client scope is a SHA-256 hex digest");
  const scopes: [string, BackoffPolicy][] = [[scope.client, CLIENT_BACKOFF]];
  if (!scope.isTrustedDevice) scopes.push([ACCOUNT_SCOPE, ACCOUNT_SLOWDOWN]);
  return scopes;
}

/** Counts a new attempt in `scope` and, past the free ones, locks the scope for the back-off length. */
function insertAttempt(
  sql: SqlStorage,
  scope: string,
  policy: BackoffPolicy,
  outcome: "pending" | "failed",
  now: number,
): void {
  sql.exec(
    "INSERT INTO login_attempts (scope, expires_at, outcome) VALUES (?, ?, ?)",
    scope,
    now + policy.memorySeconds * SECOND_MS,
    outcome,
  );
  const attempts = sql
    .exec<{ count: number }>("SELECT COUNT(*) AS count FROM login_attempts WHERE scope = ?", scope)
    .one().count;
  const lockSeconds = computeLockSeconds(policy, attempts);
  if (lockSeconds > 0) {
    sql.exec(
      `INSERT INTO login_locks (scope, locked_until) VALUES (?, ?)
       ON CONFLICT (scope) DO UPDATE SET locked_until = MAX(locked_until, excluded.locked_until)`,
      scope,
      now + lockSeconds * SECOND_MS,
    );
  }
}

function readLockedUntil(sql: SqlStorage, scope: string): number {
  const row = sql
    .exec<{ locked_until: number }>("SELECT locked_until FROM login_locks WHERE scope = ?", scope)
    .toArray()[0];
  return row?.locked_until ?? 0;
}

function secondsUntil(epochMs: number, now: number): number {
  return Math.max(1, Math.ceil((epochMs - now) / SECOND_MS));
}
