// AI provider settings, read apart from the rest of the config: a missing or wrong AI setting
// makes the AI routes answer 503 MISCONFIGURED at call time and never takes the rest of the API down.
import { z } from "zod";
import type { Env } from "../../env";
import { AppError } from "../../errors";
import type { LLMProviderName } from "./llm/types";

/** The Workers AI binding, as far as the client uses it (`[ai] binding = "AI"` in wrangler.toml). */
export interface WorkersAIBinding {
  run(model: string, inputs: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
}

/** The AI vars, secret and binding (README, "AI"). Kept here so the AI feature owns its settings. */
interface AIEnv {
  AI_PROVIDER?: string;
  AI_MODEL?: string;
  AI_MAX_OUTPUT_TOKENS?: string;
  AI_RESERVATION_TTL_SECONDS?: string;
  /** OpenAI-compatible base URL, e.g. a Cloudflare AI Gateway endpoint; https outside dev. */
  OPENAI_BASE_URL?: string;
  OPENAI_API_KEY?: string;
  /** Fake provider knobs (dev only): per-chunk delay, failure injection, reply length. */
  AI_FAKE_CHUNK_DELAY_MS?: string;
  AI_FAKE_FAIL_AFTER_CHUNKS?: string;
  AI_FAKE_REPLY_WORDS?: string;
  AI?: WorkersAIBinding;
}

export type WorkerEnv = Env & AIEnv;

const DEFAULT_MODELS: Record<LLMProviderName, string> = {
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
    | { provider: "workers-ai"; binding: WorkersAIBinding }
  );

export type AIConfigResult = { ok: true; config: AIConfig } | { ok: false; problems: string[] };

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const cache = new WeakMap<object, AIConfigResult>();

export function readAIConfig(env: WorkerEnv): AIConfigResult {
  let result = cache.get(env);
  if (!result) {
    result = parseAIConfig(env);
    cache.set(env, result);
  }
  return result;
}

/** The AI config, or 503 MISCONFIGURED naming (never revealing) the settings at fault. */
export function requireAIConfig(env: WorkerEnv): AIConfig {
  const result = readAIConfig(env);
  if (!result.ok) {
    throw new AppError(503, "MISCONFIGURED", "AI is not configured for this deployment.", {
      settings: result.problems,
    });
  }
  return result.config;
}

function parseAIConfig(env: WorkerEnv): AIConfigResult {
  const isDev = (env.ENVIRONMENT ?? "prod") === "dev";
  const problems: string[] = [];
  // The fake provider answers for free: a development default only, refused elsewhere.
  const provider = env.AI_PROVIDER?.trim() || (isDev ? "fake" : "");
  const model = env.AI_MODEL?.trim() || (provider in DEFAULT_MODELS ? DEFAULT_MODELS[provider as LLMProviderName] : "");
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
  if (config && (!model || model.length > 200)) problems.push("AI_MODEL");
  return problems.length > 0 || !config ? { ok: false, problems } : { ok: true, config };
}
