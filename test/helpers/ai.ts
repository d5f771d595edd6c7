// AI ledger fixtures: an organization with a member, a note, a plan sized in worst-case calls,
// credits bought the way billing records them, overage switches, and the ledger's invariants.
import { env } from "cloudflare:test";
import { expect } from "vitest";
import type { Env } from "../../src/env";
import { buildCopilotMessages, type CopilotAction } from "../../src/features/ai/copilot-service";
import { boundInputTokens } from "../../src/features/ai/llm/types";
import { createClient, type TestClient } from "./client";
import { insertUser } from "./factories";
import { signIn } from "./orgs";

/** Fake provider, short answers: output stops at AI_MAX_OUTPUT_TOKENS (input is billed far below its bound). */
const AI_MAX_OUTPUT_TOKENS = 64;

function aiEnv(overrides: Partial<Env> = {}): Partial<Env> {
  return {
    AI_PROVIDER: "fake",
    AI_MAX_OUTPUT_TOKENS: String(AI_MAX_OUTPUT_TOKENS),
    AI_FAKE_REPLY_WORDS: "400",
    ...overrides,
  };
}

/** A client for the same signed-in user, on a worker env with these AI settings. */
export function withEnv(client: TestClient, overrides: Partial<Env>): TestClient {
  const copy = createClient({ env: aiEnv(overrides), ip: client.ip, origin: client.origin });
  for (const [name, value] of client.cookies) copy.cookies.set(name, value);
  return copy;
}

export const NOTE = {
  title: "Quarterly plan",
  content: "We will ship the ledger, measure it under load and write down what we learned.",
};

export interface AIOrganization {
  id: string;
  userId: string;
  /** Signed in, role member, AI settings of aiEnv(). */
  client: TestClient;
  noteId: string;
  /** The tokens one copilot call reserves: the input bound + max output tokens. */
  worstCase: number;
}

export function worstCaseOf(action: CopilotAction = "improve", note = NOTE): number {
  return boundInputTokens(buildCopilotMessages(action, note, "neutral")) + AI_MAX_OUTPUT_TOKENS;
}

/** A member of a fresh organization with one note; its plan has enable_ai and token_limit. */
export async function createAIOrganization(
  options: { tokenLimit?: number; enableAI?: boolean; credits?: number; role?: "member" | "org_admin" } = {},
): Promise<AIOrganization & { email: string }> {
  const user = await insertUser({ role: options.role ?? "member" });
  const client = withEnv(await signIn(user), {});
  const created = await client.post("/notes", NOTE);
  expect(created.status).toBe(201);
  const { id: noteId } = (await created.json()) as { id: string };
  await setPlan(user.organizationId, {
    token_limit: options.tokenLimit ?? 50_000,
    enable_ai: options.enableAI ?? true,
  });
  if (options.credits) await buyCredits(user.organizationId, options.credits);
  return { id: user.organizationId, userId: user.id, email: user.email, client, noteId, worstCase: worstCaseOf() };
}

export async function setPlan(
  organizationId: string,
  features: { token_limit: number; enable_ai: boolean },
): Promise<void> {
  const planId = `plan_ai_${crypto.randomUUID()}`;
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO plan (id, name, is_default, features, created_at, updated_at) VALUES (?, 'AI test', 0, ?, 0, 0)",
    ).bind(planId, JSON.stringify({ max_notes: -1, ...features })),
    env.DB.prepare("UPDATE organization SET plan_id = ? WHERE id = ?").bind(planId, organizationId),
  ]);
}

/** Credits as billing records a purchase: a transaction row and the balance, together. */
export async function buyCredits(
  organizationId: string,
  tokens: number,
  paymentIntentId: string | null = null,
): Promise<void> {
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO organization_credit_transaction (id, organization_id, tokens, kind, payment_reference, created_at, payment_intent_id) VALUES (?, ?, ?, 'purchase', ?, ?, ?)",
    ).bind(crypto.randomUUID(), organizationId, tokens, `cs_test_${crypto.randomUUID()}`, Date.now(), paymentIntentId),
    env.DB.prepare("UPDATE organization SET credit_balance_tokens = credit_balance_tokens + ? WHERE id = ?").bind(
      tokens,
      organizationId,
    ),
  ]);
}

