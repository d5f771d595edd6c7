// A provider stream turned into a response body that settles the ledger exactly once, however the
// call ends: completed (the provider's usage), provider error mid-stream or client abort (the
// provider's usage if it sent one, else the reserved worst case: SEC-59), provider error before
// any output (nothing: released in full).
import { misconfiguredError } from "../../config";
import { AppError } from "../../errors";
import { logEvent } from "../../lib/log";
import {
  boundInputTokens,
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
  let producedBytes = 0;
  let usage: LLMUsage | null = null;
  let isCancelled = false;
  let settlement: Promise<void> | null = null;
  const settleOnce = (value: Usage): Promise<void> => (settlement ??= settle(value));
  /**
   * The provider's count when it sent one. Otherwise the call ended early (provider error, client
   * abort) and nobody knows how far the provider got: it may have generated tokens we never
   * received, up to the call's maximum, and may bill them. Only the worst case we reserved is a
   * sound charge (SEC-59); a lower guess would let the operator pay past the cap.
   */
  const billEarlyEnd = (): Usage => usage ?? { inputTokens: boundInputTokens(messages), outputTokens: maxOutputTokens };

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
              // The body ends only after the ledger is settled. Every provider ends its stream with
              // a usage event; one that did not has ended early.
              await settleOnce(billEarlyEnd());
              controller.close();
              return;
            }
            if (result.value.type === "usage") {
              usage = result.value.usage;
              continue;
            }
            const bytes = encoder.encode(result.value.text);
            producedBytes += bytes.length;
            controller.enqueue(bytes);
            return;
          }
        } catch (error) {
          if (isCancelled) return; // cancel() settles
          logEvent("warn", "ai_provider_failed_mid_stream", {
            reservation_id: reservationId,
            provider: client.provider,
            produced_bytes: producedBytes,
            error: error instanceof Error ? error.name : "error",
          });
          await settleOnce(billEarlyEnd());
          controller.error(new Error("The AI provider failed mid-stream."));
        }
      },
      async cancel() {
        // The client went away: stop the provider, bill its usage if it sent one, else the worst case.
        isCancelled = true;
        abort.abort(new DOMException("The client closed the stream.", "AbortError"));
        // Runs the provider's cleanup (closes its connection) if no read is in flight to see the abort.
        void iterator.return?.(undefined).catch(() => undefined);
        const done = settleOnce(billEarlyEnd());
        defer(() => done);
        await done;
      },
    },
    { highWaterMark: 0 },
  );
}
