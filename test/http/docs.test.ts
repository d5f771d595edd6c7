// GET /docs (SEC-43, "the docs page gets its own policy"): the page comes from the worker and every
// file it loads from this origin's static assets (wrangler.toml [assets], public/_headers), under a
// policy that allows this origin only; every other path keeps the API's `default-src 'none'`. The
// asset layer serves /docs/assets/* before the worker runs, so the files are checked through the
// ASSETS binding, which answers from the same directory with the same _headers rules. The real
// browser check (wrangler dev's asset routing included) is test/node/docs-browser.test.ts.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DOCS_CONTENT_SECURITY_POLICY } from "../../src/features/docs/routes";
import { createClient } from "../helpers/client";

const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** The src and href of every script and stylesheet the page loads. */
function loadedURLs(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"/g)].map((match) => match[1]!);
}

/** The directives of a policy, by name. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(";").map((part) => {
      const [name, ...sources] = part.trim().split(/\s+/);
      return [name!, sources];
    }),
  );
}

/** A file of the static assets, as the asset layer serves it (public/, public/_headers). */
function fetchAsset(path: string, headers: Record<string, string> = {}): Promise<Response> {
  if (!env.ASSETS) throw new Error("no ASSETS binding: wrangler.toml [assets] is missing");
  return env.ASSETS.fetch(new Request(new URL(path, "http://localhost"), { headers }));
}

describe("GET /docs", () => {
  it("is an HTML page whose scripts and stylesheet are served by this worker, no inline code", async () => {
    const response = await createClient().get("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    const urls = loadedURLs(html);
    expect(urls).toEqual(
      expect.arrayContaining([
        "/docs/assets/swagger-ui.css",
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/docs.js",
      ]),
    );
    for (const url of urls) expect(url.startsWith("/docs/assets/") || url.startsWith("data:"), url).toBe(true);
    // No inline script or style to allow: every <script> has a src, and there is no <style>.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style\b|\sstyle=/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it("has its own CSP: this origin only, no unsafe-inline or unsafe-eval, still no framing", async () => {
    const response = await createClient().get("/docs");
    const policy = response.headers.get("content-security-policy")!;
    expect(policy).toBe(DOCS_CONTENT_SECURITY_POLICY);
    const byName = directives(policy);
    expect(byName.get("default-src")).toEqual(["'none'"]);
    expect(byName.get("frame-ancestors")).toEqual(["'none'"]);
    expect(byName.get("script-src")).toEqual(["'self'"]);
    expect(byName.get("style-src")).toEqual(["'self'"]);
    expect(byName.get("connect-src")).toEqual(["'self'"]);
    expect(policy).not.toMatch(/unsafe-|https?:|\*/);
    // The rest of the security headers are the API's own.
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("cache-control")).toBe("no-store");
    // A document's own isolation, which the API's JSON responses go without.
    expect(response.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(response.headers.get("origin-agent-cluster")).toBe("?1");
  });

  it("serves Swagger UI's script and stylesheet, and the start-up script, as static files with their types and the page's CSP", async () => {
    const expected: [string, RegExp, string][] = [
      ["/docs/assets/swagger-ui-bundle.js", /^(text|application)\/javascript/, "SwaggerUIBundle"],
      ["/docs/assets/swagger-ui.css", /^text\/css/, ".swagger-ui"],
      ["/docs/assets/docs.js", /^(text|application)\/javascript/, '"/openapi.json"'],
    ];
    for (const [path, type, marker] of expected) {
      const response = await fetchAsset(path);
      expect.soft({ path, status: response.status }).toEqual({ path, status: 200 });
      expect.soft(response.headers.get("content-type"), path).toMatch(type);
      expect.soft(response.headers.get("content-security-policy"), path).toBe(DOCS_CONTENT_SECURITY_POLICY);
      expect.soft(response.headers.get("cache-control"), path).toBe("no-cache");
      expect.soft(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect.soft(response.headers.get("x-frame-options"), path).toBe("DENY");
      expect.soft(await response.text(), path).toContain(marker);
    }
  });

  it("the start-up script names no other origin and turns the online validator off", async () => {
    const script = await (await fetchAsset("/docs/assets/docs.js")).text();
    expect(script).not.toMatch(/https?:\/\//);
    expect(script).toContain("validatorUrl: null");
  });

  it("answers If-None-Match with the file's ETag with 304 and no body", async () => {
    const first = await fetchAsset("/docs/assets/swagger-ui.css");
    const etag = first.headers.get("etag")!;
    expect(etag, "ETag").toMatch(/^(W\/)?"[0-9a-f]{16,64}"$/);
    await first.body?.cancel();
    const again = await fetchAsset("/docs/assets/swagger-ui.css", { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });

  it("answers a path under /docs/assets/ that is no file from the worker: 404 NOT_FOUND, prototype keys included", async () => {
    for (const file of ["nope.js", "swagger-ui.js", "constructor", "__proto__", "index.html", "..%2Fopenapi.json"]) {
      const response = await createClient().get(`/docs/assets/${file}`);
      expect.soft({ file, status: response.status, body: await response.json() }).toEqual({
        file,
        status: 404,
        body: { error: { code: "NOT_FOUND", message: expect.any(String) } },
      });
      const asset = await fetchAsset(`/docs/assets/${file}`);
      expect.soft({ file, asset: asset.status }).toEqual({ file, asset: 404 });
      await asset.body?.cancel();
    }
  });

  it("leaves every other path with the API's policy (the override is for /docs only)", async () => {
    for (const path of ["/ping", "/openapi.json", "/docs-x", "/docsassets/docs.js", "/no/such/route", "/dev/emails"]) {
      const response = await createClient().get(path);
      expect.soft({ path, csp: response.headers.get("content-security-policy") }).toEqual({ path, csp: API_CSP });
      await response.body?.cancel();
    }
  });

  it("is listed in /openapi.json as public, returning text/html", async () => {
    const document = (await (await createClient().get("/openapi.json")).json()) as {
      paths: Record<
        string,
        { get?: { "x-min-role"?: string; responses: Record<string, { content?: Record<string, unknown> }> } }
      >;
    };
    const operation = document.paths["/docs"]?.get;
    expect(operation?.["x-min-role"]).toBe("public");
    expect(Object.keys(operation?.responses["200"]?.content ?? {})).toEqual(["text/html"]);
  });
});
