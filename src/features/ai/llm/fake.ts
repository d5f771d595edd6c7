// The fake provider: deterministic text from the prompt, usage counted from the text, with a
// per-chunk delay and failure injection. The development default (no key, no network) and the
// provider the ledger tests drive; it counts the calls that reach it.
import {
  collectStream,
  estimateInputTokens,
  estimateTokens,
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

/** The reply: the words of the last user message, cycled to `replyWords` words. */
export function fakeReply(messages: LLMMessage[], replyWords: number): string[] {
  const source = [...messages].reverse().find((message) => message.role === "user")?.content ?? "";
  const words = source.split(/\s+/).filter(Boolean);
  const pool = words.length > 0 ? words : ["ok"];
  return Array.from({ length: replyWords }, (_, index) => pool[index % pool.length] ?? "ok");
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
          if (estimateTokens(text + chunk) > call.maxOutputTokens) break;
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
            inputTokens: estimateInputTokens(messages),
            outputTokens: estimateTokens(text),
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
