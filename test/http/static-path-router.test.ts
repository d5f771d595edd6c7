// The root app's router (src/platform/openapi/static-path-router.ts) keeps the match of each
// declared static path: it must answer every request exactly as the TrieRouter it wraps, and its
// memo must stay bounded whatever paths and methods clients send.
import fc from "fast-check";
import { TrieRouter } from "hono/router/trie-router";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { StaticPathRouter } from "../../src/platform/openapi/static-path-router";

type Handler = (typeof app.routes)[number]["handler"];

function routersOfTheApp() {
  const memo = new StaticPathRouter<Handler>();
  const trie = new TrieRouter<Handler>();
  for (const { method, path, handler } of app.routes) {
    memo.add(method, path, handler);
    trie.add(method, path, handler);
  }
  return { memo, trie };
}

const declaredPaths = [...new Set(app.routes.map((route) => route.path))];
const staticPaths = declaredPaths.filter((path) => !path.includes(":") && !path.includes("*"));

/** A request path: a declared one as is, one with its parameters filled, or something else. */
const requestPath = fc.oneof(
  fc.constantFrom(...staticPaths),
  fc
    .tuple(fc.constantFrom(...declaredPaths), fc.stringMatching(/^[a-z0-9-]{1,12}$/))
    .map(([path, value]) => path.replace(/:[a-zA-Z_]+|\*/g, value)),
  fc.constantFrom(...staticPaths).map((path) => `${path}/`),
  fc.webPath(),
);
const requestMethod = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PURGE", "get");

describe("StaticPathRouter", () => {
  it("is the app's router", () => {
    expect(app.router.name).toBe("StaticPathRouter + TrieRouter");
  });

  it("answers every method and path as the TrieRouter it wraps, the first time and every time after", () => {
    const { memo, trie } = routersOfTheApp();
    fc.assert(
      fc.property(requestMethod, requestPath, (method, path) => {
        const expected = trie.match(method, path);
        expect(memo.match(method, path)).toEqual(expected);
        expect(memo.match(method, path)).toEqual(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it("keeps the answer of a declared static path", () => {
    const { memo } = routersOfTheApp();
    expect(memo.match("GET", "/health")).toBe(memo.match("GET", "/health"));
    expect(memo.match("POST", "/auth/login")).toBe(memo.match("POST", "/auth/login"));
  });

  it("keeps nothing for a path no route declares or a made-up method, so clients cannot grow it", () => {
    const { memo } = routersOfTheApp();
    expect(memo.match("GET", "/users/me/")).not.toBe(memo.match("GET", "/users/me/"));
    expect(memo.match("GET", "/notes/abc")).not.toBe(memo.match("GET", "/notes/abc"));
    expect(memo.match("PURGE", "/health")).not.toBe(memo.match("PURGE", "/health"));
  });

  it("forgets what it kept when a route is added", () => {
    const router = new StaticPathRouter<string>();
    router.add("GET", "/health", "health");
    expect(router.match("GET", "/health")[0].map(([handler]) => handler)).toEqual(["health"]);
    router.add("ALL", "*", "middleware");
    expect(router.match("GET", "/health")[0].map(([handler]) => handler)).toEqual(["health", "middleware"]);
  });
});
