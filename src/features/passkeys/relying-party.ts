// Who we are to an authenticator: the RP id and origin come from WEB_BASE_URL, the frontend's
// address, because the browser runs the ceremony on that page (WebAuthn §5.1.3, §7.1 steps 9 and 13).
import type { Config } from "../../config";

export interface RelyingParty {
  /** The registrable domain the credentials are scoped to: WEB_BASE_URL's host, without port. */
  id: string;
  /** The exact origin clientDataJSON must carry (scheme, host and port). */
  origin: string;
  /** Shown by some authenticators next to the account name. */
  name: string;
}

export function relyingPartyFrom(config: Config): RelyingParty {
  const url = new URL(config.webBaseURL);
  return { id: url.hostname, origin: url.origin, name: url.hostname };
}

/** The WebAuthn user handle: the user id's bytes, stable and without personal data (WebAuthn §14.6.1). */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(userId) as Uint8Array<ArrayBuffer>;
}
