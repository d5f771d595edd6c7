// The account export (API.md "Account lifecycle", SEC-79): one JSON document of everything
// stored about the caller, written as a stream page by page, so that however long the history
// the isolate holds at most one page of rows (EXPORT_PAGE_SIZE) and the client gets bytes early.
import { toISOString } from "../../lib/time";
import type { ServiceContext } from "../../platform/service-context";
import * as repo from "./export-repo";

/** Rows per D1 read: small enough to bound memory, large enough that a read is not per row. */
export const EXPORT_PAGE_SIZE = 200;

/** Bumped when a section changes shape, so a reader can tell the versions apart. */
const EXPORT_FORMAT = "rampart-account-export/1";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A section is either one value, or a list read in keyset pages. */
type Section = { name: string; value: () => Promise<Json> } | { name: string; pages: () => AsyncIterable<Json[]> };

/**
 * A ReadableStream of the export, pulled: the next page is read from D1 only when the client has
 * taken the previous one (backpressure), and a client that goes away stops the reads (cancel).
 * A failure after the first byte ends the body early; the JSON is then visibly incomplete.
 */
export function streamAccountExport(ctx: ServiceContext, userId: string): ReadableStream<Uint8Array> {
  const chunks = writeExport(exportSections(ctx, userId))[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await chunks.return?.(undefined);
    },
  });
}

async function* writeExport(sections: Section[]): AsyncGenerator<string> {
  // No export time in the body (the response's Date header has it): the same data gives the same
  // bytes, so two exports can be compared, and by the tenant-isolation matrix too.
  yield `{"format":${JSON.stringify(EXPORT_FORMAT)}`;
  for (const section of sections) {
    yield `,${JSON.stringify(section.name)}:`;
    if ("value" in section) {
      yield JSON.stringify(await section.value());
      continue;
    }
    yield "[";
    let first = true;
    for await (const page of section.pages()) {
      yield (first ? "" : ",") + page.map((row) => JSON.stringify(row)).join(",");
      first = false;
    }
    yield "]";
  }
  yield "}";
}

/** Pages of `read(after)` until one comes back short; `keyOf` is the cursor of a page's last row. */
async function* keysetPages<Row, Key>(
  start: Key,
  read: (after: Key) => Promise<Row[]>,
  keyOf: (row: Row) => Key,
  toJSON: (row: Row) => Json,
): AsyncGenerator<Json[]> {
  let after = start;
  for (;;) {
    const rows = await read(after);
    if (rows.length > 0) yield rows.map(toJSON);
    const last = rows.at(-1);
    if (rows.length < EXPORT_PAGE_SIZE || last === undefined) return;
    after = keyOf(last);
  }
}

function time(epochMs: number | null): string | null {
  return epochMs === null ? null : toISOString(epochMs);
}

function exportSections(ctx: ServiceContext, userId: string): Section[] {
  const { db } = ctx;
  return [
    {
      name: "profile",
      value: async () => {
        const row = await repo.findExportProfile(db, userId);
        if (!row) return null;
        return {
          id: row.id,
          email: row.email,
          first_name: row.firstName,
          last_name: row.lastName,
          email_verified_at: time(row.emailVerifiedAt),
          suspended_at: time(row.suspendedAt),
          created_at: time(row.createdAt),
          updated_at: time(row.updatedAt),
        };
      },
    },
    {
      name: "memberships",
      value: async () =>
        (await repo.listExportMemberships(db, userId)).map((row) => ({
          organization_id: row.organizationId,
          organization_name: row.organizationName,
          role: row.role,
        })),
    },
    {
      name: "oauth_accounts",
      value: async () =>
        (await repo.listExportOAuthAccounts(db, userId)).map((row) => ({
          provider: row.provider,
          email: row.email,
          created_at: time(row.createdAt),
        })),
    },
    {
      name: "sessions",
      value: async () =>
        (await repo.listExportSessions(db, userId)).map((row) => ({
          id: row.id,
          created_at: time(row.createdAt),
          authenticated_at: time(row.authenticatedAt),
          expires_at: time(row.expiresAt),
          user_agent: row.userAgent,
          ip: row.ip,
        })),
    },
    {
      name: "passkeys",
      value: async () =>
        (await repo.listExportPasskeys(db, userId)).map((row) => ({
          name: row.name,
          created_at: time(row.createdAt),
          last_used_at: time(row.lastUsedAt),
        })),
    },
    {
      name: "second_factors",
      value: async () => {
        const factors = await repo.findExportSecondFactors(db, userId);
        return {
          totp_enabled_at: time(factors.totpConfirmedAt),
          recovery_codes_left: factors.recoveryCodesLeft,
        };
      },
    },
    {
      name: "settings",
      value: async () =>
        (await repo.listExportSettings(db, userId)).map((row) => ({
          key: row.key,
          value: row.value as Json,
          updated_at: time(row.updatedAt),
        })),
    },
    {
      name: "notes",
      pages: () =>
        keysetPages<Awaited<ReturnType<typeof repo.listExportNotesPage>>[number], string | null>(
          null,
          (after) => repo.listExportNotesPage(db, userId, after, EXPORT_PAGE_SIZE),
          (row) => row.id,
          (row) => ({
            id: row.id,
            organization_id: row.organizationId,
            title: row.title,
            content: row.content,
            created_at: time(row.createdAt),
            updated_at: time(row.updatedAt),
          }),
        ),
    },
    {
      name: "api_keys",
      pages: () =>
        keysetPages<Awaited<ReturnType<typeof repo.listExportApiKeysPage>>[number], string | null>(
          null,
          (after) => repo.listExportApiKeysPage(db, userId, after, EXPORT_PAGE_SIZE),
          (row) => row.id,
          (row) => ({
            id: row.id,
            organization_id: row.organizationId,
            name: row.name,
            prefix: row.prefix,
            role: row.role,
            scopes: row.scopes,
            created_at: time(row.createdAt),
            expires_at: time(row.expiresAt),
            last_used_at: time(row.lastUsedAt),
            revoked_at: time(row.revokedAt),
          }),
        ),
    },
    {
      name: "ai_usage",
      pages: () =>
        keysetPages(
          0,
          (after) => repo.listExportAIUsagePage(db, userId, after, EXPORT_PAGE_SIZE),
          (row) => row.id,
          (row) => ({
            organization_id: row.organizationId,
            provider: row.provider,
            model: row.model,
            bucket: row.bucket,
            tokens: row.tokens,
            input_tokens: row.inputTokens,
            output_tokens: row.outputTokens,
            cost_usd: row.costUSD,
            created_at: time(row.createdAt),
          }),
        ),
    },
    {
      name: "ai_usage_monthly",
      value: async () =>
        (await repo.listExportAIUsageMonthly(db, userId, 10_000)).map((row) => ({
          organization_id: row.organizationId,
          month_start: time(row.monthStart),
          provider: row.provider,
          model: row.model,
          tokens: row.tokens,
          cost_usd: row.costUSD,
          calls: row.calls,
        })),
    },
    {
      name: "audit_events",
      pages: () =>
        keysetPages(
          0,
          (after) => repo.listExportAuditPage(db, userId, after, EXPORT_PAGE_SIZE),
          (row) => row.id,
          (row) => ({
            action: row.action,
            organization_id: row.organizationId,
            actor_user_id: row.actorUserId,
            target: row.target,
            ip: row.ip,
            details: (row.details ?? null) as Json,
            created_at: time(row.createdAt),
          }),
        ),
    },
  ];
}
