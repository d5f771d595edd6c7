// Round trips to the D1 primary per route (`npm run bench:scale`; not part of `npm test`, whose
// include is test/**). Each route is called once, warm, by a signed-in client whose worker env has
// a counting wrapper around DB (d1-round-trips.ts). "critical" is what the caller waits for
// (up to the last byte of the body, so a streamed copilot answer's settlement counts); "deferred"
// is work the response left to waitUntil. The table is printed between markers for run.mjs, and
// each route's critical count is held to its budget (issue 17: beyond the session check, a read
// ≤ 1, a write ≤ 2, a copilot call ≤ 3), so a change that adds a sequential trip fails here.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { expect, test } from "vitest";
import worker from "../../src/index";
import { createAIOrganization } from "../../test/helpers/ai";
import { API_ORIGIN, createClient, type TestClient, WEB_ORIGIN } from "../../test/helpers/client";
import { insertUser } from "../../test/helpers/factories";
import { signIn } from "../../test/helpers/orgs";
import { countRoundTrips } from "./d1-round-trips";

/** Critical round trips allowed per route, the session check included. */
const BUDGETS: Record<string, number> = {
  "GET /users/me": 1,
  "GET /notes": 2,
  "GET /notes/{id}": 2,
  "GET /usage/summary": 2,
  "GET /usage/history": 2,
  "GET /organization": 2,
  "GET /admin/stats": 2,
  "POST /notes": 3,
  "PUT /notes/{id}": 2,
  "PATCH /users/me": 2,
  "POST /notes/{id}/copilot/improve": 4,
  "POST /notes/{id}/copilot/summarize": 4,
  "POST /auth/login": 2,
};

interface Row {
  route: string;
  kind: "read" | "write" | "copilot" | "public";
  status: number;
  critical: number;
  deferred: number;
  trips: string[][];
}

async function measure(
  client: TestClient,
  kind: Row["kind"],
  method: string,
  path: string,
  json?: unknown,
): Promise<Row> {
  const counter = countRoundTrips(env.DB);
  const headers = new Headers({ "cf-connecting-ip": client.ip ?? "10.9.9.9" });
  if (client.cookies.size > 0) headers.set("cookie", client.cookieHeader());
  if (method !== "GET") headers.set("origin", WEB_ORIGIN);
  if (json !== undefined) headers.set("content-type", "application/json");
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(new URL(path, API_ORIGIN), {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
    }),
    { ...client.env, DB: counter.binding },
    ctx,
  );
  await response.arrayBuffer();
  const critical = counter.trips.length;
  await waitOnExecutionContext(ctx);
  return {
    route: `${method} ${path.replace(/[0-9a-f-]{36}/g, "{id}")}`,
    kind,
    status: response.status,
    critical,
    deferred: counter.trips.length - critical,
    trips: counter.trips.map((trip) => [...trip]),
  };
}

test("round trips to the primary per route", { timeout: 120_000 }, async () => {
  const org = await createAIOrganization({ tokenLimit: 1_000_000 });
  const admin = await signIn(await insertUser({ role: "sys_admin" }));
  const me = org.client;
  const anonymous = createClient();
  // Warm: the first call of a drizzle instance prepares its cached statements.
  await me.get("/users/me");

  const rows: Row[] = [
    await measure(me, "read", "GET", "/users/me"),
    await measure(me, "read", "GET", "/notes"),
    await measure(me, "read", "GET", `/notes/${org.noteId}`),
    await measure(me, "read", "GET", "/usage/summary"),
    await measure(me, "read", "GET", "/usage/history"),
    await measure(me, "read", "GET", "/organization"),
    await measure(admin, "read", "GET", "/admin/stats"),
    await measure(me, "write", "POST", "/notes", { title: "Round trips", content: "Counted." }),
    await measure(me, "write", "PUT", `/notes/${org.noteId}`, { title: "Renamed", content: "Counted again." }),
    await measure(me, "write", "PATCH", "/users/me", { first_name: "Grace" }),
    await measure(me, "copilot", "POST", `/notes/${org.noteId}/copilot/improve`, { tone: "formal" }),
    await measure(me, "copilot", "POST", `/notes/${org.noteId}/copilot/summarize`, {}),
    await measure(anonymous, "public", "POST", "/auth/login", {
      email: "nobody@example.com",
      password: "wrong password here",
    }),
  ];
  console.log(`ROUND-TRIPS-BEGIN${JSON.stringify(rows)}ROUND-TRIPS-END`);
  for (const row of rows) {
    // A refusal would be counted on another path: every signed-in call must succeed (the login is a 401).
    expect(row.status, row.route).toBeLessThan(row.kind === "public" ? 500 : 400);
    expect(row.critical, `${row.route}: ${JSON.stringify(row.trips)}`).toBeLessThanOrEqual(BUDGETS[row.route] ?? 0);
  }
});
