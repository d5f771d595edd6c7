import { NO_SECOND_FACTOR } from "../../../src/platform/second-factor";
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { createOrganization } from "../../helpers/orgs";
import { countRows, insertUser } from "../../helpers/factories";
import { createDB } from "../../../src/db/client";
import { readConfig } from "../../../src/config";
import { createNote, deleteNote } from "../../../src/features/notes/service";
import type { ServiceContext } from "../../../src/platform/service-context";
import type { QuotaFeature, QuotaMeter } from "../../../src/platform/quota";
import { createQuotaMeter } from "../../../src/features/plans/quota";
import { AppError } from "../../../src/errors";
import { testServiceContext } from "../../helpers/service-context";

describe("notes", () => {
  it("a member creates, reads, replaces and deletes a note of its organization", async () => {
    const org = await createOrganization();
    const client = org.members.member.client;
    const created = await client.post("/notes", { title: "  Plan  ", content: "Ship it" });
    expect(created.status).toBe(201);
    const note = (await created.json()) as { id: string; title: string; created_by_user_id: string };
    expect(note).toMatchObject({ title: "Plan", created_by_user_id: org.members.member.id });

    expect(await (await org.members.readonly.client.get(`/notes/${note.id}`)).json()).toMatchObject({
      content: "Ship it",
    });
    const replaced = await client.put(`/notes/${note.id}`, { title: "Plan v2" });
    expect(await replaced.json()).toMatchObject({ title: "Plan v2", content: "" });
    const list = (await (await client.get("/notes")).json()) as { items: { id: string }[] };
    expect(list.items.map((n) => n.id)).toEqual([note.id]);
    expect((await client.delete(`/notes/${note.id}`)).status).toBe(204);
    expect((await client.get(`/notes/${note.id}`)).status).toBe(404);
  });

  it("SEC-34 readonly cannot write", async () => {
    const org = await createOrganization();
    const before = await countRows("note");
    expect((await org.members.readonly.client.post("/notes", { title: "x" })).status).toBe(403);
    expect(await countRows("note")).toBe(before);
  });

  it("SEC-36 another organization's note is 404 on every verb and never listed", async () => {
    const a = await createOrganization();
    const b = await createOrganization();
    const note = (await (await a.members.member.client.post("/notes", { title: "secret" })).json()) as { id: string };
    const intruder = b.admin.client;
    expect((await intruder.get(`/notes/${note.id}`)).status).toBe(404);
    expect((await intruder.put(`/notes/${note.id}`, { title: "pwned" })).status).toBe(404);
    expect((await intruder.delete(`/notes/${note.id}`)).status).toBe(404);
    const list = (await (await intruder.get("/notes")).json()) as { items: { id: string }[] };
    expect(list.items.some((n) => n.id === note.id)).toBe(false);
    expect(await (await a.members.member.client.get(`/notes/${note.id}`)).json()).toMatchObject({ title: "secret" });
  });
});

describe("the max_notes quota hook", () => {
  /**
   * The real meter, recording what createNote asks of it; `refuse` makes it ask for more units than
   * any finite limit allows (the test organizations are on the default plan), so its take refuses.
   */
  function recordingMeter(options: { refuse?: { limit: number; used: number } } = {}) {
    const calls: [string, string, QuotaFeature, number][] = [];
    const real = createQuotaMeter(testServiceContext());
    const meter: QuotaMeter = {
      async prepareTake(organizationId, feature, amount) {
        calls.push(["prepareTake", organizationId, feature, amount]);
        const { refuse } = options;
        if (!refuse) return real.prepareTake(organizationId, feature, amount);
        const take = await real.prepareTake(organizationId, feature, 1_000_000);
        return { ...take, readRefusal: async () => refuse };
      },
      buildRelease(organizationId, feature, periodStart, amount) {
        calls.push(["buildRelease", organizationId, feature, amount]);
        return real.buildRelease(organizationId, feature, periodStart, amount);
      },
    };
    return { meter, calls };
  }

  function contextWith(quota: QuotaMeter): ServiceContext {
    const result = readConfig(env);
    if (!("config" in result)) throw new Error("test config invalid");
    return {
      env,
      db: createDB(env.DB),
      config: result.config,
      email: { async send() {} },
      quota,
      secondFactor: NO_SECOND_FACTOR,
      ip: null,
      userAgent: null,
      defer: () => {},
    };
  }

  it("is asked for one unit before a note is created, and given it back on delete", async () => {
    const user = await insertUser({ role: "member" });
    const actor = { userId: user.id, organizationId: user.organizationId, role: "member" as const };
    const { meter, calls } = recordingMeter();
    const note = await createNote(contextWith(meter), actor, { title: "t", content: "" });
    await deleteNote(contextWith(meter), actor, note.id);
    expect(calls).toEqual([
      ["prepareTake", user.organizationId, "max_notes", 1],
      ["buildRelease", user.organizationId, "max_notes", 1],
    ]);
  });

  it("a refusal is 402 QUOTA_EXCEEDED and no note is written", async () => {
    const user = await insertUser({ role: "member" });
    const actor = { userId: user.id, organizationId: user.organizationId, role: "member" as const };
    const { meter } = recordingMeter({ refuse: { limit: 10, used: 10 } });
    const error = await createNote(contextWith(meter), actor, { title: "t", content: "" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      status: 402,
      code: "QUOTA_EXCEEDED",
      details: { feature: "max_notes", limit: 10, used: 10 },
    });
    expect(await countRows("note", "organization_id = ?", user.organizationId)).toBe(0);
  });

  it("a note insert that fails takes no unit: the take and the insert are one batch", async () => {
    const user = await insertUser({ role: "member" });
    const actor = { userId: user.id, organizationId: user.organizationId, role: "member" as const };
    await env.DB.prepare(
      "CREATE TRIGGER note_insert_fails BEFORE INSERT ON note BEGIN SELECT RAISE(ABORT, 'insert refused'); END",
    ).run();
    try {
      await expect(createNote(testServiceContext(), actor, { title: "t", content: "" })).rejects.toThrow();
    } finally {
      await env.DB.prepare("DROP TRIGGER note_insert_fails").run();
    }
    expect(await countRows("usage_counter", "organization_id = ?", user.organizationId)).toBe(0);
    expect(await countRows("audit_log", "organization_id = ? AND action = 'note_created'", user.organizationId)).toBe(
      0,
    );
    // And with the insert allowed again, the same organization takes its first unit.
    await createNote(testServiceContext(), actor, { title: "t", content: "" });
    const counter = await env.DB.prepare("SELECT used FROM usage_counter WHERE organization_id = ?")
      .bind(user.organizationId)
      .first<{ used: number }>();
    expect(counter?.used).toBe(1);
  });
});
