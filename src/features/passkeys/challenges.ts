// WebAuthn challenges: issued with a 5-minute life, answered at most once (SEC-68).
import type { WebAuthnCeremony } from "../../db/schema";
import { MINUTE_MS } from "../../lib/time";
import type { ServiceContext } from "../../platform/service-context";
import { buildChallengeInsert, consumeChallenge } from "./repo";
import { loadWebAuthnHelpers } from "./webauthn";

export const CHALLENGE_TTL_MS = 5 * MINUTE_MS;

/** Who may answer a challenge: a known user, or (passwordless sign-in) whoever holds a passkey. */
export type ChallengeOwner = { userId: string } | { userId: null };

/** A fresh 32-byte challenge, stored before it is handed out. */
export async function issueChallenge(
  ctx: ServiceContext,
  ceremony: WebAuthnCeremony,
  owner: ChallengeOwner,
): Promise<string> {
  const { generateChallenge, isoBase64URL } = await loadWebAuthnHelpers();
  const challenge = isoBase64URL.fromBuffer(await generateChallenge());
  const now = Date.now();
  await ctx.db.batch(
    buildChallengeInsert(ctx.db, { challenge, ceremony, userId: owner.userId, expiresAt: now + CHALLENGE_TTL_MS }, now),
  );
  return challenge;
}

/**
 * The challenge the client signed, read from its clientDataJSON, consumed before anything else is
 * checked: whatever the outcome of the verification that follows, this challenge is spent, so a
 * captured response cannot be tried again (replay) and an expired one is refused. Null when the
 * clientDataJSON is unreadable or the challenge is unknown, used, expired, of another ceremony or
 * issued to someone else.
 */
export async function redeemChallenge(
  ctx: ServiceContext,
  clientDataJSON: string,
  ceremony: WebAuthnCeremony,
  owner: ChallengeOwner,
): Promise<string | null> {
  const challenge = await readChallenge(clientDataJSON);
  if (challenge === null) return null;
  const consumed = await consumeChallenge(ctx.db, challenge, { ceremony, userId: owner.userId, now: Date.now() });
  return consumed ? challenge : null;
}

async function readChallenge(clientDataJSON: string): Promise<string | null> {
  const { decodeClientDataJSON, isoBase64URL } = await loadWebAuthnHelpers();
  if (!isoBase64URL.isBase64URL(clientDataJSON)) return null;
  try {
    const { challenge } = decodeClientDataJSON(clientDataJSON);
    return typeof challenge === "string" && challenge.length > 0 && challenge.length <= 128 ? challenge : null;
  } catch {
    return null;
  }
}
