// Resend (https://resend.com/docs/api-reference/emails/send-email) over fetch.
import { logEvent } from "../lib/log";
import type { EmailMessage, EmailSender } from "./provider";

const RESEND_ENDPOINT = "https://api.resend.com/emails";

export function createResendEmailSender(options: {
  apiKey: string;
  from: string;
  fetcher?: typeof fetch;
}): EmailSender {
  const fetcher = options.fetcher ?? fetch;
  return {
    async send(message: EmailMessage): Promise<void> {
      const response = await fetcher(RESEND_ENDPOINT, {
        method: "POST",
        headers: { Authorization: `Bearer ${options.apiKey}`, "Content-Type": "application/json" },
        body: JSON.stringify({ from: options.from, to: [message.to], subject: message.subject, text: message.text }),
      });
      if (!response.ok) {
        // The provider's body may echo the message; log only the status.
        logEvent("error", "email_send_failed", {
          provider: "resend",
          status: response.status,
          subject: message.subject,
        });
        throw new Error(`Resend answered ${response.status}`);
      }
    },
  };
}
