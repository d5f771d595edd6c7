// Rampart's security requirements SEC-1 … SEC-81, restated in the project's own words from the
// design's SECURITY.md (ASVS 5.0, the OWASP cheat sheets, the Copenhagen Book). The source of
// docs/security.md: `npm run docs:security` joins each one with the test titles that name its id.
// Kept as a module, not Markdown, so the generator reads ids, sections and `planned` issues as
// data with no parser, and the one rendered copy readers see is the generated page.
//
// `planned`: the issue that builds a requirement. It shows as "planned (issue N)" only while no
// test names the id; once one does, the tests are listed instead.

/** @typedef {{ id: number; text: string; planned?: number }} Requirement */
/** @typedef {{ title: string; requirements: Requirement[] }} Section */

/** @type {Section[]} */
export const SECTIONS = [
  {
    title: "Passwords and login",
    requirements: [
      {
        id: 1,
        text: "Passwords are hashed with Argon2id into a standard PHC string that carries its parameters, at least m=19456 KiB, t=2, p=1 (ASVS 11.4.2). The cost comes from config (`ARGON2_*`); a stored hash below it is re-hashed at the next successful login.",
      },
      {
        id: 2,
        text: "A password is 8 to 64 Unicode code points, with no composition rules, no truncation and no case folding: a 64-code-point passphrase works and its 63-code-point prefix does not.",
      },
      {
        id: 3,
        text: "A built-in list of the most common passwords is refused (422) wherever a password is set: signup, change, reset and invitation accept.",
      },
      {
        id: 4,
        text: "Oversized input is refused before any hashing: a 1 MB password is a quick 413 or 422, never a 500 or an exhausted isolate.",
      },
      {
        id: 5,
        text: "An unknown email and a wrong password get byte-identical answers (`401 INVALID_CREDENTIALS`; status, body and headers alike but for the request id).",
      },
      {
        id: 6,
        text: "Login does the same work for an unknown email, a wrong password and an empty one: one Argon2id verify each (against a dummy hash when there is no user), so their medians stay within 20% of each other.",
      },
      {
        id: 7,
        text: "Signup never reveals that an account exists: the same status and body, and no cookie, either way (the owner of a taken address is emailed instead).",
      },
      {
        id: 8,
        text: "Login needs a verified email: the right password on an unverified account is `403 EMAIL_NOT_VERIFIED` with no cookie; a wrong one looks exactly like SEC-5.",
      },
      {
        id: 9,
        text: "Rate limits per client IP and route are global across isolates and locations (the `RateLimiter` Durable Object, not isolate memory or the approximate rate-limit binding): login 5 per 15 min, signup and signup-org 3 per hour, forgot-password 3 per hour, resend-verification 10 per minute. Over the limit: `429 RATE_LIMITED` with `Retry-After`, checked before any hashing.",
      },
      {
        id: 10,
        text: "The client IP is `CF-Connecting-IP` only; `X-Forwarded-For`, `X-Real-IP` and `True-Client-IP` are ignored. Requests without an IP share one bucket per limit (fail closed).",
      },
      {
        id: 11,
        text: "The limits are exact under concurrency: 20 parallel logins from one IP, exactly 5 are processed.",
      },
      {
        id: 12,
        text: "Failed logins are also counted per account (the normalized email, so case variants count together), with a back-off that grows after 5 failures and is capped, so it slows a guesser without locking the owner out for long.",
      },
      {
        id: 13,
        text: "Every credential check is throttled, not only login: current-password guesses on `/password/update` and submissions of reset and verification tokens.",
      },
    ],
  },
  {
    title: "Sessions",
    requirements: [
      {
        id: 14,
        text: "A session token is 32 bytes from the CSPRNG, base64url, sent only in `Set-Cookie`; D1 stores only its SHA-256.",
      },
      {
        id: 15,
        text: "The session cookie is always `HttpOnly`, `Secure; SameSite=Strict` outside dev (`SameSite=Lax` in dev), `Path=/`, no `Domain`, and `Max-Age` is the configured lifetime (`SESSION_TTL_SECONDS`, 24 h by default).",
      },
      {
        id: 16,
        text: "Every sign-in (password, Google, invitation accept) issues a new token; a cookie the client brought along is never adopted.",
      },
      { id: 17, text: "The session token is read from the cookie only, never from a query string or a body." },
      { id: 18, text: "Logout deletes the session row and clears the cookie; the old token is 401 at once." },
      {
        id: 19,
        text: "Expiry is checked whenever a session is validated, whether or not the cron has pruned it; the cron only deletes rows past `SESSION_RETENTION_DAYS`, in bounded batches.",
      },
      { id: 20, text: "Malformed cookies (empty, 10 KB, bad encoding) are 401, never 500." },
      {
        id: 21,
        text: "Responses that carry or depend on a session send `Cache-Control: no-store` (every response does).",
      },
      {
        id: 22,
        text: "`/password/update` needs the current password, revokes every other session and keeps the current one; with a wrong current password nothing changes.",
      },
      {
        id: 23,
        text: "A completed password reset revokes every session, does not sign in, and emails the user that it happened.",
      },
      {
        id: 24,
        text: "Role, membership, suspension and organization-suspension changes apply on the very next request: authorization is read from D1 per request, never cached in the cookie.",
      },
      { id: 25, text: "Suspending a user or an organization revokes their sessions." },
    ],
  },
  {
    title: "Tokens in links (verification, reset, invitation)",
    requirements: [
      {
        id: 26,
        text: "Emailed tokens are 32 random bytes, stored as SHA-256, bound to one user or email (and organization, for invitations) and single use; reset links last 1 hour, verification 24 hours, invitations 7 days.",
      },
      {
        id: 27,
        text: "Single use is atomic: the token is consumed by a conditional update in the same D1 `batch()` as its effect, so of 10 parallel uses of one token exactly one succeeds.",
      },
      { id: 28, text: "Issuing a new reset or verification token invalidates the earlier ones." },
      {
        id: 29,
        text: "Forgot-password and resend-verification answer the same for known and unknown addresses; the lookup and the email happen after the response (`waitUntil`), so timing does not tell them apart.",
      },
      {
        id: 30,
        text: "Emailed links are built from `WEB_BASE_URL`, never from `Host` or forwarded headers.",
      },
      { id: 31, text: "The token endpoints answer with `Referrer-Policy: no-referrer`." },
      {
        id: 32,
        text: "Emails are trimmed and lowercased for identity, `+tags` are kept, and an address has at most 254 characters.",
      },
    ],
  },
  {
    title: "Authorization and tenancy",
    requirements: [
      {
        id: 33,
        text: "Deny by default: every route declares its minimum role in `defineRoute`, and that declaration is the only gate; no session is 401, a role too low is 403. The route table (`listRoutes`, `x-min-role` in `/openapi.json`) drives the route × role tests.",
      },
      {
        id: 34,
        text: "The role precedence holds: `readonly` cannot write, `member` cannot manage members, `org_admin` cannot grant `sys_admin` or act outside its organization, nobody raises their own role, the last `org_admin` cannot be removed or demoted, and an invitation's role is at most the inviter's.",
      },
      {
        id: 35,
        text: "The organization comes from the session only; an organization id in a header or a body has no effect.",
      },
      {
        id: 36,
        text: "Every organization-scoped query filters by (organization id, id): another organization's resource is 404 on every method, and lists never contain its rows.",
      },
      {
        id: 37,
        text: "No mass assignment: `organization_id`, `role`, `email_verified`, `id` and the like in a body are refused (422) or ignored, never applied.",
      },
      {
        id: 38,
        text: "Accepting an invitation is bound to the invited email and organization; a revoked, used or expired invitation looks exactly like an unknown one (`400 INVALID_TOKEN`).",
      },
    ],
  },
  {
    title: "Google sign-in",
    requirements: [
      {
        id: 39,
        text: "`authorize-url` issues a fresh signed state (jose, HS256 with `JWT_SECRET`, 10 minutes) in the URL and in a one-time `HttpOnly; Secure; SameSite=Lax` cookie, with PKCE S256. The callback requires the state to be present, equal to the cookie (constant time), validly signed, unexpired and unused, and clears the cookies; otherwise no session.",
      },
      {
        id: 40,
        text: "The ID token is verified (issuer, audience = the client id, expiry, nonce), and users are keyed by (provider, subject), never by email.",
      },
      {
        id: 41,
        text: "An account is linked by email only when the provider's `email_verified` is the boolean `true`. An existing verified account is linked; an existing unverified one is claimed (password removed, sessions revoked, email marked verified, in one batch); in B2B an email with no account and no pending invitation is refused.",
      },
      {
        id: 42,
        text: "After the callback the browser is redirected only to `WEB_BASE_URL` (its root, or `/login?error=CODE`), whatever the request says.",
      },
    ],
  },
  {
    title: "HTTP layer",
    requirements: [
      {
        id: 43,
        text: "Every response, errors included, sends `X-Content-Type-Options: nosniff`, `Cache-Control: no-store`, `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'` (`/docs` has a policy of its own), `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`, and outside dev HSTS (one year, includeSubDomains); also `Cross-Origin-Resource-Policy: same-origin`. Headers that act only on HTML documents or retired clients (COOP, Origin-Agent-Cluster, X-XSS-Protection, X-DNS-Prefetch-Control, X-Download-Options, X-Permitted-Cross-Domain-Policies) are not sent on JSON responses; the `/docs` page, the one document, adds COOP and Origin-Agent-Cluster.",
      },
      {
        id: 44,
        text: "CORS allows the exact origins of `CORS_ORIGINS` with credentials; unknown, `null` and look-alike origins get no `Access-Control-Allow-Origin`, and `Vary: Origin` is always sent.",
      },
      {
        id: 45,
        text: "CSRF, beyond SameSite: on every unsafe method (login included, against login CSRF) an `Origin` that is neither the API's own nor an allowed web origin, or `Sec-Fetch-Site: cross-site`, is 403; a cookie-carrying unsafe request without `Origin` is 403 too. JSON routes refuse other bodies (415). The server-to-server routes (`/webhooks/stripe`, `/cron/run`) carry no cookie and are exempt.",
      },
      { id: 46, text: "GET and HEAD never change state; a method a path does not support is `405` with `Allow`." },
      {
        id: 47,
        text: "Every body is validated against its schema and unknown fields are refused (422); a body over the route's limit is 413 (64 KiB by default); malformed JSON is 400; SQL is parameterized only.",
      },
      { id: 48, text: "Errors never contain a stack, SQL or an internal message." },
      {
        id: 49,
        text: "Security events (sign-in success and failure, logout, password change and reset, role change, suspension, invitation, webhook failure, AI cap refusal) are logged as structured JSON with user, organization and IP, and recorded in the organization-scoped `audit_log`; passwords, tokens and secrets never appear in logs.",
      },
    ],
  },
  {
    title: "Money, data and resources",
    requirements: [
      {
        id: 50,
        text: "Stripe webhooks are verified with `constructEventAsync` over the raw body and the SubtleCrypto provider, 300 s tolerance; a missing or bad signature is 400 with no effect. The route takes no session and no Origin check, and its body limit (512 KiB) fits Stripe's largest events.",
      },
      {
        id: 51,
        text: "Each Stripe event id is recorded under a UNIQUE constraint in the same batch as its effect, so a replay is 200 with no effect; an out-of-order subscription event never moves an organization back to an older state (the event's time is compared and set in the same update).",
      },
      {
        id: 52,
        text: "AI spend cap: before the provider is called, the call's worst case (input estimate + `AI_MAX_OUTPUT_TOKENS`) is reserved for the organization by one conditional update; if it does not fit, the call is refused and the provider never contacted; afterwards the real usage is settled once and the rest released. 50 parallel calls against a cap that fits 10: at most 10 run, and the ledger never exceeds the cap.",
      },
      {
        id: 53,
        text: "Session, role and revocation checks read the D1 primary: no D1 Sessions API session is opened and no bookmark is taken from a client, so they never see a stale replica.",
      },
      {
        id: 54,
        text: "At most `ARGON2_MAX_CONCURRENT` Argon2id runs are admitted at a time per isolate, so memory stays far from the 128 MB limit; 20 concurrent logins finish without an isolate error.",
      },
    ],
  },
  {
    title: "Holding up against an attacker who has read the code",
    requirements: [
      {
        id: 55,
        planned: 11,
        text: "Strangers' failed guesses never lock the owner out: hard back-off is kept per (account, client); a client that has signed in to the account before (a device cookie) is not blocked by others' failures; the per-account counter only slows, never locks for more than a few seconds per attempt.",
      },
      {
        id: 56,
        planned: 11,
        text: "Per-IP limits bucket IPv6 addresses by /64, and every route that sends email (forgot, resend, invitations, email change) is also limited per recipient, so one mailbox cannot be flooded from many IPs.",
      },
      {
        id: 57,
        planned: 11,
        text: "No existence oracle anywhere: invitations, email change and signup answer alike for taken and free addresses and do the same work on both paths.",
      },
      {
        id: 58,
        planned: 11,
        text: "Outside dev the session, `mfa_pending` and OAuth cookies carry the `__Host-` prefix (Secure, `Path=/`, no Domain), so a sibling subdomain cannot plant them.",
      },
      {
        id: 59,
        planned: 11,
        text: "The AI reservation is a proven upper bound of the input tokens the provider can bill (byte-level BPE makes at most one token per UTF-8 byte, or the model's own tokenizer is used) plus the maximum output; adversarial text is run through the real tokenizer to show it. A provider reporting more than was reserved raises a logged alert, never a silent absorption.",
      },
      {
        id: 60,
        planned: 11,
        text: "A quota unit given back (a deleted note) returns to the period it was counted in.",
      },
      {
        id: 61,
        planned: 11,
        text: "A setting an `org_admin` controls never raises a limit the platform controls: the overage ceiling is bounded by the plan (or a `sys_admin` setting), not by the tenant.",
      },
      {
        id: 62,
        planned: 11,
        text: "A pending invitation never outlives its inviter's authority: removing, demoting or suspending the inviter revokes the invitations above their new role in the same batch (or accept re-checks it).",
      },
      {
        id: 63,
        planned: 11,
        text: "Logs never carry bound query parameters (emails, token hashes): database errors are logged by code and statement shape only.",
      },
      {
        id: 64,
        planned: 11,
        text: "A deploy cannot publish dev behaviour: a bare `wrangler deploy` does not target the production worker, and with `ENVIRONMENT=dev` the worker answers only loopback hosts (otherwise `503 MISCONFIGURED`), so the dev outbox is never reachable from the internet.",
      },
    ],
  },
  {
    title: "Second factors and passkeys",
    requirements: [
      {
        id: 65,
        planned: 13,
        text: "TOTP follows RFC 6238 (±1 step) with a constant-time comparison, and each code is accepted once (the last used step is stored by compare-and-set); the TOTP secret is stored encrypted (AES-GCM, key from a secret), so a database leak yields no working codes.",
      },
      {
        id: 66,
        planned: 13,
        text: "Recovery codes: 10 codes of at least 50 bits each, stored hashed, single use (compare-and-set); a new set invalidates the old one.",
      },
      {
        id: 67,
        planned: 13,
        text: "A login that needs a second factor creates no session until the factor is verified; the pending token is random, stored hashed, bound to the user, lives 5 minutes and allows 5 attempts; whether an account has MFA is revealed only after the right password.",
      },
      {
        id: 68,
        planned: 13,
        text: "WebAuthn challenges are single use and expire; origin, RP id, user presence and, for passwordless sign-in, user verification are checked; a non-zero signature counter that goes backwards refuses the assertion and is audited.",
      },
      {
        id: 69,
        planned: 13,
        text: "Sensitive actions (password change, email change, account deletion, second-factor changes, API key creation) need a fresh proof: the current password plus a second factor when enrolled, or a sign-in within 10 minutes on this session.",
      },
      {
        id: 70,
        planned: 13,
        text: "An organization's `require_mfa` is enforced on every organization-scoped route from the same per-request read as the session (no cache); it does not apply to the organization's API keys (machine credentials).",
      },
      {
        id: 71,
        text: "Breached passwords: with `PWNED_PASSWORDS=on` every new password is checked against the Pwned Passwords range API with k-anonymity (only 5 hex characters of its SHA-1 leave the worker, with `Add-Padding`) and refused (422) when found; an unreachable service fails open with a logged warning.",
      },
      {
        id: 72,
        text: "Bot protection: with `TURNSTILE_SECRET_KEY` set, signup, login, forgot-password and resend-verification verify the Turnstile token server-side (siteverify with `remoteip`) before any hashing or email; a missing or bad token is 403.",
      },
    ],
  },
  {
    title: "Machine access",
    requirements: [
      {
        id: 73,
        planned: 14,
        text: "API keys are 32 random bytes stored as SHA-256, shown once and identified by a prefix; revocation and expiry apply on the next request; scopes deny by default; a key's role is at most its creator's and never above `member`, and keys never manage members, keys, settings or billing; each key has an exact rate limit; last use is written at most once a minute.",
      },
      {
        id: 74,
        planned: 14,
        text: "Short-lived JWTs are ES256 with a `kid`, 5 minutes, `iss` and `aud` set, signed with a private key from a secret (never a shared HMAC key); the JWKS lists the current and previous keys for rotation.",
      },
    ],
  },
  {
    title: "Outbound webhooks",
    requirements: [
      {
        id: 75,
        planned: 16,
        text: "Endpoint URLs are https, without credentials, and not IP literals in private, loopback or link-local ranges; redirects are not followed; 10 s timeout; at most 1 KiB of a response is kept; the signing secret is shown once and stored encrypted.",
      },
      {
        id: 76,
        planned: 16,
        text: "Each event is delivered at least once with the same `webhook-id` across retries, so a receiver can deduplicate; an endpoint that keeps failing is disabled and the organization told.",
      },
    ],
  },
  {
    title: "Organizations and accounts",
    requirements: [
      {
        id: 77,
        planned: 12,
        text: "The active organization is checked against a live membership in the same per-request read; switching to an organization the caller does not belong to is 404; a removal applies on the next request of every session whose active organization it was.",
      },
      {
        id: 78,
        planned: 12,
        text: "Email change: the confirmation goes to the new address and a notice to the old one; the token is single use, 1 hour, bound to the user and the new address; completing it revokes every session.",
      },
      {
        id: 79,
        planned: 12,
        text: "Account deletion erases the email, names, password hash, OAuth links, passkeys and TOTP secret in one batch; audit rows keep only ids; the data export contains no secrets, hashes or keys.",
      },
    ],
  },
  {
    title: "Money, second round",
    requirements: [
      {
        id: 80,
        planned: 15,
        text: "Refunds and disputes of credit purchases debit those credits exactly once (event id UNIQUE in the same batch); an open dispute freezes the organization's credit spending.",
      },
      {
        id: 81,
        planned: 15,
        text: "Overage usage is reported to Stripe meter events with one identifier per usage row, so retries never bill twice and each row is reported exactly once.",
      },
    ],
  },
];
