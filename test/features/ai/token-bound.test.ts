// SEC-59: the reservation is an upper bound of the input tokens a provider can bill. The bound is
// checked against the real tokenizer of the default OpenAI model (o200k_base, gpt-4.1-mini's
// encoding, from gpt-tokenizer) on adversarial text, both for a bare text (tokens <= UTF-8 bytes)
// and for the whole chat the copilot sends (template tokens included).
import fc from "fast-check";
import { encode, encodeChat } from "gpt-tokenizer/model/gpt-4.1-mini";
import { describe, expect, it } from "vitest";
import { buildCopilotMessages, COPILOT_ACTIONS, COPILOT_TONES } from "../../../src/features/ai/copilot-service";
import { boundInputTokens, boundOutputTokens, utf8ByteLength } from "../../../src/features/ai/llm/types";

/** Texts that pack the most tokens into the fewest bytes, or that old estimates undercounted. */
const ADVERSARIAL: Record<string, string> = {
  "digits and spaces": Array.from({ length: 10_000 }, (_, i) => String(i % 10)).join(" "),
  "digits, no spaces": Array.from({ length: 5_000 }, (_, i) => String((i * 7919) % 1000)).join(""),
  "punctuation runs": "!?.,;:'\"()[]{}<>/\\|@#$%^&*-_=+~`".repeat(300),
  "alternating punctuation and letters": Array.from({ length: 4_000 }, (_, i) => (i % 2 ? "a" : "!")).join(""),
  emoji: "😀🎉👍🏽👨‍👩‍👧‍👦🏳️‍🌈🇫🇷🧑🏿‍🚀".repeat(200),
  CJK: "東京都の天気は晴れです。我们明天见。한국어 텍스트입니다。".repeat(200),
  "mixed scripts": "aб中ع😀ñ𝔘ß∑ह ".repeat(500),
  "whitespace runs": " \t\n\r\u00a0\u2003\u3000".repeat(1_000),
  "single spaced letters": Array.from({ length: 8_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join(" "),
  "combining marks": "e\u0301a\u0308o\u0302".repeat(1_000),
  "lone surrogates and controls": "\ud800\udfff\u0000\u0001\u001b\ufffd".repeat(500),
};

describe("SEC-59 the AI reservation is an upper bound of billable tokens", () => {
  it("SEC-59 o200k_base never makes more tokens than UTF-8 bytes, on adversarial text", () => {
    for (const [name, text] of Object.entries(ADVERSARIAL)) {
      const tokens = encode(text).length;
      const bytes = utf8ByteLength(text);
      console.info(`SEC-59 ${name}: ${tokens} tokens, ${bytes} bytes, old estimate ${Math.ceil(bytes / 3)}`);
      expect(tokens, name).toBeLessThanOrEqual(bytes);
    }
    // The attack of issue 11: digits cost one token per byte, three times the old estimate.
    const digits = ADVERSARIAL["digits and spaces"]!;
    expect(encode(digits).length).toBeGreaterThan(2.5 * Math.ceil(utf8ByteLength(digits) / 3));
  });

  it("SEC-59 the copilot's whole chat, template included, never exceeds boundInputTokens", () => {
    for (const [name, content] of Object.entries(ADVERSARIAL)) {
      for (const action of COPILOT_ACTIONS) {
        const messages = buildCopilotMessages(action, { title: name, content }, "neutral");
        expect(encodeChat(messages).length, `${action} ${name}`).toBeLessThanOrEqual(boundInputTokens(messages));
      }
    }
  });

  it("SEC-59 property: random text, random bytes and random chats stay within the bound", () => {
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 2_000 }),
      fc.string({ unit: "grapheme", maxLength: 1_000 }),
      fc.uint8Array({ maxLength: 4_000 }).map((bytes) => new TextDecoder().decode(bytes)),
      fc
        .array(fc.constantFrom("0", "1", " ", "!", ".", "😀", "中", "\n", "\t", "a"), { maxLength: 3_000 })
        .map((parts) => parts.join("")),
    );
    fc.assert(
      fc.property(text, (value) => {
        expect(encode(value).length).toBeLessThanOrEqual(utf8ByteLength(value));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...COPILOT_ACTIONS),
        fc.constantFrom(...COPILOT_TONES),
        text,
        text,
        (action, tone, title, content) => {
          const messages = buildCopilotMessages(action, { title, content }, tone);
          expect(encodeChat(messages).length).toBeLessThanOrEqual(boundInputTokens(messages));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("SEC-59 an answer's output bound covers its tokens plus the stop token, and never passes the maximum", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 2_000 }),
        fc.integer({ min: 16, max: 32_768 }),
        (text, max) => {
          const bound = boundOutputTokens(text, max);
          expect(bound).toBeLessThanOrEqual(max);
          expect(bound).toBeGreaterThanOrEqual(Math.min(encode(text).length + 1, max));
        },
      ),
      { numRuns: 300 },
    );
  });
});
