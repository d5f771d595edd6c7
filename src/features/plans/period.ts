// Billing periods: the Stripe subscription's current period, else the calendar month in UTC.

export interface BillingPeriod {
  start: number;
  end: number;
  source: "subscription" | "calendar_month";
}

export function calendarMonthOf(now: number): BillingPeriod {
  const date = new Date(now);
  const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  const end = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  return { start, end, source: "calendar_month" };
}

/**
 * The period usage is metered in. A subscription period counts only while `now` is inside it;
 * once it has ended (a late renewal webhook), metering falls back to the calendar month rather
 * than charging against a period that is over.
 */
export function currentBillingPeriod(
  subscription: { periodStart: number | null; periodEnd: number | null },
  now = Date.now(),
): BillingPeriod {
  const { periodStart, periodEnd } = subscription;
  if (periodStart !== null && periodEnd !== null && periodStart <= now && now < periodEnd) {
    return { start: periodStart, end: periodEnd, source: "subscription" };
  }
  return calendarMonthOf(now);
}
