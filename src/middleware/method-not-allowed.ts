// 405 with an Allow header for a path that has routes, but none for the request's method
// (RFC 9110 §15.5.6, https://www.rfc-editor.org/rfc/rfc9110#name-405-method-not-allowed); 404 for
// a path with no route at all.
//
// Answered by the app's not-found handler, which Hono calls only when no route matched, instead of
// hono/method-not-allowed's middleware, which wraps every request in one more layer to look at its
// status afterwards: a promise, a frame and about 0.8 KB of garbage on every request the app
// serves, for the few that miss (issue 18; docs/decisions/perf.md, "Fifth round"). The methods per
// path are worked out as that middleware does: every declared route's method, and HEAD with GET.
import type { NotFoundHandler } from "hono";
import type { RouterRoute } from "hono/types";
import { TrieRouter } from "hono/router/trie-router";
import type { AppEnv } from "../env";
import { handleNotFound, respondMethodNotAllowed } from "./error-handler";

/** Each declared path's methods, matched as the app matches requests (parameters, wildcards). */
function routeMethodsByPath(routes: readonly RouterRoute[]): TrieRouter<string[]> {
  const methodsByPath = new Map<string, Set<string>>();
  for (const { method, path } of routes) {
    // ALL is middleware (app.use); HEAD is served by the GET route.
    if (method === "ALL" || method === "HEAD") continue;
    const methods = methodsByPath.get(path) ?? new Set<string>();
    methods.add(method);
    if (method === "GET") methods.add("HEAD");
    methodsByPath.set(path, methods);
  }
  const router = new TrieRouter<string[]>();
  for (const [path, methods] of methodsByPath) router.add("ALL", path, [...methods]);
  return router;
}

/**
 * The not-found handler of `app`. The methods are read from its routes on the first miss, once
 * every route is declared.
 */
export function answerUnmatched(app: { readonly routes: readonly RouterRoute[] }): NotFoundHandler<AppEnv> {
  let methodsOf: TrieRouter<string[]> | undefined;
  return (c) => {
    methodsOf ??= routeMethodsByPath(app.routes);
    const allowed = new Set<string>();
    for (const [methods] of methodsOf.match("ALL", c.req.path)[0]) for (const method of methods) allowed.add(method);
    if (allowed.size === 0 || allowed.has(c.req.method)) return handleNotFound(c);
    return respondMethodNotAllowed(c, [...allowed]);
  };
}
