// A customer's receiving endpoint, in the test isolate: requests to RECEIVER_ORIGIN reach it instead
// of the network. It verifies each delivery with the standardwebhooks package's own verifier (the
// interop check), can fail the first N attempts of each event, and records what it accepted.
import { Webhook } from "standardwebhooks";

const RECEIVER_ORIGIN = "https://hooks.test";

interface Received {
  id: string;
  type: string;
  data: Record<string, unknown>;
  path: string;
}

interface ReceiverBehaviour {
  /** Fail (HTTP 503) the first N attempts of every event id. */
  failFirst?: number;
  /** Answer with this instead of a 2xx (e.g. a redirect or a large body). */
  respond?: () => Response;
}

class FakeReceiver {
  readonly accepted: Received[] = [];
  readonly attempts = new Map<string, number>();
  readonly rejectedSignatures: string[] = [];
  private secrets = new Map<string, string>();
  private behaviours = new Map<string, ReceiverBehaviour>();

  /** Registers `path` with the secret the API returned, and how it behaves. */
  listen(path: string, secret: string, behaviour: ReceiverBehaviour = {}): string {
    this.secrets.set(path, secret);
    this.behaviours.set(path, behaviour);
    return `${RECEIVER_ORIGIN}${path}`;
  }

  receivedAt(path: string): Received[] {
    return this.accepted.filter((item) => item.path === path);
  }

  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    const secret = this.secrets.get(path);
    if (!secret) return new Response("unknown path", { status: 404 });
    const body = await request.text();
    let payload: { type: string; data: Record<string, unknown> };
    try {
      payload = new Webhook(secret).verify(body, Object.fromEntries(request.headers)) as typeof payload;
    } catch {
      this.rejectedSignatures.push(request.headers.get("webhook-id") ?? "");
      return new Response("bad signature", { status: 400 });
    }
    const id = request.headers.get("webhook-id")!;
    const attempt = (this.attempts.get(id) ?? 0) + 1;
    this.attempts.set(id, attempt);
    const behaviour = this.behaviours.get(path) ?? {};
    if (behaviour.respond) return behaviour.respond();
    if (attempt <= (behaviour.failFirst ?? 0)) return new Response("try later", { status: 503 });
    this.accepted.push({ id, type: payload.type, data: payload.data, path });
    return new Response("ok", { status: 200 });
  }
}

export const receiver = new FakeReceiver();

/** Routes RECEIVER_ORIGIN to the receiver and everything else to the fetch installed before. */
export function installReceiver(): void {
  const previous = globalThis.fetch;
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (new URL(request.url).origin === RECEIVER_ORIGIN) return receiver.fetch(request);
    return previous(input, init);
  };
}

/** A Queue binding that keeps what is sent, so a test hands the messages to the consumer itself. */
export class CapturingQueue<Body> {
  readonly sent: Body[] = [];
  async send(body: Body): Promise<void> {
    this.sent.push(body);
  }
  async sendBatch(messages: Iterable<{ body: Body }>): Promise<void> {
    for (const message of messages) this.sent.push(message.body);
  }
  take(): Body[] {
    return this.sent.splice(0);
  }
}
