// SEC-63: a database error never brings its bound parameters into the logs. drizzle's
// DrizzleQueryError message is "Failed query: …\nparams: …"; D1's messages can quote a value.
// Each test forces a D1 failure on a statement whose parameters carry a marker, through the path
// that logs it (the error handler, a deferred task, the cron), and searches every console line.
import { env } from "cloudflare:test";
import { DrizzleQueryError, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { maintainAILedger } from "../../src/cron/ai-ledger";
import { createDB } from "../../src/db/client";
import { statementShape, summarizeError } from "../../src/db/error-summary";
import type { Env } from "../../src/env";
import { loadLedgerPolicy, reserveAITokens } from "../../src/features/ai/ledger";
import { HOUR_MS } from "../../src/lib/time";
import { createAIOrganization } from "../helpers/ai";
import { createClient } from "../helpers/client";
import { testServiceContext } from "../helpers/service-context";

const MARKER = "leakmarker7q3z";

/**
 * The test D1 binding, except that a statement bound to a value containing MARKER (and, when
 * given, whose SQL matches `only`) fails when it runs, alone or in a batch, as D1 does on an I/O
 * error. With `anyValue`, every statement matching `only` fails, whatever it binds.
 */
function d1FailingOnMarker(options: { only?: RegExp; message?: string; anyValue?: boolean } = {}): D1Database {
  const real = env.DB;
  const poisoned = new WeakSet<object>();
  const failure = () => new Error(options.message ?? "D1_ERROR: disk I/O error: SQLITE_IOERR");
  const isPoisoned = (query: string, values: unknown[]) =>
    (!options.only || options.only.test(query)) &&
    (options.anyValue || values.some((value) => String(value).includes(MARKER)));
  return new Proxy(real, {
    get(target, property) {
      if (property === "prepare") {
        return (query: string) => {
          const statement = target.prepare(query);
          const bind = statement.bind.bind(statement);
          statement.bind = (...values: unknown[]) => {
            const bound = bind(...values);
            if (isPoisoned(query, values)) {
              poisoned.add(bound);
              const fail = async () => {
                throw failure();
              };
              Object.assign(bound, { all: fail, raw: fail, run: fail, first: fail });
            }
            return bound;
          };
          return statement;
        };
      }
      if (property === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          if (statements.some((statement) => poisoned.has(statement))) throw failure();
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe("SEC-63 database errors in logs", () => {
  const lines: string[] = [];
  beforeEach(() => {
    lines.length = 0;
    for (const method of ["log", "warn", "error", "info", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    }
  });
  afterEach(() => vi.restoreAllMocks());

  const events = (name: string) =>
    lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === name);

  it("SEC-63 drizzle's own error message does carry the parameters (what the other tests guard against)", async () => {
    const db = createDB(d1FailingOnMarker());
    const error = await db.run(sql`SELECT id FROM user WHERE email = ${`${MARKER}@example.com`}`).catch((e) => e);
    expect(error).toBeInstanceOf(DrizzleQueryError);
    expect((error as Error).message).toContain(MARKER);
    expect(JSON.stringify(summarizeError(error))).not.toContain(MARKER);
  });

  it("SEC-63 the error handler logs a failed query by code and statement shape, never its parameters", async () => {
    const client = createClient({ env: { DB: d1FailingOnMarker() } as Partial<Env> });
    const response = await client.post("/auth/login", {
      email: `${MARKER}@example.com`,
      password: "a password long enough",
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: { code: "INTERNAL_ERROR", message: "Something went wrong." } });
    const [logged] = events("unhandled_error");
    expect(logged).toMatchObject({ error: "database_error", db_code: "SQLITE_IOERR", path: "/auth/login" });
    // The shape is cut after its first characters: the sign-in read's long column list fills them.
    expect(logged!.statement).toMatch(/^select "user"\."id", "user"\."email"/i);
    expect(lines.join("\n")).not.toContain(MARKER);
  });

  it("SEC-63 a deferred task's failed query (the verification email) logs neither the address nor the link's token", async () => {
    const client = createClient({ env: { DB: d1FailingOnMarker({ only: /dev_email/ }) } as Partial<Env> });
    const response = await client.post("/auth/signup", {
      email: `${MARKER}@example.com`,
      password: "a password long enough",
      first_name: "Ada",
      last_name: "Lovelace",
    });
    expect(response.status).toBe(201);
    const [logged] = events("deferred_task_failed");
    expect(logged).toMatchObject({ error: "database_error", db_code: "SQLITE_IOERR" });
    expect(logged!.statement).toMatch(/^insert into "dev_email"/i);
    const all = lines.join("\n");
    expect(all).not.toContain(MARKER);
    expect(all).not.toContain("token=");
  });

  it("SEC-63 the cron logs a failed reclaim by code only, even when D1's message quotes a value", async () => {
    const org = await createAIOrganization();
    const db = createDB(env.DB);
    await reserveAITokens(
      testServiceContext({ db }),
      {
        organizationId: org.id,
        userId: org.userId,
        tokens: 10,
        provider: "fake",
        model: "fake-copilot-1",
        ttlSeconds: 60,
        ip: null,
      },
      await loadLedgerPolicy(testServiceContext({ db }), org.id),
    );
    // D1_TYPE_ERROR quotes the value it refused: the settlement batch fails with one.
    const failing = d1FailingOnMarker({
      only: /INSERT INTO llm_usage_log/,
      anyValue: true,
      message: `D1_TYPE_ERROR: Type 'object' not supported for value '${MARKER}'`,
    });
    const report = await maintainAILedger(testServiceContext({ db: createDB(failing) }), {
      now: Date.now() + 2 * HOUR_MS,
    });
    expect(report.incomplete).toBe(true);
    expect(events("ai_reclaim_failed")[0]).toMatchObject({ error: "database_error", db_code: "D1_TYPE_ERROR" });
    expect(lines.join("\n")).not.toContain(MARKER);
    // Left open for the next run, which reclaims it.
    await maintainAILedger(testServiceContext({ db }), { now: Date.now() + 2 * HOUR_MS });
  });

  it("SEC-63 a statement's shape keeps its structure and drops every literal", () => {
    expect(statementShape(`select "id" from "user" where "email" = ?1 and name = 'O''Brien' limit 10`)).toBe(
      `select "id" from "user" where "email" = ? and name = ? limit ?`,
    );
  });
});
