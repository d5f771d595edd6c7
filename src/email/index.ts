// Picks the configured email provider.
import type { Config } from "../config";
import type { Database } from "../db/client";
import type { EmailSender } from "./provider";
import { createResendEmailSender } from "./resend";
import { createStubEmailSender } from "./stub";

export type { EmailSender } from "./provider";

export function createEmailSender(config: Config, db: Database): EmailSender {
  const email = config.email;
  switch (email.provider) {
    case "stub":
      return createStubEmailSender(db);
    case "resend":
      return createResendEmailSender({ apiKey: email.apiKey, from: email.from });
  }
}
