// Mixed traffic with invariants (issue 11), run by bench/run.mjs: every kind of request at once
// against one workerd for a few minutes (sign-ups, logins, session checks, notes against their
// quota, copilot calls near the AI cap, some aborted mid-stream, logouts, suspensions and cron
// runs), then the invariants the guarantees promise, read straight from the worker's D1:
//   - AI counters equal the sums of llm_usage_log, and nothing stays reserved (SEC-52, SEC-59);
//   - every organization's notes per period are at most its quota and equal to its counter (SEC-60);
//   - no session of a logged-out or suspended user validates.
// Plus the AI reservation's size before and after SEC-59's bound, against o200k_base's real count.
// No timed assertion: latencies are reported, the verdict rests on 5xx = 0 and the invariants.
import { encodeChat } from "gpt-tokenizer/model/gpt-4.1-mini";
import { createClient, logIn, PASSWORD, startWorker, uniqueEmail, WEB_ORIGIN } from "../http/harness.mjs";
import { median, percentile } from "../http/benches.mjs";

/**
 * The plan every organization gets (the default plan, set through the admin API): a token_limit
 * that fits five copilot reservations at once (~1,500 tokens each) while a call really uses ~150,
 * so the copilot organizations run into their cap during the run and are refused from then on.
 */
const MIXED_PLAN = { max_notes: 8, token_limit: 8_000, enable_ai: true };
/** Concurrent loops per kind. One signup and one login loop: Argon2 would otherwise take the isolate. */
const ACTORS = { signup: 1, login: 1, me: 4, notes: 3, copilot: 4, logout: 1, suspend: 1, cron: 1 };
/** The copilot calls go to the first few seed organizations only, so each meets its cap. */
const AI_ORGANIZATIONS = 4;
/** One copilot call in this many is cancelled by the client after its first chunk. */
const ABORT_ONE_IN = 6;
const SEED_USERS = 10;
/** The fake provider's pace: a call streams for ~200 ms, so calls of one organization overlap. */
const WORKER_VARS = { AI_FAKE_CHUNK_DELAY_MS: "20" };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = (items) => items[Math.floor(Math.random() * items.length)];

function createRecorder() {
  const routes = new Map();
  return {
    async time(route, work) {
      const started = performance.now();
      let status;
      try {
        status = await work();
      } catch (error) {
        status = `error: ${error instanceof Error ? error.message.slice(0, 80) : String(error)}`;
      }
      const entry = routes.get(route) ?? { samples: [], statuses: {} };
      entry.samples.push(performance.now() - started);
      entry.statuses[status] = (entry.statuses[status] ?? 0) + 1;
      routes.set(route, entry);
      return status;
    },
    summary() {
      return [...routes].map(([route, { samples, statuses }]) => ({
        route,
        requests: samples.length,
        p50: median(samples),
        p99: percentile(samples, 99),
        statuses,
        fivexx: Object.entries(statuses)
          .filter(([status]) => Number(status) >= 500 || String(status).startsWith("error"))
          .reduce((sum, [, n]) => sum + n, 0),
      }));
    },
  };
}

async function readVerificationToken(client, email) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const response = await client.get(`/dev/emails?to=${encodeURIComponent(email)}`);
    for (const message of response.status === 200 ? response.json() : []) {
      for (const link of message.links) {
        const token = new URL(link).searchParams.get("token");
        if (new URL(link).pathname === "/verify-email" && token) return token;
      }
    }
    await sleep(20);
  }
  throw new Error(`no verification email reached ${email}`);
}

