// A fake Cloudflare Turnstile siteverify inside workerd, at the fetch level: the worker posts its
// real form body (secret, response, remoteip) to TURNSTILE_SITEVERIFY_URL, and this answers as
// challenges.cloudflare.com does: `success`, `error-codes`, `hostname`, `action`; tokens single use.
import type { Env } from "../../src/env";

const FAKE_ORIGIN = "http://turnstile.test";
const TEST_TURNSTILE_SECRET = "0x4AAAAAAAfakeTurnstileSecretKey0123";
/** WEB_BASE_URL's host in the test bindings: where the widget runs. */
const WIDGET_HOSTNAME = "localhost";

/** The bindings that turn the bot check on against this fake. */
export const TURNSTILE_ENV: Partial<Env> = {
  TURNSTILE_SECRET_KEY: TEST_TURNSTILE_SECRET,
  TURNSTILE_SITEVERIFY_URL: `${FAKE_ORIGIN}/turnstile/v0/siteverify`,
};

interface IssuedToken {
  hostname: string;
  action: string;
  /** The IP the widget was solved from; null: any. */
  ip: string | null;
  spent: boolean;
}

interface RecordedVerification {
  contentType: string | null;
  form: Record<string, string>;
}

class FakeTurnstile {
  private readonly tokens = new Map<string, IssuedToken>();
  readonly requests: RecordedVerification[] = [];
  outage: "up" | "network" | "error" = "up";

  /** What the widget hands the browser after a solved challenge. */
  issueToken(options: { hostname?: string; action?: string; ip?: string | null } = {}): string {
    const token = `0.${crypto.randomUUID()}${crypto.randomUUID()}`.replaceAll("-", "");
    this.tokens.set(token, {
      hostname: options.hostname ?? WIDGET_HOSTNAME,
      action: options.action ?? "",
      ip: options.ip ?? null,
      spent: false,
    });
    return token;
  }

  reset(): void {
    this.tokens.clear();
    this.requests.length = 0;
    this.outage = "up";
  }

  async fetch(request: Request): Promise<Response> {
    const form = Object.fromEntries(new URLSearchParams(await request.text()));
    this.requests.push({ contentType: request.headers.get("content-type"), form });
    if (this.outage === "network") throw new TypeError("Network connection lost.");
    if (this.outage === "error") return new Response("error code: 500", { status: 500 });
    const refuse = (code: string) => Response.json({ success: false, "error-codes": [code], messages: [] });
    if (request.method !== "POST" || new URL(request.url).pathname !== "/turnstile/v0/siteverify") {
      return new Response("Not found", { status: 404 });
    }
    if (!form.secret) return refuse("missing-input-secret");
    if (form.secret !== TEST_TURNSTILE_SECRET) return refuse("invalid-input-secret");
    if (!form.response) return refuse("missing-input-response");
    const token = this.tokens.get(form.response);
    if (!token || (token.ip !== null && token.ip !== form.remoteip)) return refuse("invalid-input-response");
    if (token.spent) return refuse("timeout-or-duplicate");
    token.spent = true;
    return Response.json({
      success: true,
      challenge_ts: new Date().toISOString(),
      hostname: token.hostname,
      "error-codes": [],
      action: token.action,
      cdata: "",
    });
  }
}

export const fakeTurnstile = new FakeTurnstile();

/** Routes the fake's origin to the fake and everything else to the fetch installed before. */
export function installFakeTurnstile(): void {
  const previousFetch = globalThis.fetch;
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (new URL(request.url).origin === FAKE_ORIGIN) return fakeTurnstile.fetch(request);
    return previousFetch(input, init);
  };
}
