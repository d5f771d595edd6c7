// The LLMClient interface every provider implements, and the token bounds the ledger reserves by.
import type { AIProviderName } from "../../../config/ai";

export type LLMProviderName = AIProviderName;

export interface LLMMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface LLMUsage {
  provider: LLMProviderName;
  model: string;
  inputTokens: number;
  outputTokens: number;
}

/** A provider's token count is trusted only when it is an integer (the JSON could hold anything). */
export function isTokenCount(value: unknown): value is number {
  return Number.isInteger(value);
}

/** A stream yields text chunks and ends with exactly one usage event (what the provider counted). */
export type LLMStreamEvent = { type: "text"; text: string } | { type: "usage"; usage: LLMUsage };

export interface LLMCallOptions {
  /** The most output tokens the provider may produce; the ledger reserves exactly this much for output. */
  maxOutputTokens: number;
  /** Aborts the provider request (the client went away); the stream then ends by throwing. */
  signal?: AbortSignal;
}

export interface LLMClient {
  readonly provider: LLMProviderName;
  readonly model: string;
  stream(messages: LLMMessage[], options: LLMCallOptions): AsyncIterable<LLMStreamEvent>;
  complete(messages: LLMMessage[], options: LLMCallOptions): Promise<{ text: string; usage: LLMUsage }>;
}

/** A provider answered with an error (HTTP status, an error event, a broken stream). */
export class LLMProviderError extends Error {
  constructor(
    message: string,
    readonly details: { provider: LLMProviderName; status?: number },
  ) {
    super(message);
    this.name = "LLMProviderError";
  }
}

const encoder = new TextEncoder();

export function utf8ByteLength(text: string): number {
  return encoder.encode(text).length;
}

// The reservation must be an upper bound of what a provider can bill (SEC-59), not an average:
// https://github.com/openai/tiktoken and Llama 3's tokenizer are byte-level BPE, where every
// token stands for at least one byte of UTF-8 and merges only ever join bytes, so a text never
// has more tokens than bytes (digits "0 1 2 3 …" reach that: one token per byte in o200k_base).
// On top of the text, a chat template wraps each message in special tokens and adds a fixed part
// per call; both are bounded by the constants below. test/features/ai/token-bound.test.ts proves the
// bound against o200k_base (gpt-4.1-mini's encoding) on adversarial text.

/**
 * Per message: the special tokens around it (ChatML: <|im_start|> <|im_sep|> <|im_end|>;
 * Llama 3: <|start_header_id|> <|end_header_id|> <|eot_id|>), plus 2 bytes of separator ("\n\n")
 * counted like text. The role itself is counted by its bytes.
 */
const MESSAGE_SPECIAL_TOKENS = 4;
const MESSAGE_SEPARATOR_BYTES = 2;

/**
 * Per call: the reply priming (ChatML: 3 tokens) and the fixed text a template may add (Llama 3.1:
 * <|begin_of_text|>, the assistant header and the "Cutting Knowledge Date…" preamble: under 80 tokens).
 */
const CALL_TEMPLATE_TOKENS = 128;

/** At most the input tokens any byte-level BPE chat model can bill for `messages`. */
export function boundInputTokens(messages: LLMMessage[]): number {
  return messages.reduce(
    (total, message) =>
      total +
      MESSAGE_SPECIAL_TOKENS +
      utf8ByteLength(message.role) +
      MESSAGE_SEPARATOR_BYTES +
      utf8ByteLength(message.content),
    CALL_TEMPLATE_TOKENS,
  );
}

/** The stop token a model emits (and may bill) after the text of a completed answer. */
const STOP_TOKENS = 1;

/**
 * At most the output tokens a provider can bill for a completed answer whose text is `text`:
 * its bytes plus the stop token, and never more than the call allowed.
 */
export function boundOutputTokens(text: string, maxOutputTokens: number): number {
  return Math.min(utf8ByteLength(text) + STOP_TOKENS, maxOutputTokens);
}

/** Collects a stream into text + usage: the shared implementation of `complete`. */
export async function collectStream(
  provider: LLMProviderName,
  events: AsyncIterable<LLMStreamEvent>,
): Promise<{ text: string; usage: LLMUsage }> {
  let text = "";
  let usage: LLMUsage | null = null;
  for await (const event of events) {
    if (event.type === "text") text += event.text;
    else usage = event.usage;
  }
  if (!usage) throw new LLMProviderError("The stream ended without usage.", { provider });
  return { text, usage };
}
