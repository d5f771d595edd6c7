// GET /dev/emails: the stub outbox, only in development with the stub provider (404 otherwise).
import { z } from "@hono/zod-openapi";
import { desc, eq } from "drizzle-orm";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { PUBLIC } from "../../middleware/access";
import { AppError } from "../../errors";
import { devEmails } from "../../db/schema";
import { toISOString } from "../../lib/time";
import { normalizeEmail } from "../../lib/email-address";
import { jsonResponse } from "../../platform/route-helpers";

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
  { access: PUBLIC, errors: { 404: "NOT_FOUND: outside ENVIRONMENT=dev with EMAIL_PROVIDER=stub" } },
  {
    method: "get",
    path: "/emails",
    tags: ["Development"],
    summary: "The stub email outbox, newest first (ENVIRONMENT=dev and EMAIL_PROVIDER=stub only)",
    request: { query: z.object({ to: z.string().max(320).optional() }) },
    responses: { 200: jsonResponse(z.array(DevEmailSchema), `Up to ${OUTBOX_PAGE_SIZE} messages`) },
  },
);

export const devRoutes = createRouter().openapi(outbox, async (c) => {
  const config = c.get("config");
  if (config.environment !== "dev" || config.email.provider !== "stub") {
    throw new AppError(404, "NOT_FOUND", "Not found.");
  }
  const { to } = c.req.valid("query");
  const rows = await c
    .get("db")
    .select()
    .from(devEmails)
    .where(to === undefined ? undefined : eq(devEmails.recipient, normalizeEmail(to)))
    .orderBy(desc(devEmails.id))
    .limit(OUTBOX_PAGE_SIZE);
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
