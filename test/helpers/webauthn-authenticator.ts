// A software WebAuthn authenticator for the tests: it does, with WebCrypto inside workerd, what a
// browser and a platform authenticator do together, so registration and sign-in run end to end
// against the real verification. Everything is built by hand from the specification, without
// the library under test: an ES256 key pair, `none` attestation, the CBOR attestationObject, the
// authenticatorData and the clientDataJSON (WebAuthn Level 3 §6.1, §6.5, §5.8.1; RFC 8949 for
// CBOR; RFC 9053 §2.1 for the COSE key). It imports nothing, so the passkey bench
// (bench/passkeys) runs the same code from Node.

/** A key of whichever WebCrypto runs this file: workerd's in the tests, Node's in the bench. */
type WebCryptoKey = Parameters<typeof crypto.subtle.exportKey>[1];
interface KeyPair {
  publicKey: WebCryptoKey;
  privateKey: WebCryptoKey;
}

/** The page the ceremonies run on: WEB_BASE_URL of the test and bench workers (test/helpers/client.ts). */
const DEFAULT_ORIGIN = "http://localhost:5173";

/** The JSON forms @simplewebauthn/browser would send (only the fields the server reads). */
export interface RegistrationResponse {
  id: string;
  rawId: string;
  type: "public-key";
  response: { clientDataJSON: string; attestationObject: string; transports: string[] };
  authenticatorAttachment: "platform";
  clientExtensionResults: Record<string, never>;
}

export interface AuthenticationResponse {
  id: string;
  rawId: string;
  type: "public-key";
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
  authenticatorAttachment: "platform";
  clientExtensionResults: Record<string, never>;
}

/** What the test may falsify in one ceremony, to prove the server refuses it. */
export interface CeremonyOverrides {
  /** clientDataJSON.origin; the page's origin by default. */
  origin?: string;
  /** The RP id whose SHA-256 starts authenticatorData; the options' by default. */
  rpId?: string;
  /** clientDataJSON.challenge; the options' by default. */
  challenge?: string;
  /** The UV flag; set by default (the user unlocked the authenticator). */
  userVerified?: boolean;
  /** The UP flag; set by default. */
  userPresent?: boolean;
}

export interface AssertionOverrides extends CeremonyOverrides {
  /** The signature counter to report instead of the next one (a cloned authenticator). */
  counter?: number;
  /** Present this credential id instead of the one signed with (another user's credential). */
  credentialId?: string;
  /** Which of this authenticator's credentials answers; the most recently made by default. */
  use?: string;
  /** Leave out the user handle, as a non-discoverable (second-step) credential may. */
  omitUserHandle?: boolean;
}

interface StoredCredential {
  id: Uint8Array<ArrayBuffer>;
  keys: KeyPair;
  rpId: string;
  userHandle: string;
  counter: number;
  /** The COSE_Key the attestation carried, base64url: what the server stores. */
  publicKey: string;
}

const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;
const FLAG_ATTESTED_CREDENTIAL_DATA = 0x40;

export class SoftwareAuthenticator {
  private readonly credentials = new Map<string, StoredCredential>();
  private newest: string | null = null;
  private readonly origin: string;

  constructor(options: { origin?: string } = {}) {
    this.origin = options.origin ?? DEFAULT_ORIGIN;
  }

  /** The credential ids this authenticator holds, base64url. */
  get credentialIds(): string[] {
    return [...this.credentials.keys()];
  }

  /** The stored public key (COSE, base64url) of one of this authenticator's credentials. */
  publicKeyOf(credentialId: string): string {
    const credential = this.credentials.get(credentialId);
    if (!credential) throw new Error("this authenticator holds no such credential");
    return credential.publicKey;
  }

