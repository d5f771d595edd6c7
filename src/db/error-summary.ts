// What a log line may say about an error (SEC-63). drizzle's DrizzleQueryError puts the bound
// parameters (emails, token hashes) into its message ("Failed query: …\nparams: …", see
// drizzle-orm/errors.js), and D1's own messages can quote a bound value (D1_TYPE_ERROR). So a
// database error is logged by its code and the statement's shape only, never by its message.
import { DrizzleQueryError } from "drizzle-orm";

const CODE = /\b(SQLITE_[A-Z_]+|D1_[A-Z_]+)\b/;
/** SQLite's extended code is the more precise one ("D1_ERROR: … : SQLITE_CONSTRAINT_UNIQUE"). */
const SQLITE_CODE = /\bSQLITE_[A-Z_]+\b/;
/** Names columns or a constraint, never a value (SQLite's wording). */
const CONSTRAINT = /\b(UNIQUE|PRIMARY KEY|FOREIGN KEY|NOT NULL|CHECK) constraint failed(?:: ([\w.]+(?:, [\w.]+)*))?/;
const STATEMENT_MAX = 300;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The SQL with every literal replaced by `?`: the statement's shape, whatever a caller inlined. */
export function statementShape(sql: string): string {
  const shape = sql
    .replace(/'(?:[^']|'')*'/g, "?")
    .replace(/\?\d+/g, "?")
    .replace(/\b\d+(?:\.\d+)?\b/g, "?")
    .replace(/\s+/g, " ")
    .trim();
  return shape.length > STATEMENT_MAX ? `${shape.slice(0, STATEMENT_MAX)}…` : shape;
}

function isDatabaseError(error: unknown): boolean {
  if (error instanceof DrizzleQueryError) return true;
  const cause = error instanceof Error ? error.cause : undefined;
  return CODE.test(messageOf(error)) || (cause !== undefined && CODE.test(messageOf(cause)));
}

/** The stack's frames without its first line, which repeats the message. */
function framesOf(error: Error): string | undefined {
  return error.stack
    ?.split("\n")
    .filter((line) => line.trimStart().startsWith("at "))
    .join("\n");
}

/**
 * Log fields for `error`: a database error as `error` (its kind), `db_code`, `constraint` and
 * `statement` (shape only) with its stack frames; anything else as `name: message` with its stack.
 */
export function summarizeError(error: unknown): Record<string, unknown> {
  if (!isDatabaseError(error)) {
    return error instanceof Error
      ? { error: `${error.name}: ${error.message}`, stack: error.stack }
      : { error: String(error) };
  }
  const cause = error instanceof Error ? error.cause : undefined;
  const text = cause === undefined ? messageOf(error) : `${messageOf(error)} ${messageOf(cause)}`;
  const constraint = CONSTRAINT.exec(text);
  return {
    error: "database_error",
    db_code: SQLITE_CODE.exec(text)?.[0] ?? CODE.exec(text)?.[1] ?? null,
    constraint: constraint ? [constraint[1], constraint[2]].filter(Boolean).join(": ") : null,
    statement: error instanceof DrizzleQueryError ? statementShape(error.query) : null,
    stack: error instanceof Error ? framesOf(error) : undefined,
  };
}
