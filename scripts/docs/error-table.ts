// The table of docs/errors.md, rendered from the error table (src/errors.ts) so the page cannot
// drift from the code: test/node/errors-doc.test.ts compares them and rewrites the page with -u.
import { ERRORS, type ErrorCode } from "../../src/errors.ts";

const TABLE_START = "<!-- error-table:start (generated from src/errors.ts; do not edit by hand) -->";
const TABLE_END = "<!-- error-table:end -->";

/** One row per code, by status then in the table's order: `| status | code | meaning |`. */
export function renderErrorTable(): string {
  const codes = (Object.keys(ERRORS) as ErrorCode[]).sort((a, b) => ERRORS[a].status - ERRORS[b].status);
  const rows = codes.map((code) => `| ${ERRORS[code].status} | \`${code}\` | ${ERRORS[code].description} |`);
  return ["| status | code | meaning |", "|---|---|---|", ...rows].join("\n");
}

/** The page with the text between its markers replaced by the current table. */
export function withErrorTable(page: string): string {
  const start = page.indexOf(TABLE_START);
  const end = page.indexOf(TABLE_END);
  if (start === -1 || end < start) throw new Error(`the page has no ${TABLE_START} … ${TABLE_END} markers`);
  return `${page.slice(0, start + TABLE_START.length)}\n${renderErrorTable()}\n${page.slice(end)}`;
}
