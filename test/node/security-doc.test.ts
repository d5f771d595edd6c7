// docs/security.md is generated from the requirements table and the test titles
// (scripts/docs/security.mjs); these tests keep the committed page true to the tests of the tree.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildSecurityPage, PAGE_PATH } from "../../scripts/docs/security.mjs";
import { SECTIONS } from "../../scripts/docs/security-requirements.mjs";
import { readTestTitles } from "../../scripts/docs/test-titles.mjs";

const root = path.resolve(import.meta.dirname, "..", "..");

describe("docs/security.md", () => {
  const page = buildSecurityPage(root);

  it("is what npm run docs:security generates (not stale)", () => {
    const committed = readFileSync(path.join(root, PAGE_PATH), "utf8");
    expect(committed === page.markdown, `${PAGE_PATH} is stale: run npm run docs:security and commit it`).toBe(true);
  });

  it("names a test for every requirement that is not planned", () => {
    expect(page.untested.map((id) => `SEC-${id}`)).toEqual([]);
  });

  it("finds no test title citing a SEC id that is not a requirement", () => {
    expect(page.unknownInTests).toEqual([]);
  });
});

describe("the requirements table", () => {
  it("holds the requirement ids 1 to 81, each once and in order", () => {
    const ids = SECTIONS.flatMap((section) => section.requirements.map((requirement) => requirement.id));
    expect(ids).toEqual(Array.from({ length: 81 }, (_, index) => index + 1));
  });
});

describe("readTestTitles", () => {
  it("reads string and template titles of it, test and describe with their modifiers, and no other call", () => {
    const source = [
      'describe("SEC-1 group", () => {',
      '  // it("SEC-2 in a comment")',
      "  it('SEC-3 single quotes', () => {});",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal title
      "  it.skip(`SEC-4 for ${label} and ${fn({ a: `nested` })}`, () => {});",
      "  test.each([[1], [2]])(",
      '    "SEC-5 table %s",',
      "    () => {},",
      "  );",
      '  it.skipIf(!ok)("SEC-6 conditional", () => expect(/it\\("SEC-7"/.test(x)).toBe(true));',
      '  console.info("SEC-8 a log line");',
      '  expect.it("SEC-9 not a test");',
      "  it(title, () => {});",
      "});",
    ].join("\n");

    expect(readTestTitles(source)).toEqual([
      { kind: "describe", title: "SEC-1 group", line: 1 },
      { kind: "it", title: "SEC-3 single quotes", line: 3 },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a template title keeps its expressions as written
      { kind: "it", title: "SEC-4 for ${label} and ${fn({ a: `nested` })}", line: 4 },
      { kind: "test", title: "SEC-5 table %s", line: 6 },
      { kind: "it", title: "SEC-6 conditional", line: 9 },
    ]);
  });
});
