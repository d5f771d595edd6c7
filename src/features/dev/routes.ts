// Development helpers, 404 outside ENVIRONMENT=dev (and, like every route of a dev worker, only on
// loopback hosts: SEC-64). GET /dev/emails: the stub outbox (with the stub provider only).
// POST /dev/rate-limits/reset: lifts this machine's rate limits and an account's login back-off.
import { z } from "@hono/zod-openapi";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { PUBLIC } from "../../middleware/access";
import { toISOString } from "../../lib/time";
import { EMAIL_MAX_LENGTH } from "../../lib/email-address";
import { jsonBody, jsonResponse } from "../../platform/route-helpers";
import { serviceContextFrom } from "../../platform/service-context";
import { listOutbox, resetRateLimits } from "./service";

const OUTBOX_PAGE_SIZE = 50;

const DevEmailSchema = z
  .object({
    to: z.string(),
    subject: z.string(),
    text: z.string(),
    links: z.array(z.string()),
    created_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("DevEmail");

const outbox = defineRoute(
  {
    access: PUBLIC,
    onlyInEnvironment: "dev",
    errors: { NOT_FOUND: "outside ENVIRONMENT=dev with EMAIL_PROVIDER=stub" },
  },
  {
    method: "get",
    path: "/emails",
    tags: ["Development"],
    summary: "The stub email outbox, newest first (ENVIRONMENT=dev and EMAIL_PROVIDER=stub only)",
    request: { query: z.object({ to: z.string().max(320).optional() }) },
    responses: { 200: jsonResponse(z.array(DevEmailSchema), `Up to ${OUTBOX_PAGE_SIZE} messages`) },
  },
);

/**
 * The addresses a client on this machine reaches `npm run dev` from: wrangler dev passes the
 * socket's address as CF-Connecting-IP, 127.0.0.1 or ::1 depending on how `localhost` resolved,
 * so a reset from curl also frees the browser.
 */
const LOOPBACK_CLIENT_IPS = ["127.0.0.1", "::1"];

const ResetLimitsSchema = z
  .strictObject({
    email: z
      .string()
      .max(EMAIL_MAX_LENGTH)
      .optional()
      .openapi({ description: "Also lift this account's login back-off.", example: "ada@example.com" }),
  })
  .openapi("DevRateLimitReset");

const ResetLimitsResultSchema = z
  .object({
    policies: z.array(z.string()).openapi({ description: "The per-IP limits emptied for this machine." }),
    account_backoff_cleared: z.boolean(),
  })
  .openapi("DevRateLimitResetResult");

const resetLimits = defineRoute(
  { access: PUBLIC, onlyInEnvironment: "dev" },
  {
    method: "post",
    path: "/rate-limits/reset",
    tags: ["Development"],
    summary: "Lift this machine's rate limits and an account's login back-off (ENVIRONMENT=dev only)",
    description:
      "For `npm run dev -- ...` sessions locked out by a few mistyped requests (`npm run dev:reset-limits`). " +
      "Empties every per-IP limit of the caller's address and of 127.0.0.1 and ::1, and with `email` that " +
      "account's login back-off. 404, like an unknown path, in staging and production.",
    request: { body: jsonBody(ResetLimitsSchema) },
    responses: { 200: jsonResponse(ResetLimitsResultSchema, "What was cleared") },
  },
);

export const devRoutes = createRouter()
  .openapi(resetLimits, async (c) => {
    const { email } = c.req.valid("json");
    const policies = await resetRateLimits(serviceContextFrom(c), {
      clientIPs: [c.get("clientIP"), ...LOOPBACK_CLIENT_IPS],
      ...(email === undefined ? {} : { email }),
    });
    return c.json({ policies, account_backoff_cleared: email !== undefined }, 200);
  })
  .openapi(outbox, async (c) => {
    const { to } = c.req.valid("query");
    const rows = await listOutbox(serviceContextFrom(c), {
      ...(to === undefined ? {} : { to }),
      limit: OUTBOX_PAGE_SIZE,
    });
    return c.json(
      rows.map((row) => ({
        to: row.recipient,
        subject: row.subject,
        text: row.text,
        links: row.links,
        created_at: toISOString(row.createdAt),
      })),
      200,
    );
  });
