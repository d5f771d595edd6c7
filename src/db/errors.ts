// Recognizes the D1 errors callers turn into answers (a lost race on a UNIQUE index, …).

/** D1 reports a UNIQUE index conflict only in the message text (sometimes of the cause). */
export function isUniqueViolation(error: unknown): boolean {
  const text = String(error instanceof Error && error.cause ? `${error.message} ${String(error.cause)}` : error);
  return text.includes("UNIQUE constraint failed");
}
