// A provider stream turned into a response body that settles the ledger exactly once, however the
// call ends: completed (the provider's usage), provider error mid-stream or client abort (what was
// produced so far), provider error before any output (nothing: released in full).
import { misconfiguredError } from "../../config";
import { AppError } from "../../errors";
import { logEvent } from "../../lib/log";
import {
  estimateInputTokens,
  estimateTokens,
  LLMProviderError,
  type LLMClient,
  type LLMMessage,
  type LLMStreamEvent,
  type LLMUsage,
} from "./llm/types";

interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export interface MeteredStreamOptions {
  client: LLMClient;
  messages: LLMMessage[];
  maxOutputTokens: number;
  /** Settles the reservation with this usage; must not throw (it retries and logs on its own). */
  settle: (usage: Usage) => Promise<void>;
  /** Keeps the worker alive for a settlement that starts after the response (client abort). */
  defer: (task: () => Promise<unknown>) => void;
  /** For logs. */
  reservationId: string;
}

/** A provider failure before any byte was sent, as the API's JSON error. */
function toProviderAppError(error: unknown): AppError {
  const status = error instanceof LLMProviderError ? error.details.status : undefined;
  if (status === 401 || status === 403 || status === 404) {
    // The key or the model is refused: an operator must fix the configuration.
    return misconfiguredError(["OPENAI_API_KEY", "AI_MODEL"], {
      message: "The AI provider refused the configured key or model.",
    });
  }
  return new AppError(
    "UPSTREAM_UNAVAILABLE",
    "The AI provider is unavailable right now. Nothing was charged; try again in a moment.",
  );
}

/**
 * Waits for the provider's first event before anything is sent, so a provider that fails at once
 * is an ordinary JSON error (after releasing the reservation in full); then streams text/plain.
 */
export async function openMeteredStream(options: MeteredStreamOptions): Promise<ReadableStream<Uint8Array>> {
  const { client, messages, maxOutputTokens, settle, defer, reservationId } = options;
  const abort = new AbortController();
  const iterator = client.stream(messages, { maxOutputTokens, signal: abort.signal })[Symbol.asyncIterator]();
  const inputEstimate = estimateInputTokens(messages);
  let produced = "";
  let usage: LLMUsage | null = null;
  let isCancelled = false;
  let settlement: Promise<void> | null = null;
  const settleOnce = (value: Usage): Promise<void> => (settlement ??= settle(value));
  /** The provider's count when it sent one; else ours of what was produced (bill what was produced). */
  const billProduced = (): Usage => ({
    inputTokens: usage?.inputTokens ?? inputEstimate,
    outputTokens: usage?.outputTokens ?? estimateTokens(produced),
  });

  let pending: IteratorResult<LLMStreamEvent>;
  try {
    pending = await iterator.next();
  } catch (error) {
    logEvent("warn", "ai_provider_failed_before_output", {
      reservation_id: reservationId,
      provider: client.provider,
      error: error instanceof Error ? error.name : "error",
    });
    await settleOnce({ inputTokens: 0, outputTokens: 0 });
    throw toProviderAppError(error);
  }

  const encoder = new TextEncoder();
  let next: IteratorResult<LLMStreamEvent> | null = pending;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          while (true) {
            const result = next ?? (await iterator.next());
            next = null;
            if (result.done) {
              // The body ends only after the ledger is settled.
              await settleOnce(billProduced());
              controller.close();
              return;
            }
            if (result.value.type === "usage") {
              usage = result.value.usage;
              continue;
            }
            produced += result.value.text;
            controller.enqueue(encoder.encode(result.value.text));
            return;
          }
        } catch (error) {
          if (isCancelled) return; // cancel() settles
          logEvent("warn", "ai_provider_failed_mid_stream", {
            reservation_id: reservationId,
            provider: client.provider,
            produced_tokens: estimateTokens(produced),
            error: error instanceof Error ? error.name : "error",
          });
          await settleOnce(billProduced());
          controller.error(new Error("The AI provider failed mid-stream."));
        }
      },
      async cancel() {
        // The client went away: stop the provider, bill what it produced so far.
        isCancelled = true;
        abort.abort(new DOMException("The client closed the stream.", "AbortError"));
        // Runs the provider's cleanup (closes its connection) if no read is in flight to see the abort.
        void iterator.return?.(undefined).catch(() => undefined);
        const done = settleOnce(billProduced());
        defer(() => done);
        await done;
      },
    },
    { highWaterMark: 0 },
  );
}
