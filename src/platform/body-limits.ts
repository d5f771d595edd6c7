// Request body limits, declared once for the body-limit middleware, the OpenAPI document and the
// texts that quote them.
import { STRIPE_WEBHOOK_PATH } from "./server-routes";

/** Every request body, unless its path has a limit of its own below. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Bodies that are not ours to size get their own limit. Stripe's events carry whole objects (a
 * subscription with its items, prices and products, a Checkout Session with its metadata) and
 * Stripe documents no maximum; real events pass 64 KiB, and a refused delivery is retried for
 * days and then dropped. 512 KiB leaves room for the largest while still bounding the memory a
 * caller can make the worker hold: the signature is checked over the whole body.
 */
export const STRIPE_WEBHOOK_BODY_LIMIT_BYTES = 512 * 1024;

export const BODY_LIMIT_OVERRIDES: Readonly<Record<string, number>> = {
  [STRIPE_WEBHOOK_PATH]: STRIPE_WEBHOOK_BODY_LIMIT_BYTES,
};

/** A limit as the documentation writes it: "64 KiB". */
export function formatBytes(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}
