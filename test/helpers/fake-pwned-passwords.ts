// A fake Pwned Passwords range API inside workerd, at the fetch level: the worker's real client
// sends its real requests to PWNED_PASSWORDS_API_BASE, and this answers as api.pwnedpasswords.com
// does (`SUFFIX:COUNT` lines, CRLF, padded with count-0 lines when asked with Add-Padding).
import type { Env } from "../../src/env";

const FAKE_ORIGIN = "http://pwned.test";

/** The bindings that turn the check on against this fake. */
export const PWNED_ENV: Partial<Env> = { PWNED_PASSWORDS: "on", PWNED_PASSWORDS_API_BASE: FAKE_ORIGIN };

interface RecordedRangeRequest {
  method: string;
  /** Everything that left the worker besides the host: path, query and the headers. */
  path: string;
  search: string;
  headers: Record<string, string>;
  body: string;
}

export async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();
}

function randomSuffix(): string {
  return [...crypto.getRandomValues(new Uint8Array(18))]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("")
    .slice(0, 35)
    .toUpperCase();
}

class FakePwnedPasswords {
  /** Full SHA-1 (upper-case hex) → breach count; a count of 0 is served as a padding line. */
  private readonly hashes = new Map<string, number>();
  readonly requests: RecordedRangeRequest[] = [];
  outage: "up" | "network" | "error" = "up";

  async addPassword(password: string, count: number): Promise<void> {
    this.hashes.set(await sha1Hex(password), count);
  }

  reset(): void {
    this.hashes.clear();
    this.requests.length = 0;
    this.outage = "up";
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    this.requests.push({
      method: request.method,
      path: url.pathname,
      search: url.search,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
    });
    if (this.outage === "network") throw new TypeError("Network connection lost.");
    if (this.outage === "error") return new Response("error code: 522", { status: 522 });
    const match = /^\/range\/([0-9A-Fa-f]{5})$/.exec(url.pathname);
    if (request.method !== "GET" || !match) return new Response("Not found", { status: 404 });
    const prefix = match[1]!.toUpperCase();
    const lines = [...this.hashes]
      .filter(([hash]) => hash.startsWith(prefix))
      .map(([hash, count]) => `${hash.slice(5)}:${count}`);
    // The real API pads to 800-1,000 lines with random suffixes of count 0.
    if (request.headers.get("add-padding") === "true") {
      while (lines.length < 800) lines.push(`${randomSuffix()}:0`);
    }
    return new Response(lines.join("\r\n"), { status: 200, headers: { "content-type": "text/plain" } });
  }
}

export const fakePwnedPasswords = new FakePwnedPasswords();

/** Routes the fake's origin to the fake and everything else to the fetch installed before. */
export function installFakePwnedPasswords(): void {
  const previousFetch = globalThis.fetch;
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (new URL(request.url).origin === FAKE_ORIGIN) return fakePwnedPasswords.fetch(request);
    return previousFetch(input, init);
  };
}
