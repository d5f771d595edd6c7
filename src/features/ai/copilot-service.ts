// Copilot rules: improve or summarize a note through the configured LLM, metered by the ledger.
// Order matters (SEC-52): feature flag → the note (org-scoped) → configuration and price →
// reservation → provider. Nothing is reserved for a refused call, and a refused reservation
// never reaches the provider.
import { misconfiguredError, requireSubsystemConfig } from "../../config";
import { AppError } from "../../errors";
import { logEvent } from "../../lib/log";
import type { ServiceContext } from "../../platform/service-context";
import type { Actor } from "../../platform/actor";
import { getNote } from "../notes/service";
import type { NoteRow } from "../notes/service";
import { createLLMClient } from "./llm";
import { boundInputTokens, type LLMMessage } from "./llm/types";
import { findModelPrice } from "./account-repo";
import { loadLedgerPolicy, reserveAITokens, settleAIReservationWithRetry } from "./ledger";
import { openMeteredStream } from "./metered-stream";
import { announceUsageThresholds, buildUsageThresholdStatements } from "./usage-alerts";

export const COPILOT_ACTIONS = ["improve", "summarize"] as const;
export type CopilotAction = (typeof COPILOT_ACTIONS)[number];

export const COPILOT_TONES = ["neutral", "formal", "friendly", "concise"] as const;
export type CopilotTone = (typeof COPILOT_TONES)[number];

const INSTRUCTIONS: Record<CopilotAction, (tone: CopilotTone) => string> = {
  improve: (tone) =>
    `You are an editor. Rewrite the user's note so it is clearer and better written, in a ${tone} tone. ` +
    "Keep its meaning, facts and language. Answer with the improved note only.",
  summarize: (tone) =>
    `Summarize the user's note in at most five sentences, in a ${tone} tone and in the note's language. ` +
    "Answer with the summary only.",
};

export function buildCopilotMessages(
  action: CopilotAction,
  note: Pick<NoteRow, "title" | "content">,
  tone: CopilotTone,
): LLMMessage[] {
  return [
    { role: "system", content: INSTRUCTIONS[action](tone) },
    { role: "user", content: `${note.title}\n\n${note.content}` },
  ];
}

/** A settled read's value, or its rejection rethrown. */
function unwrapSettled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === "rejected") throw result.reason;
  return result.value;
}

export interface CopilotRequest {
  noteId: string;
  action: CopilotAction;
  tone: CopilotTone;
}

/** The streamed text/plain body of a copilot call; every refusal is an AppError thrown before it. */
export async function runCopilot(
  ctx: ServiceContext,
  actor: Actor,
  request: CopilotRequest,
  options: { fetch?: typeof fetch } = {},
): Promise<ReadableStream<Uint8Array>> {
  // The three reads are independent, so they travel to the D1 primary together: one round trip
  // instead of three from a Worker far from it (docs/scaling.md, "Round trips to the primary").
  // Their outcomes, and the AI configuration, are then checked in the order that decides which
  // refusal a caller sees: plan, note, configuration, price.
  const configured = (async () => {
    const config = requireSubsystemConfig(ctx.config, "ai");
    return { config, client: createLLMClient(config, options) };
  })();
  const [policyRead, noteRead, configRead, priceRead] = await Promise.allSettled([
    loadLedgerPolicy(ctx, actor.organizationId),
    getNote(ctx, actor, request.noteId),
    configured,
    configured.then(({ client }) => findModelPrice(ctx.db, client.provider, client.model)),
  ]);
  const policy = unwrapSettled(policyRead);
  if (!policy.features.enable_ai) {
    throw new AppError("FEATURE_DISABLED", "AI features are not part of your organization's plan.", {
      feature: "enable_ai",
    });
  }
  // Another organization's note is 404 here, before anything is reserved (SEC-36).
  const note = unwrapSettled(noteRead);
  const { config, client } = unwrapSettled(configRead);
  const price = unwrapSettled(priceRead);
  if (!price) {
    // Never a free call: a model without a price is a configuration error.
    logEvent("error", "ai_model_unpriced", { provider: client.provider, model: client.model });
    throw misconfiguredError(["AI_MODEL"], { message: "The configured AI model has no price." });
  }
  const messages = buildCopilotMessages(request.action, note, request.tone);
  const reservation = await reserveAITokens(
    ctx,
    {
      organizationId: actor.organizationId,
      userId: actor.userId,
      apiKey: actor.apiKey ?? null,
      // An upper bound of what the provider can bill, so the cap is hard (SEC-59).
      tokens: boundInputTokens(messages) + config.maxOutputTokens,
      provider: client.provider,
      model: client.model,
      ttlSeconds: config.reservationTTLSeconds,
      ip: ctx.ip,
    },
    policy,
  );
  return openMeteredStream({
    client,
    messages,
    maxOutputTokens: config.maxOutputTokens,
    reservationId: reservation.id,
    defer: (task) => ctx.defer(task),
    settle: async (usage) => {
      // One round trip: the settlement reads the plan and settings inside its own batch (SEC-52),
      // and the usage alerts' claims ride in it, gated on this attempt having charged the allotment.
      const outcome = await settleAIReservationWithRetry(ctx, reservation, usage, {
        price,
        followUps: (attempt) => buildUsageThresholdStatements(ctx, actor.organizationId, policy, attempt),
      });
      if (outcome) announceUsageThresholds(ctx, actor.organizationId, policy, outcome.followUpResults);
      logEvent("info", "ai_call_settled", {
        reservation_id: reservation.id,
        organization_id: actor.organizationId,
        user_id: actor.userId,
        action: request.action,
        provider: client.provider,
        model: client.model,
        reserved_tokens: reservation.tokens,
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
        charged_tokens: outcome?.chargedTokens ?? null,
        settled: outcome?.isSettled ?? false,
      });
    },
  });
}
