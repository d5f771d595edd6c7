#!/usr/bin/env node
// `npm run dev:reset-limits [-- --email ada@example.com] [--port 9000]`: asks the running
// `npm run dev` to lift this machine's rate limits (and, with --email, that account's login
// back-off) through POST /dev/rate-limits/reset, which exists only with ENVIRONMENT=dev.
import { parseArgs } from "node:util";
import { DEFAULT_DEV_PORT } from "./dev-args.mjs";

const { values } = parseArgs({ options: { email: { type: "string" }, port: { type: "string" } } });
const port = values.port ?? (process.env.PORT || DEFAULT_DEV_PORT);
const url = `http://localhost:${port}/dev/rate-limits/reset`;

let response;
try {
  response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(values.email === undefined ? {} : { email: values.email }),
  });
} catch (error) {
  console.error(`dev:reset-limits: nothing answers on ${url} (${error instanceof Error ? error.message : error}).`);
  console.error("Start `npm run dev` first, or pass the port it uses: npm run dev:reset-limits -- --port 9000");
  process.exit(1);
}
const body = await response.json().catch(() => null);
if (!response.ok) {
  console.error(`dev:reset-limits: ${response.status} ${JSON.stringify(body)}`);
  if (response.status === 404) console.error("The worker on that port is not running with ENVIRONMENT=dev.");
  process.exit(1);
}
console.log(
  `Rate limits lifted for this machine (${body.policies.length} limits)` +
    (body.account_backoff_cleared ? ` and the login back-off of ${values.email}.` : "."),
);
