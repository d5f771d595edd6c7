// Google sign-in of an account with a second factor: Google is the first factor, the second is
// still asked (SEC-67). Through the real provider of test/helpers/google.ts.
import { describe, expect, it } from "vitest";
import { auditActions, insertUser } from "../../helpers/factories";
import { googleClient, registerGoogleAccount, signInWithGoogle, WEB_BASE_URL } from "../../helpers/google";
import { enrolTotp, totpCode } from "../../helpers/mfa";
import { signIn } from "../../helpers/orgs";

describe("Google sign-in and second factors", () => {
  it("SEC-67: an account with TOTP signing in with Google gets an mfa_pending cookie, no session, until the code", async () => {
    const user = await insertUser();
    const { secret } = await enrolTotp(await signIn(user));
    const google = await registerGoogleAccount({ email: user.email });
    const client = googleClient();
    const callback = await signInWithGoogle(google, client);
    expect(callback.status).toBe(302);
    expect(callback.headers.get("location")).toBe(`${WEB_BASE_URL}/login?mfa=required`);
    expect(client.cookies.has("session_id")).toBe(false);
    expect(client.cookies.get("mfa_pending")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await client.get("/users/me")).status).toBe(401);

    // The confirm spent the current step; the next one is inside the ±1 window.
    const verify = await client.post("/auth/mfa/verify", { code: totpCode(secret, 1) });
    expect(verify.status).toBe(200);
    expect((await client.get("/users/me")).status).toBe(200);
    expect(await auditActions(user.id)).toEqual(
      expect.arrayContaining(["oauth_account_linked", "mfa_challenge_started"]),
    );
  });
});
