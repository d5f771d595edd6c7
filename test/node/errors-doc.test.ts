// docs/errors.md shows the error table of src/errors.ts: this fails when the page is stale, and
// `npx vitest run --config vitest.node.config.ts test/node/errors-doc.test.ts -u` rewrites it.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERRORS } from "../../src/errors.ts";
import { renderErrorTable, withErrorTable } from "../../scripts/docs/error-table.ts";

const PAGE = fileURLToPath(new URL("../../docs/errors.md", import.meta.url));

describe("docs/errors.md", () => {
  it("holds the table generated from the error table, every code with its one status", async () => {
    await expect(withErrorTable(readFileSync(PAGE, "utf8"))).toMatchFileSnapshot(PAGE);
  });

  it("renders one row per code, so a code added to src/errors.ts reaches the page", () => {
    const rows = renderErrorTable().split("\n").slice(2);
    expect(rows.map((row) => row.split(" | ")[1])).toEqual(
      expect.arrayContaining(Object.keys(ERRORS).map((code) => `\`${code}\``)),
    );
    expect(rows).toHaveLength(Object.keys(ERRORS).length);
  });
});
