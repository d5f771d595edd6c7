// Email identity (SEC-32): trimmed and lowercased, +tags kept, at most 254 characters.
export const EMAIL_MAX_LENGTH = 254;

export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase();
}
