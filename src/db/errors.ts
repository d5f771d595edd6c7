// Recognizes the D1 errors callers turn into answers (a lost race on a UNIQUE index, …).

/** D1 reports a UNIQUE index conflict only in the message text (sometimes of the cause). */
export function isUniqueViolation(error: unknown): boolean {
  return errorText(error).includes("UNIQUE constraint failed");
}

/** A row still referenced elsewhere (e.g. an organization that gained a member meanwhile). */
export function isForeignKeyViolation(error: unknown): boolean {
  return errorText(error).includes("FOREIGN KEY constraint failed");
}

function errorText(error: unknown): string {
  return String(error instanceof Error && error.cause ? `${error.message} ${String(error.cause)}` : error);
}
