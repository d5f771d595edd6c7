// GET /users/me against the one-read baseline alone (issue 12: the per-request read now joins
// membership and counts the user's organizations; the ratio must stay >= 0.90). The same
// measurement as section 1 of the full run, for a user who belongs to three organizations and
// acts in the one created first, so the membership join and the count see more than one row.
import { median, throughput } from "./benches.mjs";

const ME_TARGET = 0.9;

/** Starts its own workerd on the prepared bench D1, with one verified account in three organizations. */
export async function runMeBench({ startWorker, createClient, createVerifiedAccounts, logIn, plan, log }) {
  const server = await startWorker();
  try {
    const client = createClient(server.url);
    const [email] = await createVerifiedAccounts(client, "bench-me", 1);
    const { cookie, user } = await logIn(client, email);
    // Two more organizations (B2C), then back to the first: /users/me acts in it.
    for (const name of ["bench second", "bench third"]) {
      const created = await client.post("/organizations", { name }, { cookie });
      if (created.status !== 201) throw new Error(`POST /organizations: ${created.status} ${created.text}`);
    }
    const back = await client.post("/organizations/switch", { organization_id: user.organization_id }, { cookie });
    if (back.status !== 200) throw new Error(`POST /organizations/switch: ${back.status} ${back.text}`);
    const me = await client.get("/users/me", { cookie });
    if (
      me.status !== 200 ||
      me.json().organizations_count !== 3 ||
      me.json().organization_id !== user.organization_id
    ) {
      throw new Error(`GET /users/me: ${me.status} ${me.text}`);
    }
    const routes = [
      { name: "baseline", path: `/bench/baseline?id=${encodeURIComponent(user.organization_id)}` },
      { name: "me", path: "/users/me" },
    ];
    log(`me: ${plan.rounds} rounds x ${plan.seconds} s per route, ${plan.connections} connections`);
    const rounds = await throughput(server.url, { ...plan, pid: server.pid, routes, cookie });
    return { rounds, plan };
  } finally {
    await server.dispose();
  }
}

const f = (value, digits = 0) => Number(value).toFixed(digits);

export function meReport(result) {
  const ratios = result.rounds.map((row) => row.me.rps / row.baseline.rps);
  const cpuRatios = result.rounds.map((row) => row.baseline.cpuUsPerRequest / row.me.cpuUsPerRequest);
  const clean = result.rounds.every((row) => row.me.bad === 0 && row.baseline.bad === 0);
  const ratio = median(ratios);
  const pass = clean && ratio >= ME_TARGET;
  const lines = [
    "## /users/me with multi-organization membership (issue 12)",
    "",
    `Target: GET /users/me serves at least ${ME_TARGET} × the req/s of \`GET /bench/baseline\` (one indexed D1 read) in the same run,`,
    "now that its one D1 read also joins the membership of the session's active organization and counts the user's organizations.",
    "The user belongs to three organizations and acts in the first one.",
    "",
    "| Round | baseline req/s | /users/me req/s | ratio | workerd CPU µs/req baseline / me |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...result.rounds.map(
      (row, i) =>
        `| ${row.round} | ${f(row.baseline.rps)} | ${f(row.me.rps)} | ${f(ratios[i], 3)} | ${f(row.baseline.cpuUsPerRequest)} / ${f(row.me.cpuUsPerRequest)} |`,
    ),
    "",
    `Median ratio **${f(ratio, 3)}** (CPU-time ratio baseline / me, median: ${f(median(cpuRatios), 3)}): ${pass ? "**PASS**" : "**FAIL**"}.` +
      (clean ? " Every response was a 200." : " **Some responses were not 200 or failed: the run is not valid.**"),
    `Method: as section 1 (\`node bench/run.mjs --only-me\`): ${result.plan.rounds} rounds of ${result.plan.seconds} s alternating the two routes, ${result.plan.connections} connections.`,
  ];
  return { ratio, pass, lines };
}
