// A 403 or 429 leaves one server log line that says why (the rule or the limit), for the operator
// and the newcomer watching `npm run dev`, and nothing secret: no IP, email, cookie or password.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RATE_LIMITS } from "../../src/platform/rate-limit";
import { createClient } from "../helpers/client";
import { insertUser } from "../helpers/factories";
import { signIn } from "../helpers/orgs";

let warnings: Array<Record<string, unknown>> = [];

beforeEach(() => {
  warnings = [];
  vi.spyOn(console, "warn").mockImplementation((line: unknown) => {
    try {
      warnings.push(JSON.parse(String(line)) as Record<string, unknown>);
    } catch {
      // not one of ours
    }
  });
});

afterEach(() => vi.restoreAllMocks());

function refusals(event: string): Array<Record<string, unknown>> {
  return warnings.filter((line) => line.event === event);
}

describe("refusal log lines", () => {
  it("a 403 from the origin check names the rule it broke", async () => {
    const client = createClient({ origin: "https://evil.example" });
    const response = await client.post("/auth/login", { email: "ada@example.com", password: "not the point" });
    expect(response.status).toBe(403);
    expect(refusals("request_forbidden")).toEqual([
      expect.objectContaining({
        level: "warn",
        method: "POST",
        path: "/auth/login",
        status: 403,
        code: "FORBIDDEN",
        reason: "Requests from this origin are not allowed.",
        request_id: expect.any(String),
      }),
    ]);
  });

  it("a 403 from the role check names the role the route needs, and the answer says it too", async () => {
    const member = await insertUser({ role: "member" });
    const client = await signIn(member);
    const response = await client.get("/organization/users");
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain("org_admin");
    const [line] = refusals("request_forbidden");
    expect(line).toMatchObject({ path: "/organization/users", code: "FORBIDDEN" });
    expect(line?.reason).toMatch(/needs org_admin or above/);
    expect(JSON.stringify(line)).not.toContain(member.email);
  });

  it("a 429 names the limit that refused (bad bodies count toward login's), never the IP or the email", async () => {
    const ip = "10.77.0.1";
    const client = createClient({ ip });
    const email = "typo-prone@example.com";
    for (let attempt = 0; attempt < RATE_LIMITS.login.limit; attempt++) {
      const response = await client.post("/auth/login", { email }); // no password: 422
      expect(response.status).toBe(422);
    }
    const refused = await client.post("/auth/login", { email, password: "correct horse battery staple" });
    expect(refused.status).toBe(429);
    const lines = refusals("request_rate_limited");
    expect(lines).toEqual([
      expect.objectContaining({
        path: "/auth/login",
        status: 429,
        code: "RATE_LIMITED",
        reason: "login: 5 per 900 s",
        retry_after_seconds: Number(refused.headers.get("retry-after")),
      }),
    ]);
    const logged = JSON.stringify(warnings);
    for (const secret of [ip, email, "correct horse battery staple"]) expect(logged).not.toContain(secret);
  });
});
