// Where Stripe may send a customer back to: the web app's own origin only, never an open redirect.
import { AppError } from "../../errors";

/**
 * The URL a client named for Stripe to return to, resolved against WEB_BASE_URL: an absolute URL
 * must have exactly the web app's origin (scheme, host and port), a path ("/billing") is taken
 * relative to it. Resolving first and comparing origins after is what defeats "//evil.example",
 * "/\evil.example", "https://app.example.com@evil.example" and "javascript:" tricks: whatever the
 * parser makes of them, its origin is not the web app's. The fragment is dropped (Stripe appends
 * query parameters).
 */
export function resolveReturnURL(webBaseURL: string, value: string, field: string): URL {
  const base = new URL(webBaseURL);
  let url: URL;
  try {
    url = new URL(value, `${base.origin}/`);
  } catch {
    throw invalidReturnURL(field);
  }
  if (url.origin !== base.origin || url.username !== "" || url.password !== "") throw invalidReturnURL(field);
  url.hash = "";
  return url;
}

function invalidReturnURL(field: string): AppError {
  return new AppError("VALIDATION_ERROR", "The request is not valid.", {
    fields: [{ field, message: "Use a URL of the web app (same origin as WEB_BASE_URL), or a path in it." }],
  });
}
