// What a failed Stripe API call means for our caller: Stripe's errors mapped to the API's codes.
import type StripeSDK from "stripe";
import { misconfiguredError } from "../../config";
import { AppError } from "../../errors";
import { logEvent } from "../../lib/log";
import { loadStripe } from "./stripe-client";

const STRIPE_UNAVAILABLE_MESSAGE = "The payment provider cannot be reached right now. Try again in a moment.";

/**
 * Runs one Stripe call. Stripe being down, slow or rate limiting us is 502 UPSTREAM_UNAVAILABLE
 * (the caller may retry); a key Stripe refuses is 503 MISCONFIGURED; an object Stripe does not
 * know is `notFound` (404) when the caller named it; anything else is ours to fix: logged, 500.
 * Stripe's own message is logged (with its request id), never sent to the client (SEC-48).
 */
export async function callStripe<T>(
  operation: string,
  call: () => Promise<T>,
  options: { notFound?: string } = {},
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    // The call ran, so the SDK is loaded: this only reads its error classes.
    throw toAppError(await loadStripe(), operation, error, options);
  }
}

function toAppError(
  Stripe: typeof StripeSDK,
  operation: string,
  error: unknown,
  options: { notFound?: string },
): unknown {
  if (!(error instanceof Stripe.errors.StripeError)) return error;
  const fields = {
    operation,
    type: error.type,
    status: error.statusCode ?? null,
    code: error.code ?? null,
    stripe_request_id: error.requestId ?? null,
    message: error.message,
  };
  if (
    error instanceof Stripe.errors.StripeInvalidRequestError &&
    error.code === "resource_missing" &&
    options.notFound
  ) {
    logEvent("info", "stripe_resource_missing", fields);
    return new AppError("NOT_FOUND", options.notFound);
  }
  if (
    error instanceof Stripe.errors.StripeAuthenticationError ||
    error instanceof Stripe.errors.StripePermissionError
  ) {
    logEvent("error", "stripe_key_refused", fields);
    return misconfiguredError(["STRIPE_SECRET_KEY"], { message: "Stripe refused the API key." });
  }
  if (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeAPIError ||
    error instanceof Stripe.errors.StripeRateLimitError ||
    (error.statusCode !== undefined && error.statusCode >= 500)
  ) {
    logEvent("warn", "stripe_unavailable", fields);
    return new AppError("UPSTREAM_UNAVAILABLE", STRIPE_UNAVAILABLE_MESSAGE);
  }
  logEvent("error", "stripe_call_failed", fields);
  return new Error(`Stripe ${operation} failed: ${error.type}`);
}
