// OpenAI through the Responses API, streamed (POST /v1/responses, stream: true) over plain fetch.
//
// fetch rather than the official SDK: the call is one POST and an SSE parser (sse.ts); the house
// rule is that outbound clients use fetch behind a small interface, so tests hand in a fetch that
// speaks OpenAI's real wire format; and the SDK would add its own retries (a retried call after
// output would be charged twice by OpenAI but once by us) and ~100 KB to the worker bundle.
// Events: https://platform.openai.com/docs/api-reference/responses-streaming
import { logEvent } from "../../../lib/log";
import { parseSSE } from "./sse";
import {
  collectStream,
  isTokenCount,
  LLMProviderError,
  type LLMCallOptions,
  type LLMClient,
  type LLMMessage,
  type LLMStreamEvent,
  type LLMUsage,
} from "./types";

export interface OpenAIClientOptions {
  apiKey: string;
  model: string;
  /** Without a trailing slash; https://api.openai.com/v1 unless a gateway is configured. */
  baseURL: string;
  fetch?: typeof fetch;
}

interface ResponsesEvent {
  type?: string;
  delta?: string;
  response?: {
    usage?: { input_tokens?: number; output_tokens?: number } | null;
    error?: { code?: string; message?: string } | null;
    incomplete_details?: { reason?: string } | null;
  };
  code?: string | null;
  message?: string;
}

function parseEvent(data: string): ResponsesEvent | null {
  try {
    const parsed: unknown = JSON.parse(data);
    return typeof parsed === "object" && parsed !== null ? (parsed as ResponsesEvent) : null;
  } catch {
    return null;
  }
}

function toUsage(
  model: string,
  usage: { input_tokens?: number; output_tokens?: number } | null | undefined,
): LLMUsage | null {
  const inputTokens = usage?.input_tokens;
  const outputTokens = usage?.output_tokens;
  if (!isTokenCount(inputTokens) || !isTokenCount(outputTokens)) return null;
  return { provider: "openai", model, inputTokens, outputTokens };
}

export function createOpenAIClient(options: OpenAIClientOptions): LLMClient {
  const doFetch = options.fetch ?? fetch;
  const failure = (message: string, status?: number) =>
    new LLMProviderError(message, status === undefined ? { provider: "openai" } : { provider: "openai", status });

  const client: LLMClient = {
    provider: "openai",
    model: options.model,
    async *stream(messages: LLMMessage[], call: LLMCallOptions): AsyncGenerator<LLMStreamEvent> {
      const response = await doFetch(`${options.baseURL}/responses`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          "content-type": "application/json",
          accept: "text/event-stream",
        },
        body: JSON.stringify({
          model: options.model,
          input: messages.map((message) => ({ role: message.role, content: message.content })),
          max_output_tokens: call.maxOutputTokens,
          stream: true,
          store: false,
        }),
        signal: call.signal ?? null,
      });
      if (!response.ok || !response.body) {
        // OpenAI's error text is logged for operators, never passed to the client (SEC-48).
        const text = await response.text().catch(() => "");
        const error = parseEvent(text) as { error?: { code?: string; type?: string } } | null;
        logEvent("warn", "openai_request_failed", {
          status: response.status,
          code: error?.error?.code ?? null,
          type: error?.error?.type ?? null,
          request_id: response.headers.get("x-request-id"),
        });
        throw failure(`OpenAI answered ${response.status}.`, response.status);
      }
      for await (const message of parseSSE(response.body)) {
        if (message.data === "[DONE]") break;
        const event = parseEvent(message.data);
        const type = event?.type ?? message.event;
        if (!event || !type) continue;
        switch (type) {
          case "response.output_text.delta":
            if (typeof event.delta === "string" && event.delta !== "") yield { type: "text", text: event.delta };
            break;
          case "response.completed":
          case "response.incomplete": {
            // incomplete: stopped at max_output_tokens (or a content filter); its usage is still billed.
            const usage = toUsage(options.model, event.response?.usage);
            if (!usage) throw failure(`OpenAI's ${type} event carried no usage.`);
            yield { type: "usage", usage };
            return;
          }
          case "response.failed":
            logEvent("warn", "openai_response_failed", { code: event.response?.error?.code ?? null });
            throw failure("OpenAI failed the response.");
          case "error":
            logEvent("warn", "openai_stream_error", { code: event.code ?? null });
            throw failure("OpenAI sent an error event.");
          default:
            break; // lifecycle events (created, in_progress, output_item.*, ...) carry nothing we bill
        }
      }
      throw failure("OpenAI's stream ended before the response completed.");
    },
    complete(messages, call) {
      return collectStream("openai", client.stream(messages, call));
    },
  };
  return client;
}
