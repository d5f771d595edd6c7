// The routes called server to server (no browser, no cookie), declared once for the router that
// serves them, the origin check that exempts them and the body limits that size them.

/** Stripe's webhook endpoint, authenticated by the signature of the raw body (SEC-50). */
export const STRIPE_WEBHOOK_PATH = "/webhooks/stripe";

/** The maintenance job for external schedulers, authenticated by the cron bearer secret. */
export const CRON_RUN_PATH = "/cron/run";
