// Usage alerts: at 80 % and at 100 % of the organization's allotment, once per period each, its
// org_admins get an email and its outbox a usage.threshold_reached event (same batch as the CAS).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { readOutbox } from "../../helpers/accounts";
import { buyCredits, createAIOrganization, readLedger, readText, setPlan } from "../../helpers/ai";

async function thresholdEvents(organizationId: string): Promise<number[]> {
  const { results } = await env.DB.prepare(
    "SELECT data FROM webhook_event WHERE organization_id = ? AND type = 'usage.threshold_reached' ORDER BY sequence",
  )
    .bind(organizationId)
    .all<{ data: string }>();
  return results.map((row) => (JSON.parse(row.data) as { threshold_percent: number }).threshold_percent);
}

describe("usage alerts", () => {
  it("80 % and 100 % of the allotment each alert the org_admins once per period (email + usage.threshold_reached)", async () => {
    const org = await createAIOrganization({ role: "org_admin" });
    const call = async () => {
      const response = await org.client.post(`/notes/${org.noteId}/copilot/improve`, {});
      expect(response.status).toBe(200);
      await readText(response);
    };
    await call();
    const perCall = (await readLedger(org.id)).allotment_used;
    // Two calls make 85 % of this allotment; a third fills it (credits take the rest).
    const limit = Math.ceil((2 * perCall) / 0.85);
    await setPlan(org.id, { token_limit: limit, enable_ai: true });
    await buyCredits(org.id, 10 * org.worstCase);
    await call();
    expect(await thresholdEvents(org.id)).toEqual([80]);
    await call();
    expect((await readLedger(org.id)).allotment_used).toBe(limit);
    expect(await thresholdEvents(org.id)).toEqual([80, 100]);
    await call();
    expect(await thresholdEvents(org.id)).toEqual([80, 100]);

    const subjects = (await readOutbox(org.client, org.email)).map((email) => email.subject);
    expect(subjects.filter((subject) => subject.includes("80 % of its AI allotment"))).toHaveLength(1);
    expect(subjects.filter((subject) => subject.includes("whole AI allotment"))).toHaveLength(1);
  });
});
