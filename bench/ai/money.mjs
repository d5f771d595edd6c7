// The money bench (issue 15): what the per-member AI budget costs the reservation. Two
// organizations on an unlimited plan, each with one member who already has HISTORY usage rows
// this month; one sets ai_member_token_limit (its reservation also sums the member's usage and
// open reservations), the other does not. Rounds alternate which goes first; each round runs
// CYCLES reserve + settle cycles in the worker and reports the time spent in the reservation and
// in the whole cycle. Figures are ratios between the two within this run.
import { median } from "../http/benches.mjs";
import { createClient, createVerifiedAccounts, logIn, startWorker, WEB_ORIGIN } from "../http/harness.mjs";

function moneyPlan(quick) {
  return quick
    ? { rounds: 6, cycles: 20, warmup: 2, history: 2_000 }
    : { rounds: 20, cycles: 40, warmup: 4, history: 2_000 };
}

export async function runMoneyBench({ quick, log }) {
  const plan = moneyPlan(quick);
  const server = await startWorker();
  try {
    const client = createClient(server.url);
    const emails = await createVerifiedAccounts(client, "bench-money", 2);
    const members = [];
    for (const [index, email] of emails.entries()) {
      const { user } = await logIn(client, email);
      members.push({ name: index === 0 ? "off" : "on", org: user.organization_id, user: user.id });
    }
    const post = async (path) => {
      const response = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { origin: WEB_ORIGIN, "content-type": "application/json", "cf-connecting-ip": "198.19.255.240" },
        body: "{}",
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${path}: ${response.status} ${text.slice(0, 300)}`);
      return JSON.parse(text);
    };
    const query = (member) => `org=${encodeURIComponent(member.org)}&user=${encodeURIComponent(member.user)}`;
    for (const member of members) {
      await post(`/bench/money/setup?${query(member)}&history=${plan.history}&budget=${member.name === "on" ? 1 : 0}`);
    }
    log(`money bench: ${plan.rounds} rounds x ${plan.cycles} cycles per side, member history ${plan.history} rows`);
    const rounds = [];
    for (let round = 0; round < plan.warmup + plan.rounds; round++) {
      const order = round % 2 === 0 ? members : [...members].reverse();
      const row = {};
      const modes = round % 2 === 0 ? ["inbatch", "reread"] : ["reread", "inbatch"];
      for (const member of order) {
        for (const mode of modes) {
          const result = await post(`/bench/money/cycles?${query(member)}&n=${plan.cycles}&settle=${mode}`);
          // The member-budget figures are the copilot's settlement as it is (inbatch).
          if (mode === "inbatch") row[member.name] = result;
          else row[`${member.name}_reread`] = result;
        }
      }
      if (round >= plan.warmup) rounds.push(row);
    }
    return { plan, rounds, problems: server.problems.slice(0, 5) };
  } finally {
    await server.dispose();
  }
}

const fmt = (value, digits = 2) => (Number.isFinite(value) ? Number(value).toFixed(digits) : "–");

export function moneyReport(result) {
  const { plan, rounds } = result;
  const reserveRatio = median(rounds.map((row) => row.on.reserve_ms / row.off.reserve_ms));
  const cycleRatio = median(rounds.map((row) => row.on.cycle_ms / row.off.cycle_ms));
  const added = median(rounds.map((row) => row.on.reserve_ms - row.off.reserve_ms));
  const lines = [
    "## AI reservation with a per-member budget (issue 15)",
    "",
    `Measured by \`node bench/run.mjs --only-money\` (bench/ai/money.mjs) on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC; the machine line is at the top of this file.`,
    `Two organizations on an unlimited plan, each with one member who already has ${plan.history} usage rows this month; one sets`,
    "`ai_member_token_limit`, so its reservation's conditional UPDATE also sums the member's usage this period and open reservations",
    `(indexed: llm_usage_org_user_period_idx, ai_reservation_open_org_user_idx). ${plan.rounds} rounds of ${plan.cycles} reserve + settle cycles per side,`,
    "alternating which side goes first; times are workerd's clock around the awaited D1 calls, in ms per cycle.",
    "",
    "| Round | reserve ms, budget off | reserve ms, budget on | on / off | cycle ms, off | cycle ms, on | on / off |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rounds.map(
      (row, index) =>
        `| ${index + 1} | ${fmt(row.off.reserve_ms)} | ${fmt(row.on.reserve_ms)} | ${fmt(row.on.reserve_ms / row.off.reserve_ms)} | ${fmt(row.off.cycle_ms)} | ${fmt(row.on.cycle_ms)} | ${fmt(row.on.cycle_ms / row.off.cycle_ms)} |`,
    ),
    "",
    `Medians: the reservation with the member budget on takes **${fmt(reserveRatio)} ×** the time of the reservation without it ` +
      `(+${fmt(added)} ms); the whole cycle **${fmt(cycleRatio)} ×**.`,
  ];
  // Issue 17: the settlement reading its limits in its own batch against reading the policy first
  // (the copilot before), both sides, same rounds.
  const settleRatio = median(
    rounds.flatMap((row) => ["off", "on"].map((side) => row[side].settle_ms / row[`${side}_reread`].settle_ms)),
  );
  const cycleSettleRatio = median(
    rounds.flatMap((row) => ["off", "on"].map((side) => row[side].cycle_ms / row[`${side}_reread`].cycle_ms)),
  );
  lines.push(
    "",
    "### The settlement's limits read in its own batch (issue 17)",
    "",
    "The same rounds also ran each side's cycles settled as before issue 17 (the policy read again, then the settlement batch:",
    "two round trips) beside as now (the plan, settings and period read in SQL inside the batch: one). Local D1 has no network",
    "between the Worker and the primary, so this shows the SQL's cost, not the round trip saved (tens of ms per trip across a",
    "continent, docs/scaling.md).",
    "",
    "| Round | settle ms, before (off / on) | settle ms, now (off / on) | now / before |",
    "| --- | ---: | ---: | ---: |",
    ...rounds.map(
      (row, index) =>
        `| ${index + 1} | ${fmt(row.off_reread.settle_ms)} / ${fmt(row.on_reread.settle_ms)} | ${fmt(row.off.settle_ms)} / ${fmt(row.on.settle_ms)} | ${fmt(median(["off", "on"].map((side) => row[side].settle_ms / row[`${side}_reread`].settle_ms)))} |`,
    ),
    "",
    `Medians: the settlement now takes **${fmt(settleRatio)} ×** the time it took with the policy re-read; the whole cycle **${fmt(cycleSettleRatio)} ×**.`,
  );
  if (result.problems.length > 0) lines.push("", `Worker problems logged: ${result.problems.join("; ")}`);
  return { lines, reserveRatio, cycleRatio, settleRatio, cycleSettleRatio };
}
