// One signed POST to a receiver (Standard Webhooks, https://www.standardwebhooks.com/): the
// request, its time limit, no redirects, and at most 1 KiB of the answer kept (SEC-75).
import { Webhook } from "standardwebhooks";

const DELIVERY_TIMEOUT_MS = 10_000;
const RESPONSE_EXCERPT_BYTES = 1024;

export interface SignedEvent {
  /** The webhook-id: the event's id, the same on every attempt (SEC-76). */
  id: string;
  type: string;
  createdAt: number;
  data: Record<string, unknown>;
}

export type SendResult =
  | { delivered: true; statusCode: number; excerpt: string }
  | { delivered: false; statusCode: number | null; excerpt: string };

/** The Standard Webhooks payload: `{type, timestamp, data}`. */
function webhookPayload(event: SignedEvent): string {
  return JSON.stringify({ type: event.type, timestamp: new Date(event.createdAt).toISOString(), data: event.data });
}

export async function sendSignedEvent(url: string, secret: string, event: SignedEvent): Promise<SendResult> {
  const body = webhookPayload(event);
  // The timestamp is the attempt's, not the event's: receivers refuse old timestamps (replay window).
  const sentAt = new Date();
  const headers = {
    "content-type": "application/json",
    "user-agent": "Rampart-Webhooks/1",
    "webhook-id": event.id,
    "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(event.id, sentAt, body),
  };
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers,
      body,
      // A redirect could lead to an address the URL checks refused: it counts as a failure.
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    return { delivered: false, statusCode: null, excerpt: timedOut ? "timed out after 10 s" : "connection failed" };
  }
  const excerpt = await readExcerpt(response);
  const delivered = response.status >= 200 && response.status < 300;
  return { delivered, statusCode: response.status, excerpt };
}

/** The first 1 KiB of the body; the rest is never read (a receiver cannot make us buffer more). */
async function readExcerpt(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < RESPONSE_EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.byteLength;
    }
  } catch {
    // A body cut off mid-way: keep what arrived.
  } finally {
    void reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(length, RESPONSE_EXCERPT_BYTES));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.length;
    if (offset >= bytes.length) break;
  }
  return new TextDecoder().decode(bytes);
}