export async function runMixedTraffic({ seconds, log }) {
  const server = await startWorker({ vars: WORKER_VARS });
  const db = await server.mf.getD1Database("DB");
  const client = createClient(server.url);
  const recorder = createRecorder();
  /** Users: { id, email, orgId, sessions: string[], notes: string[], suspended } */
  const users = [];
  const loggedOut = [];
  const suspendedSessions = [];
  const counts = { signups: 0, suspensions: 0, aborts: 0, cronRuns: 0 };
  try {
    // Setup, not timed: a sys_admin (promoted in D1, as `npm run admin:create` would make one)
    // puts every organization on a small default plan through the admin API.
    const adminEmail = uniqueEmail("mixed-admin");
    await signUpAndVerify(client, adminEmail);
    await db.prepare(`UPDATE "user" SET is_sys_admin = 1 WHERE email = ?`).bind(adminEmail).run();
    const admin = await logIn(client, adminEmail);
    const plan = await client.post(
      "/admin/plans",
      { name: "Mixed bench", features: MIXED_PLAN },
      { cookie: admin.cookie },
    );
    if (plan.status !== 201) throw new Error(`POST /admin/plans: ${plan.status} ${plan.text}`);
    const made = await client.post(`/admin/plans/${plan.json().id}/default`, undefined, { cookie: admin.cookie });
    if (made.status !== 200) throw new Error(`make default: ${made.status} ${made.text}`);
    for (let i = 0; i < SEED_USERS; i++) users.push(await createUser(client, "mixed-seed"));
    const aiUsers = users.slice(0, AI_ORGANIZATIONS);

    const deadline = Date.now() + seconds * 1000;
    const running = () => Date.now() < deadline;
    const live = () => users.filter((user) => !user.suspended && user.sessions.length > 0);
    const send = (method, path, { cookie, body } = {}) =>
      fetch(`${server.url}${path}`, {
        method,
        headers: {
          "cf-connecting-ip": nextIP(),
          ...(method === "GET" ? {} : { origin: WEB_ORIGIN }),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(cookie ? { cookie } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    const actors = {
      async signup() {
        const email = uniqueEmail("mixed");
        const signedUp = await recorder.time("POST /auth/signup", async () => {
          const response = await send("POST", "/auth/signup", {
            body: { email, password: PASSWORD, first_name: "Mixed", last_name: "User" },
          });
          await response.arrayBuffer();
          return response.status;
        });
        if (signedUp !== 201) return;
        const token = await readVerificationToken(client, email);
        const verified = await recorder.time("POST /auth/verify-email", async () => {
          const response = await send("POST", "/auth/verify-email", { body: { token } });
          await response.arrayBuffer();
          return response.status;
        });
        if (verified !== 200) return;
        const user = { email, sessions: [], notes: [], suspended: false };
        if ((await login(user)) === 200) {
          users.push(user);
          counts.signups++;
        }
      },
      async login() {
        const user = pick(users.filter((candidate) => !candidate.suspended));
        if (user) await login(user);
      },
      async me() {
        const user = pick(live());
        if (!user) return sleep(10);
        const cookie = pick(user.sessions);
        await recorder.time("GET /users/me", async () => {
          const response = await send("GET", "/users/me", { cookie });
          await response.arrayBuffer();
          return response.status;
        });
      },
      async notes() {
        // Not the copilot organizations' notes: a deleted note is a copilot call's 404.
        const user = pick(live().filter((candidate) => !aiUsers.includes(candidate)));
        if (!user) return sleep(10);
        const cookie = pick(user.sessions);
        if (user.notes.length > 0 && Math.random() < 0.3) {
          const id = user.notes.splice(Math.floor(Math.random() * user.notes.length), 1)[0];
          await recorder.time("DELETE /notes/{id}", async () => {
            const response = await send("DELETE", `/notes/${id}`, { cookie });
            await response.arrayBuffer();
            return response.status;
          });
          return;
        }
        await recorder.time("POST /notes", async () => {
          const response = await send("POST", "/notes", {
            cookie,
            body: { title: "Mixed traffic", content: "A note the copilot may summarize. ".repeat(6) },
          });
          const text = await response.text();
          if (response.status === 201) user.notes.push(JSON.parse(text).id);
          return response.status;
        });
      },
      async copilot() {
        const user = pick(aiUsers.filter((candidate) => candidate.notes.length > 0));
        if (!user) return sleep(10);
        const cookie = pick(user.sessions);
        const abort = Math.random() < 1 / ABORT_ONE_IN;
        await recorder.time(`POST /notes/{id}/copilot/summarize${abort ? " (aborted)" : ""}`, async () => {
          const response = await send("POST", `/notes/${pick(user.notes)}/copilot/summarize`, { cookie, body: {} });
          if (abort && response.status === 200) {
            const reader = response.body.getReader();
            await reader.read();
            await reader.cancel();
            counts.aborts++;
          } else {
            await response.arrayBuffer();
          }
          return response.status;
        });
      },
      async logout() {
        await sleep(150);
        const user = pick(live().filter((candidate) => candidate.sessions.length > 1));
        if (!user) return;
        const cookie = user.sessions.splice(Math.floor(Math.random() * user.sessions.length), 1)[0];
        const status = await recorder.time("POST /auth/logout", async () => {
          const response = await send("POST", "/auth/logout", { cookie });
          await response.arrayBuffer();
          return response.status;
        });
        if (status === 204 || status === 200) loggedOut.push(cookie);
        else user.sessions.push(cookie);
      },
      async suspend() {
        await sleep(3_000);
        const user = pick(live().filter((candidate) => !aiUsers.includes(candidate)));
        if (!user || counts.suspensions >= users.length / 8) return;
        // Marked first: no actor starts a new request as this user once the suspension is sent.
        user.suspended = true;
        const status = await recorder.time("POST /users/{id}/suspend", async () => {
          const response = await send("POST", `/users/${user.id}/suspend`, { cookie: admin.cookie });
          await response.arrayBuffer();
          return response.status;
        });
        if (status === 204) {
          counts.suspensions++;
          suspendedSessions.push(...user.sessions);
        } else {
          user.suspended = false;
        }
      },
      async cron() {
        await sleep(10_000);
        await recorder.time("cron (scheduled handler)", async () => {
          const worker = await server.mf.getWorker();
          const result = await worker.scheduled({ cron: "*/5 * * * *" });
          counts.cronRuns++;
          return result.outcome === "ok" ? 200 : `error: ${result.outcome}`;
        });
      },
    };

    async function login(user) {
      const status = await recorder.time("POST /auth/login", async () => {
        const response = await send("POST", "/auth/login", { body: { email: user.email, password: PASSWORD } });
        const text = await response.text();
        if (response.status === 200) {
          const body = JSON.parse(text);
          user.id = body.id;
          user.orgId = body.organization_id;
          user.sessions.push((response.headers.get("set-cookie") ?? "").split(";")[0]);
        }
        return response.status;
      });
      return status;
    }

    log(`mixed traffic: ${seconds} s, actors ${JSON.stringify(ACTORS)}, plan ${JSON.stringify(MIXED_PLAN)}`);
    const started = performance.now();
    await Promise.all(
      Object.entries(ACTORS).flatMap(([name, count]) =>
        Array.from({ length: count }, async () => {
          while (running()) await actors[name]();
        }),
      ),
    );
    const wallSeconds = (performance.now() - started) / 1000;

    // Deferred settlements of aborted calls finish, then one more cron run, as production would.
    await sleep(1_000);
    const worker = await server.mf.getWorker();
    await worker.scheduled({ cron: "*/5 * * * *" });

    const invariants = await checkInvariants(db, send, { loggedOut, suspendedSessions });
    const reservation = await measureReservation(send);
    return {
      seconds,
      wallSeconds,
      actors: ACTORS,
      plan: MIXED_PLAN,
      routes: recorder.summary(),
      counts: {
        ...counts,
        users: users.length,
        loggedOut: loggedOut.length,
        suspendedSessions: suspendedSessions.length,
      },
      invariants,
      reservation,
      problems: server.problems.filter((message) => !/ai_usage_absorbed|ai_provider_failed/.test(message)).slice(0, 10),
    };
  } finally {
    await server.dispose();
  }
}

let ipCounter = 0;
/** A fresh CF-Connecting-IP per request, from 198.18/15 as the harness uses (other octets). */
function nextIP() {
  ipCounter++;
  return `198.${18 + ((ipCounter >> 16) & 1)}.${128 + ((ipCounter >> 8) & 127)}.${ipCounter & 255}`;
}

async function signUpAndVerify(client, email) {
  const response = await client.post("/auth/signup", {
    email,
    password: PASSWORD,
    first_name: "Mixed",
    last_name: "Admin",
  });
  if (response.status !== 201) throw new Error(`signup: ${response.status} ${response.text}`);
  const token = await readVerificationToken(client, email);
  const verified = await client.post("/auth/verify-email", { token });
  if (verified.status !== 200) throw new Error(`verify-email: ${verified.status} ${verified.text}`);
}

/** A verified user, signed in, with one note (setup, not timed). */
async function createUser(client, label) {
  const email = uniqueEmail(label);
  await signUpAndVerify(client, email);
  const { cookie, user } = await logIn(client, email);
  const note = await client.post(
    "/notes",
    { title: "Seed", content: "A note the copilot may summarize. ".repeat(6) },
    { cookie },
  );
  if (note.status !== 201) throw new Error(`POST /notes: ${note.status} ${note.text}`);
  return {
    id: user.id,
    email,
    orgId: user.organization_id,
    sessions: [cookie],
    notes: [note.json().id],
    suspended: false,
  };
}

async function all(db, query) {
  return (await db.prepare(query).all()).results;
}

async function checkInvariants(db, send, { loggedOut, suspendedSessions }) {
  const ledger = await all(
    db,
    `SELECT a.organization_id, a.allotment_used, a.overage_used, a.reserved_tokens,
            -- The organization's own plan (the earlier benches' organizations have one), else the default plan.
            coalesce((SELECT json_extract(p.features, '$.token_limit') FROM organization o JOIN plan p ON p.id = o.plan_id
                       WHERE o.id = a.organization_id),
                     (SELECT json_extract(features, '$.token_limit') FROM plan WHERE is_default = 1)) AS token_limit,
            (SELECT coalesce(sum(tokens), 0) FROM llm_usage_log l
              WHERE l.organization_id = a.organization_id AND l.period_start = a.period_start AND l.bucket = 'allotment') AS allotment_logged,
            (SELECT coalesce(sum(tokens), 0) FROM llm_usage_log l
              WHERE l.organization_id = a.organization_id AND l.period_start = a.period_start AND l.bucket = 'overage') AS overage_logged,
            (SELECT count(*) FROM ai_reservation r WHERE r.organization_id = a.organization_id AND r.settled_at IS NULL) AS open_reservations
       FROM ai_account a`,
  );
  const aiMismatches = ledger.filter(
    (row) =>
      row.allotment_used !== row.allotment_logged ||
      row.overage_used !== row.overage_logged ||
      row.reserved_tokens !== 0 ||
      row.open_reservations !== 0 ||
      (row.token_limit !== -1 && row.allotment_used > row.token_limit),
  );
  const [usage] = await all(
    db,
    `SELECT count(*) AS calls, coalesce(sum(tokens), 0) AS tokens,
            coalesce(sum(CASE WHEN bucket = 'absorbed' THEN tokens ELSE 0 END), 0) AS absorbed
       FROM llm_usage_log`,
  );
  // Notes per (organization, period) against the counter of that period and the plan's quota.
  const notes = await all(
    db,
    `SELECT c.organization_id, c.period_start, c.used,
            (SELECT count(*) FROM note n WHERE n.organization_id = c.organization_id AND n.quota_period_start = c.period_start) AS notes
       FROM usage_counter c WHERE c.feature = 'max_notes'`,
  );
  const [unperioded] = await all(db, "SELECT count(*) AS n FROM note WHERE quota_period_start IS NULL");
  const noteMismatches = notes.filter((row) => row.used !== row.notes || row.notes > MIXED_PLAN.max_notes);
  const sessionChecks = { loggedOut: 0, suspended: 0 };
  const validating = [];
  for (const [kind, cookies] of [
    ["loggedOut", loggedOut],
    ["suspended", suspendedSessions],
  ]) {
    for (const cookie of cookies) {
      const response = await send("GET", "/users/me", { cookie });
      await response.arrayBuffer();
      sessionChecks[kind]++;
      if (response.status === 200) validating.push(kind);
    }
  }
  return {
    accounts: ledger.length,
    aiMismatches,
    usage,
    organizations: notes.length,
    noteMismatches,
    unperiodedNotes: unperioded.n,
    sessionChecks,
    validatingSessions: validating.length,
    pass: aiMismatches.length === 0 && noteMismatches.length === 0 && unperioded.n === 0 && validating.length === 0,
  };
}

/** The pre-SEC-59 reservation formula (types.ts before it): 1 token per 3 UTF-8 bytes + 8 per message. */
function oldEstimate(messages) {
  const bytes = (text) => new TextEncoder().encode(text).length;
  return messages.reduce((total, message) => total + Math.ceil(bytes(message.content) / 3) + 8, 0);
}

const NOTE_KINDS = {
  "English prose, 2,000 characters":
    "We will ship the ledger, measure it under load and write down what we learned. ".repeat(25),
  "the bench's copilot note": "A note the copilot may summarize. ".repeat(6),
  "digits 0 1 2 3 …, 20,000 characters": Array.from({ length: 10_000 }, (_, i) => String(i % 10)).join(" "),
  "Japanese, 2,000 characters": "東京都の天気は晴れです。明日は雨が降るでしょう。".repeat(84),
};

/** Tokens reserved per call before and after SEC-59, o200k_base's real count, and calls a cap admits. */
async function measureReservation(send) {
  const rows = [];
  for (const [kind, content] of Object.entries(NOTE_KINDS)) {
    const response = await send("POST", "/bench/ai/prompt", { body: { title: "Note", content } });
    const { messages, input_bound: inputBound, max_output_tokens: maxOutput } = await response.json();
    rows.push({
      kind,
      real: encodeChat(messages).length,
      old: oldEstimate(messages),
      bound: inputBound,
      maxOutput,
    });
  }
  return rows;
}

const fmt = (value, digits = 0) =>
  value === null || value === undefined || Number.isNaN(value) ? "–" : Number(value).toFixed(digits);
const REFERENCE_CAP = 50_000;

export function mixedReport(result) {
  const total = result.routes.reduce((sum, row) => sum + row.requests, 0);
  const fivexx = result.routes.reduce((sum, row) => sum + row.fivexx, 0);
  const inv = result.invariants;
  const pass = fivexx === 0 && inv.pass;
  const summaryRow = `| Mixed traffic, ${result.seconds} s, invariants (SEC-52, SEC-59, SEC-60, sessions) | 0 × 5xx; counters = usage log, nothing reserved, notes ≤ quota = counter, no revoked session validates | ${total} requests, ${fivexx} × 5xx, invariants ${inv.pass ? "hold" : "**broken**"} | ${pass ? "**PASS**" : "**FAIL**"} |`;
  const lines = [
    "## 5. Mixed traffic with invariants",
    "",
    `Every kind of request at once against one workerd for ${result.seconds} s (wall ${fmt(result.wallSeconds)} s): concurrent loops of`,
    Object.entries(result.actors)
      .map(([name, count]) => `${count} × ${name}`)
      .join(", ") +
      `; every organization on the default plan ${JSON.stringify(result.plan)} (set through POST /admin/plans and /default).`,
    `Copilot calls go to ${AI_ORGANIZATIONS} organizations on the fake provider at 20 ms a chunk, so calls of one organization overlap (five reservations fit its allotment)`,
    `until its allotment is spent; one in ${ABORT_ONE_IN} is cancelled by the client after its first chunk. Argon2 (sign-ups, logins) shares the one isolate thread with everything else.`,
    "The load generator and workerd share the machine's 2 cores with other engineers' jobs: latencies are this run's, for comparison within it only.",
    "",
    "| Route | requests | p50 ms | p99 ms | statuses | 5xx |",
    "| --- | ---: | ---: | ---: | --- | ---: |",
    ...result.routes
      .sort((a, b) => a.route.localeCompare(b.route))
      .map(
        (row) =>
          `| ${row.route} | ${row.requests} | ${fmt(row.p50, 1)} | ${fmt(row.p99, 1)} | ${Object.entries(row.statuses)
            .map(([status, n]) => `${status}: ${n}`)
            .join(", ")} | ${row.fivexx} |`,
      ),
    "",
    `**${total} requests, ${fivexx} × 5xx** (target 0). ${result.counts.signups} sign-ups completed, ${result.counts.users} users in all,`,
    `${result.counts.loggedOut} sessions logged out, ${result.counts.suspensions} users suspended (${result.counts.suspendedSessions} of their sessions kept), ${result.counts.aborts} copilot calls aborted mid-stream, ${result.counts.cronRuns} cron runs during the load and one after.` +
      (result.problems.length > 0
        ? ` Worker warnings/errors (first ${result.problems.length}): ${JSON.stringify(result.problems).slice(0, 600)}`
        : " The worker logged no unexpected warning or error."),
    "",
    "Invariants, read from the worker's D1 after the load (and one final cron run):",
    "",
    "| Invariant | checked | result |",
    "| --- | --- | --- |",
    `| AI counters (allotment, overage) equal the sums of llm_usage_log; reserved_tokens = 0 and no open reservation; allotment ≤ the plan's token_limit | ${inv.accounts} AI accounts, ${inv.usage.calls} usage rows, ${inv.usage.tokens} tokens (${inv.usage.absorbed} absorbed) | ${inv.aiMismatches.length === 0 ? "holds" : `**${inv.aiMismatches.length} broken**: ${JSON.stringify(inv.aiMismatches.slice(0, 3))}`} |`,
    `| Each organization's notes of a period = that period's max_notes counter, and ≤ ${result.plan.max_notes}; every note knows its period | ${inv.organizations} counters | ${inv.noteMismatches.length === 0 && inv.unperiodedNotes === 0 ? "holds" : `**broken**: ${JSON.stringify(inv.noteMismatches.slice(0, 3))}, ${inv.unperiodedNotes} notes without a period`} |`,
    `| No session of a logged-out or suspended user validates (GET /users/me) | ${inv.sessionChecks.loggedOut} logged-out + ${inv.sessionChecks.suspended} suspended sessions | ${inv.validatingSessions === 0 ? "holds" : `**${inv.validatingSessions} still validate**`} |`,
    "",
    "### The AI reservation before and after SEC-59",
    "",
    "Tokens one copilot summary reserves for its input: the old estimate (1 token per 3 UTF-8 bytes + 8 per message), the SEC-59 bound",
    "(1 per byte + the chat template), and what o200k_base (gpt-4.1-mini) really counts for the same chat (gpt-tokenizer's encodeChat). A call",
    `reserves that plus AI_MAX_OUTPUT_TOKENS (${result.reservation[0]?.maxOutput ?? "–"} here); the last columns are how many such calls a cap of ${REFERENCE_CAP.toLocaleString("en")} tokens admits at once.`,
    "",
    "| Note | real input tokens | old estimate | SEC-59 bound | bound / real | old: real / reserved input | calls admitted at once, old → now |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...result.reservation.map(
      (row) =>
        `| ${row.kind} | ${row.real} | ${row.old} | ${row.bound} | ${fmt(row.bound / row.real, 2)} | ${fmt(row.real / row.old, 2)}${row.real > row.old ? " (**under-reserved**)" : ""} | ${Math.floor(REFERENCE_CAP / (row.old + row.maxOutput))} → ${Math.floor(REFERENCE_CAP / (row.bound + row.maxOutput))} |`,
    ),
    "",
    "The bound is never below the real count (test/features/ai/token-bound.test.ts proves it on adversarial and generated text); the old estimate was",
    "below it for digits (the attack of issue 11), where the operator paid past the cap. The price is fewer calls in flight per cap: a call reserves",
    "more, and a cap that is nearly spent refuses earlier. Settlement still charges only what the provider reports, so the tokens an organization",
    "can use per period do not change (but for calls that end early without the provider's usage, now charged what they reserved); only how many calls may run at the same moment does.",
    "",
  ];
  return { summaryRow, lines };
}
