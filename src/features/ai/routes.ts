// HTTP for POST /notes/{id}/copilot/{improve,summarize}: the note's text through the metered LLM.
import type { Context, TypedResponse } from "hono";
import type { AppEnv } from "../../env";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { minRole } from "../../middleware/access";
import { jsonBody, requireActor } from "../../platform/route-helpers";
import { serviceContextFrom } from "../../platform/service-context";
import { IdParamSchema } from "../../platform/schemas";
import { CopilotInputSchema, CopilotStreamSchema } from "./schemas";
import { runCopilot, type CopilotAction } from "./copilot-service";

const SUMMARIES: Record<CopilotAction, string> = {
  improve: "Rewrite a note more clearly (streamed text/plain), metered against the AI spend cap",
  summarize: "Summarize a note (streamed text/plain), metered against the AI spend cap",
};

function defineCopilotRoute(action: CopilotAction) {
  return defineRoute(
    {
      access: minRole("member", { apiKeyScope: "ai:use" }),
      errors: {
        QUOTA_EXCEEDED:
          "the allotment, credits and allowed overage cannot cover this call's worst case (input estimate + max output tokens); the provider was not contacted",
        FEATURE_DISABLED: "the plan has enable_ai off (checked before anything else)",
        NOT_FOUND: "no such note in your organization (checked before anything is reserved)",
      },
    },
    {
      method: "post",
      path: `/{id}/copilot/${action}`,
      tags: ["AI"],
      summary: SUMMARIES[action],
      description: [
        "The worst case is reserved before the provider is called (SEC-52); when the call ends the real usage is charged",
        "(allotment, then credits, then overage if enabled) and the rest released. Every refusal comes before the first byte,",
        "as the usual JSON error body: 402, 403, 404, 503 MISCONFIGURED (no AI provider, key or model price),",
        "and 502 UPSTREAM_UNAVAILABLE (the provider failed before writing anything, nothing is charged).",
        "Once streaming has begun the status is 200: a provider failure mid-stream ends the body early (a broken chunked",
        "response), and what was produced is charged, as it is when the client disconnects.",
      ].join(" "),
      request: { params: IdParamSchema, body: jsonBody(CopilotInputSchema) },
      responses: {
        200: {
          description: "The text, streamed (Transfer-Encoding: chunked) as the model writes it",
          content: { "text/plain": { schema: CopilotStreamSchema } },
        },
      },
    },
  );
}

const improve = defineCopilotRoute("improve");
const summarize = defineCopilotRoute("summarize");

/**
 * Sent on the streamed answer so that nothing between the worker and the browser compresses it.
 * Under `wrangler dev`, a request with a browser's `Accept-Encoding: gzip, deflate, br, zstd` gets
 * the body gzipped as one chunk once the provider has finished, so the text no longer streams
 * (https://github.com/cloudflare/workers-sdk/issues/6577, #8004); an encoding already set is left
 * alone. The answer is a few KiB of text, so compressing it saves little.
 */
const STREAMED_TEXT_HEADERS = {
  "Content-Type": "text/plain; charset=utf-8",
  "Content-Encoding": "identity",
} as const;

/**
 * The streamed body as the route's declared text/plain response. Hono types a text response as a
 * string it already holds; this one is a stream of that text, so the type is asserted here, once.
 */
function streamedText(c: Context<AppEnv>, body: ReadableStream<Uint8Array>): TypedResponse<string, 200, "text"> {
  const response = c.body(body, 200, STREAMED_TEXT_HEADERS);
  return response as unknown as TypedResponse<string, 200, "text">;
}

export const copilotRoutes = createRouter()
  .openapi(improve, async (c) => {
    const stream = await runCopilot(serviceContextFrom(c), requireActor(c), {
      noteId: c.req.valid("param").id,
      action: "improve",
      tone: c.req.valid("json").tone ?? "neutral",
    });
    return streamedText(c, stream);
  })
  .openapi(summarize, async (c) => {
    const stream = await runCopilot(serviceContextFrom(c), requireActor(c), {
      noteId: c.req.valid("param").id,
      action: "summarize",
      tone: c.req.valid("json").tone ?? "neutral",
    });
    return streamedText(c, stream);
  });
