// What every email provider implements; messages are plain text with their links listed.
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  /** The links in the text, so the dev outbox can hand them to tests and people. */
  links: string[];
}

export interface EmailSender {
  send(message: EmailMessage): Promise<void>;
}
