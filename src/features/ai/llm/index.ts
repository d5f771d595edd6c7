// The LLMClient for the configured provider (AI_PROVIDER): fake, openai or workers-ai.
import type { AIConfig } from "../../../config/ai";
import { createFakeLLMClient } from "./fake";
import { createOpenAIClient } from "./openai";
import { createWorkersAIClient } from "./workers-ai";
import type { LLMClient } from "./types";

export type { LLMClient } from "./types";

export function createLLMClient(config: AIConfig, options: { fetch?: typeof fetch } = {}): LLMClient {
  switch (config.provider) {
    case "fake":
      return createFakeLLMClient({ model: config.model, ...config.fake });
    case "openai":
      return createOpenAIClient({ apiKey: config.apiKey, model: config.model, baseURL: config.baseURL, ...options });
    case "workers-ai":
      return createWorkersAIClient({ binding: config.binding, model: config.model });
  }
}
