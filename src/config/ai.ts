// AI provider settings. Optional: a missing or wrong AI setting is a problem of AI alone, reported
// by the AI routes (503 MISCONFIGURED) at call time, and never takes the rest of the API down.
import { z } from "zod";
import type { Env } from "../env";
import { type ConfigResult, readEnvironment } from "./contract";

const AI_PROVIDER_NAMES = ["fake", "openai", "workers-ai"] as const;
export type AIProviderName = (typeof AI_PROVIDER_NAMES)[number];

const DEFAULT_MODELS: Record<AIProviderName, string> = {
  fake: "fake-copilot-1",
  openai: "gpt-4.1-mini",
  "workers-ai": "@cf/meta/llama-3.1-8b-instruct-fp8-fast",
};

interface FakeProviderSettings {
  chunkDelayMs: number;
  /** Fail after this many chunks (0: before any output); null never fails. */
  failAfterChunks: number | null;
  replyWords: number;
}

interface CommonAIConfig {
  model: string;
  maxOutputTokens: number;
  reservationTTLSeconds: number;
}

export type AIConfig = CommonAIConfig &
  (
    | { provider: "fake"; fake: FakeProviderSettings }
    | { provider: "openai"; apiKey: string; baseURL: string }
    | { provider: "workers-ai"; binding: Ai }
  );

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export function readAIConfig(env: Env): ConfigResult<AIConfig> {
  const isDev = readEnvironment(env) === "dev";
  const problems: string[] = [];
  // The fake provider answers for free: a development default only, refused elsewhere.
  const provider = env.AI_PROVIDER?.trim() || (isDev ? "fake" : "");
  const model = env.AI_MODEL?.trim() || (provider in DEFAULT_MODELS ? DEFAULT_MODELS[provider as AIProviderName] : "");
  const parse = <T>(name: string, schema: z.ZodType<T>, value: string | undefined, fallback: string): T | null => {
    const parsed = schema.safeParse(value?.trim() || fallback);
    if (parsed.success) return parsed.data;
    problems.push(name);
    return null;
  };
  const maxOutputTokens = parse("AI_MAX_OUTPUT_TOKENS", integer(16, 32_768), env.AI_MAX_OUTPUT_TOKENS, "1024");
  const reservationTTLSeconds = parse(
    "AI_RESERVATION_TTL_SECONDS",
    integer(60, 86_400),
    env.AI_RESERVATION_TTL_SECONDS,
    "600",
  );
  const common = { model, maxOutputTokens: maxOutputTokens ?? 0, reservationTTLSeconds: reservationTTLSeconds ?? 0 };

  let config: AIConfig | null = null;
  switch (provider) {
    case "fake": {
      if (!isDev) {
        problems.push("AI_PROVIDER");
        break;
      }
      const chunkDelayMs = parse("AI_FAKE_CHUNK_DELAY_MS", integer(0, 10_000), env.AI_FAKE_CHUNK_DELAY_MS, "0");
      const failAfter = env.AI_FAKE_FAIL_AFTER_CHUNKS?.trim()
        ? parse("AI_FAKE_FAIL_AFTER_CHUNKS", integer(0, 1_000_000), env.AI_FAKE_FAIL_AFTER_CHUNKS, "")
        : null;
      const replyWords = parse("AI_FAKE_REPLY_WORDS", integer(1, 100_000), env.AI_FAKE_REPLY_WORDS, "40");
      config = {
        ...common,
        provider,
        fake: { chunkDelayMs: chunkDelayMs ?? 0, failAfterChunks: failAfter, replyWords: replyWords ?? 1 },
      };
      break;
    }
    case "openai": {
      const apiKey = env.OPENAI_API_KEY?.trim();
      if (!apiKey) problems.push("OPENAI_API_KEY");
      const baseURL = (env.OPENAI_BASE_URL?.trim() || "https://api.openai.com/v1").replace(/\/+$/, "");
      const isAllowedURL =
        URL.canParse(baseURL) && (baseURL.startsWith("https://") || (isDev && baseURL.startsWith("http://")));
      if (!isAllowedURL) problems.push("OPENAI_BASE_URL");
      config = { ...common, provider, apiKey: apiKey ?? "", baseURL };
      break;
    }
    case "workers-ai": {
      if (env.AI && typeof env.AI.run === "function") config = { ...common, provider, binding: env.AI };
      else problems.push("AI (binding)");
      break;
    }
    default:
      problems.push("AI_PROVIDER");
  }
  const isKnownProvider = (AI_PROVIDER_NAMES as readonly string[]).includes(provider);
  if (isKnownProvider && (!model || model.length > 200)) problems.push("AI_MODEL");
  return problems.length > 0 || !config ? { problems } : { config };
}
