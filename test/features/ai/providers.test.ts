// The LLM providers against their wire formats: the SSE parser, OpenAI's Responses API streaming
// (a fake OpenAI endpoint behind an injected fetch), Workers AI (a fake AI binding), the fake
// provider, and the AI settings. One test runs the copilot on OpenAI through the ledger and prices.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parseSSE } from "../../../src/features/ai/llm/sse";
import { createOpenAIClient } from "../../../src/features/ai/llm/openai";
import { createWorkersAIClient } from "../../../src/features/ai/llm/workers-ai";
import { countFakeTokens, createFakeLLMClient, FAKE_REPLY_LABEL } from "../../../src/features/ai/llm/fake";
import {
  boundInputTokens,
  boundOutputTokens,
  LLMProviderError,
  type LLMMessage,
  type LLMStreamEvent,
} from "../../../src/features/ai/llm/types";
import { readAIConfig } from "../../../src/config/ai";
import type { Env } from "../../../src/env";
import { runCopilot } from "../../../src/features/ai/copilot-service";
import { createDB } from "../../../src/db/client";
import type { ServiceContext } from "../../../src/platform/service-context";
import { AppError } from "../../../src/errors";
import { createAIOrganization, expectConsistent, readLedger } from "../../helpers/ai";

const MESSAGES: LLMMessage[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Hello there" },
];

function streamOf(text: string, chunkSize = text.length): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += chunkSize)
        controller.enqueue(bytes.slice(offset, offset + chunkSize));
      controller.close();
    },
  });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** An SSE body as OpenAI's Responses API streams it. */
