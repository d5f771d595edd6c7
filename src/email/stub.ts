// Development provider: stores messages in D1 for GET /dev/emails instead of sending them.
import { desc, eq, lt } from "drizzle-orm";
import type { Database } from "../db/client";
import { devEmails } from "../db/schema";
import { logEvent } from "../lib/log";
import type { EmailMessage, EmailSender } from "./provider";
import { deleteRowsBatch } from "../db/delete-batch";

export function createStubEmailSender(db: Database): EmailSender {
  return {
    async send(message: EmailMessage): Promise<void> {
      await db.insert(devEmails).values({
        recipient: message.to,
        subject: message.subject,
        text: message.text,
        links: message.links,
        createdAt: Date.now(),
      });
      // The links carry tokens: they stay in the outbox and never reach the log.
      logEvent("info", "email_stored_in_dev_outbox", { to: message.to, subject: message.subject });
    },
  };
}

/** One bounded batch of outbox messages older than `cutoff`; returns how many were deleted. */
export async function deleteOldDevEmailsBatch(db: Database, cutoff: number, batchSize: number): Promise<number> {
  return deleteRowsBatch(db, { table: devEmails, id: devEmails.id, where: lt(devEmails.createdAt, cutoff) }, batchSize);
}

/** The newest outbox messages, to one recipient or to anyone. */
export function listDevEmails(db: Database, options: { recipient?: string; limit: number }) {
  return db
    .select()
    .from(devEmails)
    .where(options.recipient === undefined ? undefined : eq(devEmails.recipient, options.recipient))
    .orderBy(desc(devEmails.id))
    .limit(options.limit);
}
