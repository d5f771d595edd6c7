// GET /docs: the interactive API reference (Swagger UI) for /openapi.json. The page comes from the
// worker; the files it loads (Swagger UI's script and stylesheet, pinned by package.json, and
// public/docs/assets/docs.js) are Workers Static Assets under /docs/assets/, served by Cloudflare's
// asset layer without running the worker (wrangler.toml [assets], public/_headers), so they are not
// part of the worker's bundle. No CDN: the page's Content-Security-Policy (SEC-43) allows scripts,
// styles and fetches from this origin only, no inline code, no third party.
import { z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { PUBLIC } from "../../middleware/access";

export const DOCS_PATH = "/docs";
const ASSETS_PATH = `${DOCS_PATH}/assets`;

/**
 * The page's policy, replacing the API's `default-src 'none'` on /docs only; public/_headers gives
 * the same one to the static files under /docs/assets/ (test/http/docs.test.ts compares them).
 * Swagger UI needs no inline script or style (its start-up is docs.js) and no eval; its CSS
 * draws icons as data: SVG images. connect-src 'self' covers /openapi.json and "Try it out".
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rampart API reference</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="${ASSETS_PATH}/docs.js"></script>
</body>
</html>
`;

/**
 * Outermost middleware on the docs paths (mounted before the global security headers, so it runs
 * after them): swaps in the page's own policy.
 */
export const docsResponseHeaders = createMiddleware<AppEnv>(async function docsResponseHeaders(c, next) {
  await next();
  c.res.headers.set("Content-Security-Policy", DOCS_CONTENT_SECURITY_POLICY);
  // A document's own isolation, which API responses (not documents) go without: no window it opens
  // or that opens it shares its browsing context group, and it asks for an origin-keyed agent.
  c.res.headers.set("Cross-Origin-Opener-Policy", "same-origin");
  c.res.headers.set("Origin-Agent-Cluster", "?1");
});

const page = defineRoute(
  { access: PUBLIC },
  {
    method: "get",
    path: "/",
    tags: ["Service"],
    summary: "Interactive API reference (Swagger UI) for this document",
    description:
      "An HTML page; its script and style are static files under /docs/assets/ on this origin, under the page's own CSP.",
    responses: {
      200: { description: "The page", content: { "text/html": { schema: z.string() } } },
    },
  },
);

export const docsRoutes = createRouter().openapi(page, (c) => c.html(PAGE, 200));
