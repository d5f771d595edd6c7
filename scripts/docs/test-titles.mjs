// Reads the titles of vitest's it()/test()/describe() calls out of TypeScript test files without a
// parser dependency: a small lexer that knows comments, strings, template literals (with nested
// `${...}` code) and regular expressions, then a match on the tokens of `it(`, `it.skip(`,
// `it.each(table)(`... whose first argument is a string or template literal.

/** @typedef {{ type: "ident" | "punct" | "string" | "template" | "regex" | "number"; value: string; start: number }} Token */
/** @typedef {{ kind: "it" | "test" | "describe"; title: string; line: number }} TestTitle */

const TEST_FUNCTIONS = new Set(["it", "test", "describe"]);
/** Modifiers written `it.only(...)`: the next call holds the title. */
const PLAIN_MODIFIERS = new Set(["only", "skip", "todo", "concurrent", "sequential", "fails", "shuffle"]);
/** Modifiers written `it.each(table)(...)`: their own arguments come first, then the title's call. */
const CALLED_MODIFIERS = new Set(["each", "for", "skipIf", "runIf"]);
/** After these words a `/` starts a regular expression rather than a division. */
const KEYWORDS_BEFORE_EXPRESSION = new Set(
  "return typeof case do else in of new delete void throw instanceof yield await".split(" "),
);

/**
 * Lexes `source` from `start`. With `untilUnmatchedBrace` it stops after the `}` that closes a
 * template literal's `${`, and returns the index after it as `end`.
 * @param {string} source
 * @param {number} start
 * @param {boolean} untilUnmatchedBrace
 * @returns {{ tokens: Token[]; end: number }}
 */
function lex(source, start, untilUnmatchedBrace) {
  /** @type {Token[]} */
  const tokens = [];
  let depth = 0;
  let pos = start;

  const slashStartsRegex = () => {
    const previous = tokens.at(-1);
    if (!previous) return true;
    if (previous.type === "ident") return KEYWORDS_BEFORE_EXPRESSION.has(previous.value);
    if (previous.type === "punct") return previous.value !== ")" && previous.value !== "]";
    return false;
  };
  const endOfQuoted = (quote) => {
    let i = pos + 1;
    while (i < source.length && source[i] !== quote && source[i] !== "\n") i += source[i] === "\\" ? 2 : 1;
    return i + 1;
  };
  const endOfRegex = () => {
    let i = pos + 1;
    let inClass = false;
    while (i < source.length && source[i] !== "\n") {
      const char = source[i];
      if (char === "\\") i++;
      else if (char === "[") inClass = true;
      else if (char === "]") inClass = false;
      else if (char === "/" && !inClass) break;
      i++;
    }
    i++;
    while (i < source.length && /[a-z]/i.test(source[i])) i++;
    return i;
  };
  const endOfTemplate = () => {
    let i = pos + 1;
    while (i < source.length && source[i] !== "`") {
      if (source[i] === "\\") i += 2;
      else if (source[i] === "$" && source[i + 1] === "{") i = lex(source, i + 2, true).end;
      else i++;
    }
    return i + 1;
  };
  const push = (type, value, end) => {
    tokens.push({ type, value, start: pos });
    pos = end;
  };

  while (pos < source.length) {
    const char = source[pos];
    const next = source[pos + 1];
    if (/\s/.test(char)) {
      pos++;
    } else if (char === "/" && next === "/") {
      const end = source.indexOf("\n", pos);
      pos = end === -1 ? source.length : end;
    } else if (char === "/" && next === "*") {
      const end = source.indexOf("*/", pos + 2);
      pos = end === -1 ? source.length : end + 2;
    } else if (char === '"' || char === "'") {
      const end = endOfQuoted(char);
      push("string", unescapeString(source.slice(pos + 1, end - 1)), end);
    } else if (char === "`") {
      const end = endOfTemplate();
      push("template", source.slice(pos + 1, end - 1), end);
    } else if (char === "/" && slashStartsRegex()) {
      const end = endOfRegex();
      push("regex", source.slice(pos, end), end);
    } else if (/[A-Za-z_$]/.test(char)) {
      const word = /^[A-Za-z0-9_$]+/.exec(source.slice(pos, pos + 256))?.[0] ?? char;
      push("ident", word, pos + word.length);
    } else if (/[0-9]/.test(char)) {
      const number = /^[0-9A-Za-z_.]+/.exec(source.slice(pos, pos + 64))?.[0] ?? char;
      push("number", number, pos + number.length);
    } else {
      if (char === "{") depth++;
      if (char === "}") {
        if (untilUnmatchedBrace && depth === 0) return { tokens, end: pos + 1 };
        depth--;
      }
      push("punct", char, pos + 1);
    }
  }
  return { tokens, end: pos };
}

/**
 * @param {string} source
 * @returns {Token[]}
 */
function tokenize(source) {
  return lex(source, 0, false).tokens;
}

/** @param {string} raw the text between a string literal's quotes */
function unescapeString(raw) {
  const named = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", v: "\v", 0: "\0" };
  return raw.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\n|.)/g, (_, escaped) => {
    if (escaped.startsWith("u{")) return String.fromCodePoint(Number.parseInt(escaped.slice(2, -1), 16));
    if (/^[ux][0-9a-fA-F]/.test(escaped)) return String.fromCharCode(Number.parseInt(escaped.slice(1), 16));
    if (escaped === "\n") return "";
    return named[escaped] ?? escaped;
  });
}

/**
 * The index just after the `)` that closes the `(` at `open`, or -1.
 * @param {Token[]} tokens
 * @param {number} open
 */
function indexAfterClosingParen(tokens, open) {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.type !== "punct") continue;
    if (token.value === "(") depth++;
    if (token.value === ")" && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * The titles of every it()/test()/describe() call in `source` whose title is a literal, in order.
 * Template titles keep their `${...}` expressions as written.
 * @param {string} source
 * @returns {TestTitle[]}
 */
export function readTestTitles(source) {
  const tokens = tokenize(source);
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === "\n") lineStarts.push(i + 1);
  const lineOf = (offset) => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (lineStarts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  };

  /** @type {TestTitle[]} */
  const titles = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.type !== "ident" || !TEST_FUNCTIONS.has(token.value)) continue;
    const before = tokens[i - 1];
    if (before && before.type === "punct" && before.value === ".") continue; // `foo.it(`, `expect.test(`
    let j = i + 1;
    while (tokens[j]?.value === "." && tokens[j + 1]?.type === "ident") {
      const modifier = tokens[j + 1].value;
      j += 2;
      if (CALLED_MODIFIERS.has(modifier) && tokens[j]?.value === "(") j = indexAfterClosingParen(tokens, j);
      else if (!PLAIN_MODIFIERS.has(modifier)) j = -1;
      if (j === -1) break;
    }
    if (j === -1 || tokens[j]?.value !== "(") continue;
    const first = tokens[j + 1];
    if (first?.type !== "string" && first?.type !== "template") continue;
    titles.push({
      kind: /** @type {TestTitle["kind"]} */ (token.value),
      title: first.value.replace(/\s+/g, " ").trim(),
      line: lineOf(first.start),
    });
  }
  return titles;
}