async function putSetting(scope: string, scopeId: string, key: string, value: unknown): Promise<void> {
  await env.DB.prepare(
    `INSERT INTO setting (scope, scope_id, key, value, updated_at, updated_by_user_id) VALUES (?, ?, ?, ?, ?, NULL)
     ON CONFLICT (scope, scope_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  )
    .bind(scope, scopeId, key, JSON.stringify(value), Date.now())
    .run();
}

/** ai_member_token_limit of the organization; null: no per-member budget. */
export async function setMemberTokenLimit(organizationId: string, tokens: number | null): Promise<void> {
  await putSetting("organization", organizationId, "ai_member_token_limit", tokens);
}

export async function setSystemOverage(isEnabled: boolean): Promise<void> {
  await putSetting("system", "", "ai_overage_enabled", isEnabled);
}

export async function setOverage(
  organizationId: string,
  options: { organization: boolean; system: boolean; ceiling: number },
): Promise<void> {
  await putSetting("organization", organizationId, "overage_enabled", options.organization);
  await putSetting("organization", organizationId, "ai_overage_ceiling_tokens", options.ceiling);
  await putSetting("system", "", "ai_overage_enabled", options.system);
}

export interface LedgerState {
  allotment_used: number;
  overage_used: number;
  reserved_tokens: number;
  allotment_logged: number;
  overage_logged: number;
  credits_logged: number;
  absorbed_logged: number;
  open_reservations: number;
  open_reserved: number;
  credit_balance: number;
  credits_bought: number;
  usage_rows: number;
}

export async function readLedger(organizationId: string): Promise<LedgerState> {
  const row = await env.DB.prepare(
    `SELECT coalesce(a.allotment_used, 0) AS allotment_used, coalesce(a.overage_used, 0) AS overage_used,
            coalesce(a.reserved_tokens, 0) AS reserved_tokens,
            (SELECT coalesce(sum(tokens), 0) FROM llm_usage_log l WHERE l.organization_id = o.id AND l.period_start = a.period_start AND bucket = 'allotment') AS allotment_logged,
            (SELECT coalesce(sum(tokens), 0) FROM llm_usage_log l WHERE l.organization_id = o.id AND l.period_start = a.period_start AND bucket = 'overage') AS overage_logged,
            (SELECT coalesce(sum(tokens), 0) FROM llm_usage_log l WHERE l.organization_id = o.id AND bucket = 'credits') AS credits_logged,
            (SELECT coalesce(sum(tokens), 0) FROM llm_usage_log l WHERE l.organization_id = o.id AND bucket = 'absorbed') AS absorbed_logged,
            (SELECT count(*) FROM ai_reservation r WHERE r.organization_id = o.id AND settled_at IS NULL) AS open_reservations,
            (SELECT coalesce(sum(tokens), 0) FROM ai_reservation r WHERE r.organization_id = o.id AND settled_at IS NULL) AS open_reserved,
            o.credit_balance_tokens AS credit_balance,
            (SELECT coalesce(sum(tokens), 0) FROM organization_credit_transaction t WHERE t.organization_id = o.id) AS credits_bought,
            (SELECT count(*) FROM llm_usage_log l WHERE l.organization_id = o.id) AS usage_rows
       FROM organization o LEFT JOIN ai_account a ON a.organization_id = o.id WHERE o.id = ?`,
  )
    .bind(organizationId)
    .first<LedgerState>();
  return row!;
}

/** The ledger's invariants: counters == sums of llm_usage_log; reserved == open reservations. */
export function expectConsistent(ledger: LedgerState): void {
  expect({
    allotment: ledger.allotment_used,
    overage: ledger.overage_used,
    reserved: ledger.reserved_tokens,
    credit_balance: ledger.credit_balance,
  }).toEqual({
    allotment: ledger.allotment_logged,
    overage: ledger.overage_logged,
    reserved: ledger.open_reserved,
    credit_balance: ledger.credits_bought - ledger.credits_logged,
  });
}

/** Tokens charged to the organization (every bucket but absorbed). */
export function chargedTokens(ledger: LedgerState): number {
  return ledger.allotment_logged + ledger.credits_logged + ledger.overage_logged;
}

export async function readText(response: Response): Promise<string> {
  return new TextDecoder().decode(await response.arrayBuffer());
}
