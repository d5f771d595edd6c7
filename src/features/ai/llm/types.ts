// The LLMClient interface every provider implements, and the token estimate the ledger reserves by.
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

/**
 * A deliberately high token count for text: one token per 3 UTF-8 bytes, rounded up. BPE
 * tokenizers average about 4 bytes of English per token and about 3 bytes (one character) of CJK,
 * so this over-estimates almost all real text; where it does not, settlement charges at most what
 * is free and records the rest as absorbed, so the cap still holds.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(encoder.encode(text).length / 3);
}

/** Per-message framing the chat formats add (role markers, separators). */
const MESSAGE_OVERHEAD_TOKENS = 8;

export function estimateInputTokens(messages: LLMMessage[]): number {
  return messages.reduce((total, message) => total + estimateTokens(message.content) + MESSAGE_OVERHEAD_TOKENS, 0);
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