  /** navigator.credentials.create(): a new ES256 credential for options.rp.id, attested with `none`. */
  async register(
    options: { challenge: string; rp: { id?: string }; user: { id: string } },
    overrides: CeremonyOverrides = {},
  ): Promise<RegistrationResponse> {
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])) as KeyPair;
    const id = crypto.getRandomValues(new Uint8Array(32));
    const credentialId = toBase64URL(id);
    const publicKey = await coseKey(keys.publicKey);
    this.credentials.set(credentialId, {
      id,
      keys,
      rpId,
      userHandle: options.user.id,
      counter: 0,
      publicKey: toBase64URL(publicKey),
    });
    this.newest = credentialId;

    const clientDataJSON = clientData("webauthn.create", options.challenge, this.origin, overrides);
    const attestedCredentialData = concat(
      new Uint8Array(16), // AAGUID: all zero, as `none` attestation allows (§6.5.1)
      uint16(id.length),
      id,
      publicKey,
    );
    const authenticatorData = concat(
      await sha256(utf8(overrides.rpId ?? rpId)),
      new Uint8Array([flags(overrides) | FLAG_ATTESTED_CREDENTIAL_DATA]),
      uint32(0),
      attestedCredentialData,
    );
    const attestationObject = cbor(
      new Map<unknown, unknown>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authenticatorData],
      ]),
    );
    return {
      id: credentialId,
      rawId: credentialId,
      type: "public-key",
      response: {
        clientDataJSON: toBase64URL(clientDataJSON),
        attestationObject: toBase64URL(attestationObject),
        transports: ["internal"],
      },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get(): an assertion by one of this authenticator's credentials. */
  async authenticate(
    options: { challenge: string; rpId?: string },
    overrides: AssertionOverrides = {},
  ): Promise<AuthenticationResponse> {
    const chosen = overrides.use ?? this.newest;
    const credential = chosen ? this.credentials.get(chosen) : undefined;
    if (!credential) throw new Error("this authenticator holds no such credential");
    credential.counter = overrides.counter ?? credential.counter + 1;

    const clientDataJSON = clientData("webauthn.get", options.challenge, this.origin, overrides);
    const authenticatorData = concat(
      await sha256(utf8(overrides.rpId ?? options.rpId ?? credential.rpId)),
      new Uint8Array([flags(overrides)]),
      uint32(credential.counter),
    );
    const signed = concat(authenticatorData, await sha256(clientDataJSON));
    const raw = new Uint8Array(
      await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, credential.keys.privateKey, signed),
    );
    const id = overrides.credentialId ?? toBase64URL(credential.id);
    return {
      id,
      rawId: id,
      type: "public-key",
      response: {
        clientDataJSON: toBase64URL(clientDataJSON),
        authenticatorData: toBase64URL(authenticatorData),
        signature: toBase64URL(derSignature(raw)),
        ...(overrides.omitUserHandle ? {} : { userHandle: credential.userHandle }),
      },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    };
  }
}

function flags(overrides: CeremonyOverrides): number {
  return (
    (overrides.userPresent === false ? 0 : FLAG_USER_PRESENT) |
    (overrides.userVerified === false ? 0 : FLAG_USER_VERIFIED)
  );
}

/** CollectedClientData (§5.8.1), serialized as a browser does. */
function clientData(
  type: string,
  challenge: string,
  origin: string,
  overrides: CeremonyOverrides,
): Uint8Array<ArrayBuffer> {
  return utf8(
    JSON.stringify({
      type,
      challenge: overrides.challenge ?? challenge,
      origin: overrides.origin ?? origin,
      crossOrigin: false,
    }),
  );
}

/** The EC2 COSE_Key of an ES256 public key (RFC 9053 §7.1.1): kty 2, alg -7, crv 1 (P-256), x, y. */
async function coseKey(publicKey: WebCryptoKey): Promise<Uint8Array<ArrayBuffer>> {
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", publicKey)) as ArrayBuffer); // 0x04 || x || y
  return cbor(
    new Map<unknown, unknown>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, raw.slice(1, 33)],
      [-3, raw.slice(33, 65)],
    ]),
  );
}

/** WebCrypto signs ECDSA as r || s; WebAuthn carries the ASN.1 DER form (§6.5.5). */
function derSignature(raw: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const integer = (bytes: Uint8Array<ArrayBuffer>) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const trimmed = bytes.slice(start);
    const body = trimmed[0]! & 0x80 ? concat(new Uint8Array([0]), trimmed) : trimmed;
    return concat(new Uint8Array([0x02, body.length]), body);
  };
  const sequence = concat(integer(raw.slice(0, 32)), integer(raw.slice(32)));
  return concat(new Uint8Array([0x30, sequence.length]), sequence);
}

/**
 * The CBOR subset an attestation needs (RFC 8949 §3.1): integers, byte and text strings, maps,
 * in the order given (a `none` attestation needs no canonical ordering).
 */
function cbor(value: unknown): Uint8Array<ArrayBuffer> {
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (value instanceof Uint8Array) return concat(head(2, value.length), value as Uint8Array<ArrayBuffer>);
  if (typeof value === "string") {
    const bytes = utf8(value);
    return concat(head(3, bytes.length), bytes);
  }
  if (value instanceof Map) {
    return concat(head(5, value.size), ...[...value].flatMap(([key, item]) => [cbor(key), cbor(item)]));
  }
  throw new Error(`cbor: unsupported value ${String(value)}`);
}

function head(majorType: number, length: number): Uint8Array<ArrayBuffer> {
  const major = majorType << 5;
  if (length < 24) return new Uint8Array([major | length]);
  if (length < 0x100) return new Uint8Array([major | 24, length]);
  if (length < 0x10000) return concat(new Uint8Array([major | 25]), uint16(length));
  return concat(new Uint8Array([major | 26]), uint32(length));
}

function uint16(value: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array([value >> 8, value & 0xff]);
}

function uint32(value: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

function concat(...parts: Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

function toBase64URL(bytes: Uint8Array<ArrayBuffer>): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
