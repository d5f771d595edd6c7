// Cloudflare Workers AI through the AI binding, streamed: env.AI.run(model, {messages, stream: true})
// returns SSE lines `data: {"response": "..."}`, the last ones with `usage`, then `data: [DONE]`.
// Models in the OpenAI chat format send `choices[0].delta.content` instead; both are read.
import { parseSSE } from "./sse";
import {
  collectStream,
  boundInputTokens,
  boundOutputTokens,
  isTokenCount,
  LLMProviderError,
  type LLMCallOptions,
  type LLMClient,
  type LLMMessage,
  type LLMStreamEvent,
} from "./types";

/** What the client uses of the Workers AI binding (`Ai`): one call, with the configured model name. */
export interface WorkersAIBinding {
  run(model: string, inputs: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
}

interface WorkersAIEvent {
  response?: string;
  choices?: { delta?: { content?: string | null } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

export function createWorkersAIClient(options: { binding: WorkersAIBinding; model: string }): LLMClient {
  const failure = (message: string) => new LLMProviderError(message, { provider: "workers-ai" });
  const client: LLMClient = {
    provider: "workers-ai",
    model: options.model,
    async *stream(messages: LLMMessage[], call: LLMCallOptions): AsyncGenerator<LLMStreamEvent> {
      let body: unknown;
      try {
        body = await options.binding.run(
          options.model,
          { messages, max_tokens: call.maxOutputTokens, stream: true },
          call.signal ? { signal: call.signal } : undefined,
        );
      } catch (error) {
        throw failure(`Workers AI refused the call: ${error instanceof Error ? error.name : "error"}.`);
      }
      if (!(body instanceof ReadableStream)) throw failure("Workers AI did not stream.");
      let text = "";
      let usage: WorkersAIEvent["usage"] | undefined;
      for await (const message of parseSSE(body as ReadableStream<Uint8Array>)) {
        if (message.data === "[DONE]") break;
        let event: WorkersAIEvent;
        try {
          event = JSON.parse(message.data) as WorkersAIEvent;
        } catch {
          continue;
        }
        const chunk = event.response ?? event.choices?.[0]?.delta?.content ?? "";
        if (chunk) {
          text += chunk;
          yield { type: "text", text: chunk };
        }
        if (event.usage) usage = event.usage;
      }
      // Older models send no usage: bill the upper bounds the reservation was made of (SEC-59), never
      // a guess below what Cloudflare may bill.
      const inputTokens = usage?.prompt_tokens;
      const outputTokens = usage?.completion_tokens;
      const hasUsage = isTokenCount(inputTokens) && isTokenCount(outputTokens);
      yield {
        type: "usage",
        usage: {
          provider: "workers-ai",
          model: options.model,
          inputTokens: hasUsage ? inputTokens : boundInputTokens(messages),
          outputTokens: hasUsage ? outputTokens : boundOutputTokens(text, call.maxOutputTokens),
        },
      };
    },
    complete(messages, call) {
      return collectStream("workers-ai", client.stream(messages, call));
    },
  };
  return client;
}
