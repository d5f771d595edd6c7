// The fake provider: deterministic, visibly fake text from the prompt, usage counted from the text the
// way an English-trained tokenizer roughly does (4 bytes a token), with a per-chunk delay and failure
// injection. The development default (no key, no network) and the
// provider the ledger tests drive; it counts the calls that reach it.
import {
  collectStream,
  LLMProviderError,
  type LLMCallOptions,
  type LLMClient,
  type LLMMessage,
  type LLMStreamEvent,
} from "./types";

export interface FakeLLMOptions {
  model: string;
  chunkDelayMs?: number;
  /** Throw after this many text chunks; 0 throws before any output; null or absent never throws. */
  failAfterChunks?: number | null;
  /** Words in a full reply (before max output tokens cut it short). */
  replyWords?: number;
}

const encoder = new TextEncoder();

/** The fake's token count: about 4 bytes a token, like English text in a real tokenizer. */
export function countFakeTokens(text: string): number {
  return Math.ceil(encoder.encode(text).length / 4);
}

/** What the fake bills for the input: its count of every message plus 3 framing tokens each. */
export function countFakeInputTokens(messages: LLMMessage[]): number {
  return messages.reduce((total, message) => total + countFakeTokens(message.content) + 3, 0);
}

/** Words per streamed chunk. */
const WORDS_PER_CHUNK = 4;

const stats = { calls: 0, chunks: 0, inFlight: 0, peakInFlight: 0 };

/** Calls that reached the fake provider in this isolate: what the SEC-52 tests count. */
export function getFakeLLMStats(): Readonly<typeof stats> {
  return { ...stats };
}

export function resetFakeLLMStats(): void {
  Object.assign(stats, { calls: 0, chunks: 0, inFlight: 0, peakInFlight: 0 });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Opens every fake answer, so that nobody mistakes it for a model's (and says how to get one). */
export const FAKE_REPLY_LABEL = "[Fake AI: set AI_PROVIDER for a real model]";

/** Placeholder text everyone recognizes as such, for replies longer than the note. */
const FILLER_WORDS = (
  "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore " +
  "et dolore magna aliqua."
).split(" ");

/**
 * The reply: the label, the last user message once (what an editor given nothing to change would
 * return), then lorem ipsum up to `replyWords` words. Echoing the note again and again read as a
 * bug; the filler exists because the ledger tests ask for replies longer than the output cap.
 */
export function fakeReply(messages: LLMMessage[], replyWords: number): string[] {
  const source = [...messages].reverse().find((message) => message.role === "user")?.content ?? "";
  const words = [...FAKE_REPLY_LABEL.split(" "), ...source.split(/\s+/).filter(Boolean)];
  while (words.length < replyWords) words.push(...FILLER_WORDS);
  return words.slice(0, replyWords);
}

export function createFakeLLMClient(options: FakeLLMOptions): LLMClient {
  const chunkDelayMs = options.chunkDelayMs ?? 0;
  const replyWords = options.replyWords ?? 40;
  const client: LLMClient = {
    provider: "fake",
    model: options.model,
    async *stream(messages: LLMMessage[], call: LLMCallOptions): AsyncGenerator<LLMStreamEvent> {
      stats.calls++;
      stats.inFlight++;
      stats.peakInFlight = Math.max(stats.peakInFlight, stats.inFlight);
      try {
        const words = fakeReply(messages, replyWords);
        let text = "";
        let chunks = 0;
        for (let index = 0; index < words.length; index += WORDS_PER_CHUNK) {
          if (
            options.failAfterChunks !== undefined &&
            options.failAfterChunks !== null &&
            chunks >= options.failAfterChunks
          ) {
            throw new LLMProviderError("Injected fake provider failure.", { provider: "fake", status: 500 });
          }
          if (chunkDelayMs > 0) await sleep(chunkDelayMs, call.signal);
          if (call.signal?.aborted) throw call.signal.reason;
          const chunk = (index === 0 ? "" : " ") + words.slice(index, index + WORDS_PER_CHUNK).join(" ");
          // Never past the requested maximum, like a real provider.
          if (countFakeTokens(text + chunk) > call.maxOutputTokens) break;
          text += chunk;
          chunks++;
          stats.chunks++;
          yield { type: "text", text: chunk };
        }
        if (
          options.failAfterChunks !== undefined &&
          options.failAfterChunks !== null &&
          chunks >= options.failAfterChunks
        ) {
          throw new LLMProviderError("Injected fake provider failure.", { provider: "fake", status: 500 });
        }
        yield {
          type: "usage",
          usage: {
            provider: "fake",
            model: options.model,
            inputTokens: countFakeInputTokens(messages),
            outputTokens: countFakeTokens(text),
          },
        };
      } finally {
        stats.inFlight--;
      }
    },
    complete(messages, call) {
      return collectStream("fake", client.stream(messages, call));
    },
  };
  return client;
}
