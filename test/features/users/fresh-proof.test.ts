// The fresh proof every sensitive action shares (SEC-69), at the service level and on the wire.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { FRESH_SIGN_IN_MS, requireFreshProof } from "../../../src/platform/fresh-proof";
import type { SecondFactorCheck } from "../../../src/platform/second-factor";
import { createClient } from "../../helpers/client";
import { insertUser, type InsertedUser } from "../../helpers/factories";
import { testServiceContext } from "../../helpers/service-context";

const NOW = Date.now();
const STALE = NOW - FRESH_SIGN_IN_MS - 1;

async function passwordHashOf(userId: string): Promise<string> {
  const row = await env.DB.prepare(`SELECT password_hash FROM "user" WHERE id = ?`).bind(userId).first<{
    password_hash: string;
  }>();
  return row!.password_hash;
}

/** A second factor that is enrolled and accepts exactly "123456". */
const ENROLLED: SecondFactorCheck = {
  isEnrolled: async () => true,
  verifyCode: async (_userId, code) => code === "123456",
};

describe("requireFreshProof", () => {
  let user: InsertedUser;
  let passwordHash: string;
  beforeAll(async () => {
    user = await insertUser();
    passwordHash = await passwordHashOf(user.id);
  });

  it("SEC-69: a sign-in within 10 minutes on this session is a proof by itself", async () => {
    const ctx = testServiceContext();
    const subject = { userId: user.id, passwordHash, authenticatedAt: NOW - FRESH_SIGN_IN_MS + 1000 };
    await expect(requireFreshProof(ctx, subject, {}, NOW)).resolves.toBe("recent_sign_in");
  });

  it("SEC-69: an older sign-in without the password is 401 REAUTH_REQUIRED, and so is one dated in the future", async () => {
    const ctx = testServiceContext();
    for (const authenticatedAt of [STALE, 0, NOW + 60_000]) {
      await expect(
        requireFreshProof(ctx, { userId: user.id, passwordHash, authenticatedAt }, {}, NOW),
      ).rejects.toMatchObject({ code: "REAUTH_REQUIRED", status: 401 });
    }
  });

  it("SEC-69: the current password proves it on an old session; a wrong one is refused even on a fresh one", async () => {
    const ctx = testServiceContext();
    await expect(
      requireFreshProof(
        ctx,
        { userId: user.id, passwordHash, authenticatedAt: STALE },
        { currentPassword: user.password },
        NOW,
      ),
    ).resolves.toBe("password");
    await expect(
      requireFreshProof(
        ctx,
        { userId: user.id, passwordHash, authenticatedAt: NOW },
        { currentPassword: "not the password" },
        NOW,
      ),
    ).rejects.toMatchObject({ code: "VALIDATION_ERROR", details: { fields: [{ field: "current_password" }] } });
  });

  it("SEC-69: an account without a password (Google) proves it only by a recent sign-in", async () => {
    const ctx = testServiceContext();
    const subject = { userId: user.id, passwordHash: null, authenticatedAt: STALE };
    await expect(requireFreshProof(ctx, subject, { currentPassword: user.password }, NOW)).rejects.toMatchObject({
      code: "REAUTH_REQUIRED",
    });
    await expect(requireFreshProof(ctx, { ...subject, authenticatedAt: NOW }, {}, NOW)).resolves.toBe("recent_sign_in");
  });

  it("SEC-69: with a second factor enrolled the password needs its code too", async () => {
    const other = await insertUser();
    const ctx = testServiceContext({ secondFactor: ENROLLED });
    const subject = { userId: other.id, passwordHash: await passwordHashOf(other.id), authenticatedAt: STALE };
    await expect(requireFreshProof(ctx, subject, { currentPassword: other.password }, NOW)).rejects.toMatchObject({
      code: "REAUTH_REQUIRED",
    });
    await expect(
      requireFreshProof(ctx, subject, { currentPassword: other.password, code: "000000" }, NOW),
    ).rejects.toMatchObject({ code: "VALIDATION_ERROR", details: { fields: [{ field: "code" }] } });
    await expect(
      requireFreshProof(ctx, subject, { currentPassword: other.password, code: "123456" }, NOW),
    ).resolves.toBe("password");
  });
});

describe("session.authenticated_at", () => {
  it("SEC-69: is the sign-in time, set when the session is created", async () => {
    const user = await insertUser();
    const before = Date.now();
    const login = await createClient().post("/auth/login", { email: user.email, password: user.password });
    expect(login.status).toBe(200);
    const row = await env.DB.prepare("SELECT created_at, authenticated_at FROM session WHERE user_id = ?")
      .bind(user.id)
      .first<{ created_at: number; authenticated_at: number }>();
    expect(row!.authenticated_at).toBe(row!.created_at);
    expect(row!.authenticated_at).toBeGreaterThanOrEqual(before);
  });
});
