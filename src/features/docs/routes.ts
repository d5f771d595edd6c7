// GET /docs: the interactive API reference (Swagger UI) for /openapi.json. The worker serves the
// page and every file it loads itself, no CDN, under a Content-Security-Policy of the page's own
// (SEC-43): scripts, styles and fetches from this origin only, no inline code, no third party.
import { z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import swaggerUIBundle from "swagger-ui-dist/swagger-ui-bundle.js";
import swaggerUICSS from "swagger-ui-dist/swagger-ui.css";
import type { AppEnv } from "../../env";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { PUBLIC } from "../../middleware/access";
import { AppError } from "../../errors";

export const DOCS_PATH = "/docs";
const ASSETS_PATH = `${DOCS_PATH}/assets`;

/**
 * The page's policy, replacing the API's `default-src 'none'` on /docs and /docs/assets/* only.
 * Swagger UI needs no inline script or style (its start-up is docs.js below) and no eval; its CSS
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

/** Starts Swagger UI on the document; same-origin, so "Try it out" carries the session cookie. */
const START_SCRIPT = `"use strict";
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis],
  validatorUrl: null,
  withCredentials: true,
});
`;

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

const ASSETS: Record<string, { contentType: string; body: string }> = {
  "swagger-ui-bundle.js": { contentType: "text/javascript; charset=utf-8", body: swaggerUIBundle },
  "swagger-ui.css": { contentType: "text/css; charset=utf-8", body: swaggerUICSS },
  "docs.js": { contentType: "text/javascript; charset=utf-8", body: START_SCRIPT },
};

/** A weak ETag per file, hashed once per isolate: the browser revalidates instead of re-downloading. */
const etags = new Map<string, Promise<string>>();
function etagOf(name: string, body: string): Promise<string> {
  let etag = etags.get(name);
  if (!etag) {
    etag = crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)).then((digest) => {
      const hex = [...new Uint8Array(digest).slice(0, 12)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
      return `W/"${hex}"`;
    });
    etags.set(name, etag);
  }
  return etag;
}

/**
 * Outermost middleware on the docs paths (mounted before the global security headers, so it runs
 * after them): swaps in the page's own policy, and lets the browser keep the static files as long
 * as it revalidates them (they hold nothing private; every other response stays no-store).
 */
export const docsResponseHeaders = createMiddleware<AppEnv>(async function docsResponseHeaders(c, next) {
  await next();
  c.res.headers.set("Content-Security-Policy", DOCS_CONTENT_SECURITY_POLICY);
  if (c.req.path.startsWith(`${ASSETS_PATH}/`) && (c.res.status === 200 || c.res.status === 304)) {
    c.res.headers.set("Cache-Control", "no-cache");
  }
});

const page = defineRoute(
  { access: PUBLIC },
  {
    method: "get",
    path: "/",
    tags: ["Service"],
    summary: "Interactive API reference (Swagger UI) for this document",
    description: "An HTML page; its script and style come from /docs/assets/ on this origin, under the page's own CSP.",
    responses: {
      200: { description: "The page", content: { "text/html": { schema: z.string() } } },
    },
  },
);

const asset = defineRoute(
  { access: PUBLIC, errors: { NOT_FOUND: "no such file" } },
  {
    method: "get",
    path: "/assets/{file}",
    tags: ["Service"],
    summary: "A script or stylesheet of the API reference page",
    request: { params: z.object({ file: z.string().max(64).openapi({ example: "swagger-ui-bundle.js" }) }) },
    responses: {
      200: {
        description: "The file",
        content: {
          "text/javascript": { schema: z.string() },
          "text/css": { schema: z.string() },
        },
      },
      304: { description: "Not modified (If-None-Match named the current ETag)" },
    },
  },
);

export const docsRoutes = createRouter()
  .openapi(page, (c) => c.html(PAGE, 200))
  .openapi(asset, async (c) => {
    const { file } = c.req.valid("param");
    const found = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (!found) throw new AppError("NOT_FOUND", "Not found.");
    const etag = await etagOf(file, found.body);
    c.header("ETag", etag);
    const ifNoneMatch = c.req.header("if-none-match") ?? "";
    if (ifNoneMatch.split(",").some((candidate) => candidate.trim() === etag)) return c.body(null, 304);
    return c.body(found.body, 200, { "Content-Type": found.contentType });
  });
