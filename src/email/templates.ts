// The account emails. Links are built from the configured web base URL only (SEC-30).
import type { EmailMessage } from "./provider";

function link(webBaseURL: string, path: string, token: string): string {
  const url = new URL(path, `${webBaseURL}/`);
  url.searchParams.set("token", token);
  return url.toString();
}

export function verificationEmail(to: string, webBaseURL: string, token: string): EmailMessage {
  const url = link(webBaseURL, "verify-email", token);
  return {
    to,
    subject: "Verify your email address",
    text: `Confirm your email address to finish creating your account:\n\n${url}\n\nThis link expires in 24 hours. If you did not sign up, ignore this email.`,
    links: [url],
  };
}

export function alreadyRegisteredEmail(to: string, webBaseURL: string): EmailMessage {
  const loginURL = new URL("login", `${webBaseURL}/`).toString();
  const resetURL = new URL("forgot-password", `${webBaseURL}/`).toString();
  return {
    to,
    subject: "You already have an account",
    text: `Someone tried to sign up with this email address, which already has an account.\n\nSign in: ${loginURL}\nForgot your password? ${resetURL}\n\nIf this was not you, you can ignore this email.`,
    links: [loginURL, resetURL],
  };
}

export function passwordResetEmail(to: string, webBaseURL: string, token: string): EmailMessage {
  const url = link(webBaseURL, "reset-password", token);
  return {
    to,
    subject: "Reset your password",
    text: `Choose a new password with this link:\n\n${url}\n\nThis link expires in 1 hour and works once. If you did not ask for it, ignore this email.`,
    links: [url],
  };
}

export function passwordChangedEmail(to: string, webBaseURL: string): EmailMessage {
  const resetURL = new URL("forgot-password", `${webBaseURL}/`).toString();
  return {
    to,
    subject: "Your password was changed",
    text: `The password of your account was just changed and your other sessions were signed out.\n\nIf this was not you, reset your password now: ${resetURL}`,
    links: [resetURL],
  };
}

export function emailChangeConfirmationEmail(to: string, webBaseURL: string, token: string): EmailMessage {
  const url = link(webBaseURL, "confirm-email-change", token);
  return {
    to,
    subject: "Confirm your new email address",
    text: `Confirm that this address should become the email of your account:\n\n${url}\n\nThis link expires in 1 hour and works once; every session of the account is signed out when it is used. If you did not ask for it, ignore this email.`,
    links: [url],
  };
}

/** To the current address: the request is announced before anything changes (SEC-78). */
export function emailChangeRequestedEmail(to: string, webBaseURL: string): EmailMessage {
  const resetURL = new URL("forgot-password", `${webBaseURL}/`).toString();
  return {
    to,
    subject: "A change of your email address was requested",
    text: `Someone signed in to your account asked to move it to another email address. Nothing changes until the link sent to that address is used.\n\nIf this was not you, reset your password now: ${resetURL}`,
    links: [resetURL],
  };
}

/** To the old address once the change is done. */
export function emailChangedEmail(to: string, webBaseURL: string): EmailMessage {
  const resetURL = new URL("forgot-password", `${webBaseURL}/`).toString();
  return {
    to,
    subject: "Your email address was changed",
    text: `Your account now uses another email address, and all its sessions were signed out. This address no longer signs in.\n\nIf this was not you, contact support.`,
    links: [resetURL],
  };
}

/**
 * A name someone typed (an organization's, an invitee's) as one line of at most 100 characters:
 * control characters and line breaks become spaces, so the name cannot forge paragraphs of its own
 * ("Your account is locked, go to ...") around the real link.
 */
function oneLine(name: string): string {
  // Cc: the C0 and C1 control characters; Zl, Zp: the Unicode line and paragraph separators.
  return name
    .replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, " ")
    .trim()
    .slice(0, 100);
}

/**
 * The organization's name is chosen by whoever created it (in B2C, anyone who signs up), so it
 * stays out of the subject, which mail clients show before anything else and which would
 * otherwise read as our own words ("Your bank: verify your account"). In the body it is quoted,
 * on one line, and introduced as the name its creator chose.
 */
export function invitationEmail(
  to: string,
  webBaseURL: string,
  token: string,
  options: { organizationName: string; recipientName?: string },
): EmailMessage {
  const url = link(webBaseURL, "accept-invitation", token);
  const organizationName = oneLine(options.organizationName);
  const recipientName = options.recipientName ? oneLine(options.recipientName) : "";
  const greeting = recipientName ? `Hello ${recipientName},\n\n` : "";
  return {
    to,
    subject: "You have been invited to join an organization",
    text: `${greeting}You have been invited to join an organization. Its name, as chosen by whoever created it, is: "${organizationName}".\n\nAccept the invitation and choose a password:\n\n${url}\n\nThis link expires in 7 days and works once. If you did not expect it, ignore this email.`,
    links: [url],
  };
}
