// Time arithmetic in milliseconds since the epoch, the unit every timestamp column uses.
export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export function toISOString(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
