// GET /dev/emails: the stub outbox, only in development with the stub provider (404 otherwise).
import { z } from "@hono/zod-openapi";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { PUBLIC } from "../../middleware/access";
import { toISOString } from "../../lib/time";
import { jsonResponse } from "../../platform/route-helpers";
import { serviceContextFrom } from "../../platform/service-context";
import { listOutbox } from "./service";

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
  { access: PUBLIC, errors: { NOT_FOUND: "outside ENVIRONMENT=dev with EMAIL_PROVIDER=stub" } },
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