function openAIStream(deltas: string[], ending: Record<string, unknown> | null): string {
  const event = (data: Record<string, unknown>) => `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
  return [
    event({ type: "response.created", sequence_number: 0, response: { id: "resp_1", status: "in_progress" } }),
    ": keep-alive\n\n",
    ...deltas.map((delta, index) =>
      event({ type: "response.output_text.delta", sequence_number: index + 1, item_id: "msg_1", delta }),
    ),
    ...(ending ? [event(ending)] : []),
  ].join("");
}

const COMPLETED = {
  type: "response.completed",
  response: { id: "resp_1", status: "completed", usage: { input_tokens: 21, output_tokens: 5, total_tokens: 26 } },
};

/** A fake OpenAI: records each request and answers with `respond`. */
function fakeOpenAI(respond: (request: Request) => Response): { fetch: typeof fetch; requests: Request[] } {
  const requests: Request[] = [];
  return {
    requests,
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      requests.push(request.clone());
      return respond(request);
    }) as typeof fetch,
  };
}

describe("SSE parsing", () => {
  it("reads events split at every possible byte boundary, with CRLF, comments and multi-line data", async () => {
    const text = 'event: a\r\ndata: one\r\ndata: two\r\n\r\n: comment\n\ndata:three\n\nevent: last\ndata: {"x":"é😀"}';
    const expected = [
      { event: "a", data: "one\ntwo" },
      { event: null, data: "three" },
      { event: "last", data: '{"x":"é😀"}' },
    ];
    for (const chunkSize of [1, 2, 3, 5, 7, 1000]) {
      expect(await collect(parseSSE(streamOf(text, chunkSize))), `chunk size ${chunkSize}`).toEqual(expected);
    }
  });
});

describe("OpenAI (Responses API, streamed over fetch)", () => {
  it("sends one streamed request and yields the text deltas, then the usage OpenAI reports", async () => {
    const openai = fakeOpenAI(
      () =>
        new Response(streamOf(openAIStream(["Hel", "lo", "!"], COMPLETED), 9), {
          headers: { "content-type": "text/event-stream" },
        }),
    );
    const client = createOpenAIClient({
      apiKey: "sk-test-secret",
      model: "gpt-4.1-mini",
      baseURL: "https://api.openai.test/v1",
      fetch: openai.fetch,
    });
    const events = await collect(client.stream(MESSAGES, { maxOutputTokens: 50 }));
    expect(events).toEqual([
      { type: "text", text: "Hel" },
      { type: "text", text: "lo" },
      { type: "text", text: "!" },
      { type: "usage", usage: { provider: "openai", model: "gpt-4.1-mini", inputTokens: 21, outputTokens: 5 } },
    ]);
    const [request] = openai.requests;
    expect(request!.method).toBe("POST");
    expect(request!.url).toBe("https://api.openai.test/v1/responses");
    expect(request!.headers.get("authorization")).toBe("Bearer sk-test-secret");
    expect(await request!.json()).toEqual({
      model: "gpt-4.1-mini",
      input: MESSAGES,
      max_output_tokens: 50,
      stream: true,
      store: false,
    });
    expect(await client.complete(MESSAGES, { maxOutputTokens: 50 })).toEqual({
      text: "Hello!",
      usage: { provider: "openai", model: "gpt-4.1-mini", inputTokens: 21, outputTokens: 5 },
    });
  });

  it("bills an incomplete response (stopped at max_output_tokens) by its usage", async () => {
    const incomplete = {
      type: "response.incomplete",
      response: {
        status: "incomplete",
        incomplete_details: { reason: "max_output_tokens" },
        usage: { input_tokens: 9, output_tokens: 16 },
      },
    };
    const openai = fakeOpenAI(() => new Response(streamOf(openAIStream(["cut"], incomplete))));
    const client = createOpenAIClient({
      apiKey: "k",
      model: "gpt-4.1",
      baseURL: "https://api.openai.test/v1",
      fetch: openai.fetch,
    });
    expect((await client.complete(MESSAGES, { maxOutputTokens: 16 })).usage).toMatchObject({
      inputTokens: 9,
      outputTokens: 16,
    });
  });

  it("fails with LLMProviderError on an HTTP error, an error event, a failed response or a stream that ends early, never echoing the key", async () => {
    const cases: [string, Response, number | undefined][] = [
      [
        "401",
        new Response(
          JSON.stringify({ error: { code: "invalid_api_key", message: "Incorrect API key provided: sk-test-***" } }),
          { status: 401 },
        ),
        401,
      ],
      ["429", new Response("{}", { status: 429 }), 429],
      [
        "error event",
        new Response(streamOf(openAIStream(["a"], { type: "error", code: "server_error", message: "boom" }))),
        undefined,
      ],
      [
        "failed",
        new Response(
          streamOf(openAIStream([], { type: "response.failed", response: { error: { code: "server_error" } } })),
        ),
        undefined,
      ],
      ["ends early", new Response(streamOf(openAIStream(["partial"], null))), undefined],
    ];
    for (const [label, response, status] of cases) {
      const client = createOpenAIClient({
        apiKey: "sk-test-secret",
        model: "gpt-4.1",
        baseURL: "https://api.openai.test/v1",
        fetch: fakeOpenAI(() => response).fetch,
      });
      const error = await collect(client.stream(MESSAGES, { maxOutputTokens: 16 })).then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error, label).toBeInstanceOf(LLMProviderError);
      expect((error as LLMProviderError).details.status, label).toBe(status);
      expect(String((error as Error).message), label).not.toContain("sk-test");
    }
  });

  it("runs the copilot through the ledger and charges OpenAI's reported usage at the model's price", async () => {
    const org = await createAIOrganization();
    const openai = fakeOpenAI(
      () =>
        new Response(
          streamOf(
            openAIStream(["A clearer ", "note."], {
              ...COMPLETED,
              response: { usage: { input_tokens: 1200, output_tokens: 300 } },
            }),
          ),
        ),
    );
    const openAIEnv = { ...env, AI_PROVIDER: "openai", OPENAI_API_KEY: "sk-test-secret", AI_MODEL: "gpt-4.1-mini" };
    const ctx = {
      env: openAIEnv,
      config: { ai: readAIConfig(openAIEnv) },
      db: createDB(env.DB),
      ip: null,
      defer: () => undefined,
    } as unknown as ServiceContext;
    const actor = { userId: org.userId, organizationId: org.id, role: "member" as const };
    const body = await runCopilot(
      ctx,
      actor,
      { noteId: org.noteId, action: "improve", tone: "neutral" },
      { fetch: openai.fetch },
    );
    expect(await new Response(body).text()).toBe("A clearer note.");
    const { results } = await env.DB.prepare(
      "SELECT provider, model, bucket, tokens, input_tokens, output_tokens, cost_usd FROM llm_usage_log WHERE organization_id = ?",
    )
      .bind(org.id)
      .all();
    // gpt-4.1-mini: $0.40 per 1M input, $1.60 per 1M output (the seeded price).
    expect(results).toEqual([
      {
        provider: "openai",
        model: "gpt-4.1-mini",
        bucket: "allotment",
        tokens: 1500,
        input_tokens: 1200,
        output_tokens: 300,
        cost_usd: expect.closeTo(0.00096, 10),
      },
    ]);
    expectConsistent(await readLedger(org.id));

    // The key refused (401) before any output: 503 MISCONFIGURED, released in full.
    const refused = fakeOpenAI(() => new Response("{}", { status: 401 }));
    const error = await runCopilot(
      ctx,
      actor,
      { noteId: org.noteId, action: "summarize", tone: "neutral" },
      { fetch: refused.fetch },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 503, code: "MISCONFIGURED" });
    const ledger = await readLedger(org.id);
    expect(ledger).toMatchObject({ usage_rows: 1, reserved_tokens: 0, open_reservations: 0 });
  });
});

describe("Workers AI (the AI binding)", () => {
  function binding(sse: string, calls: unknown[][] = []) {
    return {
      calls,
      run: async (...args: unknown[]) => {
        calls.push(args);
        return streamOf(sse, 7);
      },
    };
  }

  it("streams `response` chunks and takes the usage from the last events", async () => {
    const fake = binding(
      'data: {"response":"Hi"}\n\ndata: {"response":" you"}\n\ndata: {"response":"","usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}\n\ndata: [DONE]\n\n',
    );
    const client = createWorkersAIClient({ binding: fake, model: "@cf/meta/llama-3.1-8b-instruct-fp8-fast" });
    const events: LLMStreamEvent[] = await collect(client.stream(MESSAGES, { maxOutputTokens: 32 }));
    expect(events).toEqual([
      { type: "text", text: "Hi" },
      { type: "text", text: " you" },
      {
        type: "usage",
        usage: {
          provider: "workers-ai",
          model: "@cf/meta/llama-3.1-8b-instruct-fp8-fast",
          inputTokens: 12,
          outputTokens: 3,
        },
      },
    ]);
    expect(fake.calls[0]).toEqual([
      "@cf/meta/llama-3.1-8b-instruct-fp8-fast",
      { messages: MESSAGES, max_tokens: 32, stream: true },
      undefined,
    ]);
  });

  it("SEC-59 bills the upper bound when the model sends no usage, and reads the OpenAI chat format too", async () => {
    const fake = binding('data: {"choices":[{"delta":{"content":"Hello"}}]}\n\ndata: [DONE]\n\n');
    const result = await createWorkersAIClient({ binding: fake, model: "m" }).complete(MESSAGES, {
      maxOutputTokens: 32,
    });
    expect(result.text).toBe("Hello");
    expect(result.usage.outputTokens).toBe(boundOutputTokens("Hello", 32));
    expect(result.usage.outputTokens).toBe(6); // 5 bytes + the stop token
    expect(result.usage.inputTokens).toBe(boundInputTokens(MESSAGES));
  });
});

describe("the fake provider", () => {
  it("answers deterministically, counts usage from its text, stops at max output tokens and fails on request", async () => {
    const client = createFakeLLMClient({ model: "fake-copilot-1", replyWords: 1000 });
    const first = await client.complete(MESSAGES, { maxOutputTokens: 20 });
    expect(await client.complete(MESSAGES, { maxOutputTokens: 20 })).toEqual(first);
    const whole = (await client.complete(MESSAGES, { maxOutputTokens: 100_000 })).text;
    expect(whole.startsWith(first.text)).toBe(true);
    expect(first.text.length).toBeLessThan(whole.length);
    expect(first.usage.outputTokens).toBe(countFakeTokens(first.text));
    expect(first.usage.outputTokens).toBeLessThanOrEqual(20);
    const failing = createFakeLLMClient({ model: "fake-copilot-1", failAfterChunks: 1 });
    await expect(failing.complete(MESSAGES, { maxOutputTokens: 100 })).rejects.toBeInstanceOf(LLMProviderError);
  });

  it("says it is fake, gives the note back once, then placeholder text: never the note over and over", async () => {
    const note = "Quarterly plan\n\nWe will ship the ledger, measure it under load and write down what we learned.";
    const messages: LLMMessage[] = [
      { role: "system", content: "Summarize the user's note." },
      { role: "user", content: note },
    ];
    const client = createFakeLLMClient({ model: "fake-copilot-1", replyWords: 40 });
    const { text } = await client.complete(messages, { maxOutputTokens: 100_000 });
    expect(text).toBe(
      `${FAKE_REPLY_LABEL} Quarterly plan We will ship the ledger, measure it under load and write down what we learned. ` +
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore",
    );
    expect(text.split(" ")).toHaveLength(40);
    const short = await createFakeLLMClient({ model: "fake-copilot-1", replyWords: 5 }).complete(messages, {
      maxOutputTokens: 100_000,
    });
    expect(short.text).toBe("[Fake AI: set AI_PROVIDER for");
  });
});

describe("AI settings", () => {
  const base = { ENVIRONMENT: "dev" } as Env;
  it("default to the fake provider in dev only, and name what is wrong elsewhere", () => {
    expect(readAIConfig({ ...base })).toMatchObject({
      config: { provider: "fake", model: "fake-copilot-1", maxOutputTokens: 1024, reservationTTLSeconds: 600 },
    });
    expect(readAIConfig({ ENVIRONMENT: "prod" } as Env)).toEqual({ problems: ["AI_PROVIDER"] });
    expect(readAIConfig({ ENVIRONMENT: "prod", AI_PROVIDER: "fake" } as Env)).toEqual({ problems: ["AI_PROVIDER"] });
    expect(readAIConfig({ ENVIRONMENT: "prod", AI_PROVIDER: "openai" } as Env)).toEqual({
      problems: ["OPENAI_API_KEY"],
    });
    expect(
      readAIConfig({
        ENVIRONMENT: "prod",
        AI_PROVIDER: "openai",
        OPENAI_API_KEY: "sk",
        OPENAI_BASE_URL: "http://gateway.example",
      } as Env),
    ).toEqual({ problems: ["OPENAI_BASE_URL"] });
    expect(readAIConfig({ ENVIRONMENT: "prod", AI_PROVIDER: "openai", OPENAI_API_KEY: "sk" } as Env)).toMatchObject({
      config: { provider: "openai", model: "gpt-4.1-mini", baseURL: "https://api.openai.com/v1" },
    });
    expect(readAIConfig({ ...base, AI_MAX_OUTPUT_TOKENS: "8" })).toEqual({ problems: ["AI_MAX_OUTPUT_TOKENS"] });
  });

  it("workers-ai takes the AI binding from Env, and names it when the binding is missing", () => {
    const workersAI = { ENVIRONMENT: "prod", AI_PROVIDER: "workers-ai" } as Env;
    expect(readAIConfig(workersAI)).toEqual({ problems: ["AI (binding)"] });
    const binding = { run: async () => new ReadableStream() } as unknown as Ai;
    expect(readAIConfig({ ...workersAI, AI: binding })).toMatchObject({
      config: { provider: "workers-ai", model: "@cf/meta/llama-3.1-8b-instruct-fp8-fast", binding },
    });
  });
});
