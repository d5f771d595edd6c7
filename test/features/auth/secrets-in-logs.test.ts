import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createClient } from "../../helpers/client";
import { readEmailedToken, signedInAccount } from "../../helpers/accounts";

describe("logs", () => {
  const lines: string[] = [];
  beforeEach(() => {
    lines.length = 0;
    for (const method of ["log", "warn", "error", "info"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    }
  });
  afterEach(() => vi.restoreAllMocks());

  it("SEC-49 logs security events as JSON with user, org and IP, and never a password or token", async () => {
    const account = await signedInAccount({ password: "an unmistakable passphrase 42" });
    const session = account.client.cookies.get("session_id")!;
    await createClient().post("/auth/login", { email: account.email, password: "wrong but recognisable 77" });
    await createClient().post("/password/forgot", { email: account.email });
    const resetToken = await readEmailedToken(account.client, account.email, "/reset-password");

    const all = lines.join("\n");
    for (const secret of ["an unmistakable passphrase 42", "wrong but recognisable 77", session, resetToken]) {
      expect(all).not.toContain(secret);
    }
    const failed = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((event) => event.event === "audit.login_failed");
    expect(failed).toMatchObject({ level: "warn", ip: account.client.ip === null ? null : expect.any(String) });
    expect(failed).toHaveProperty("user_id");
    expect(failed).toHaveProperty("organization_id");
  });
});
