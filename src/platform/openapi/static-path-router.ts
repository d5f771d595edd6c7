// The root app's router: Hono's TrieRouter, plus the answer for each declared static path kept.
//
// Hono's default SmartRouter would pick RegExpRouter, which answers static paths from a map, but
// RegExpRouter refuses this API: one method has a static segment and a parameter at the same
// position (POST /users/me/email beside POST /users/:id/suspend), so SmartRouter falls back to
// TrieRouter, which walks its tree and allocates fresh arrays and parameter objects on every match.
// Most traffic is to static paths (/health, /users/me, /auth/login, /notes), and their answer never
// changes once the routes are added, so it is kept per method and path: what RegExpRouter's static
// map does. Measured inside workerd (docs/decisions/perf.md, "Fifth round"): 1.8 KB less allocated
// per /health request, and 10–15 µs less CPU in two of three paired runs.
// https://hono.dev/docs/concepts/routers
import type { Result, Router } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";

/**
 * The methods whose answers are kept. Any other method string still routes, uncached, so a client
 * sending made-up methods cannot grow the memo: it holds at most this many entries per static path.
 */
const MEMO_METHODS: ReadonlySet<string> = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** A path with no parameter (`:id`) and no wildcard (`*`): every request to it matches the same way. */
function isStaticPath(path: string): boolean {
  return !path.includes(":") && !path.includes("*");
}

export class StaticPathRouter<T> implements Router<T> {
  readonly name = "StaticPathRouter + TrieRouter";
  readonly #trie = new TrieRouter<T>();
  readonly #staticPaths = new Set<string>();
  readonly #answers = new Map<string, Result<T>>();

  add(method: string, path: string, handler: T): void {
    this.#trie.add(method, path, handler);
    if (isStaticPath(path)) this.#staticPaths.add(path);
    // A new route can change any kept answer (a middleware on "*" joins every path's list).
    this.#answers.clear();
  }

  match(method: string, path: string): Result<T> {
    if (!MEMO_METHODS.has(method) || !this.#staticPaths.has(path)) return this.#trie.match(method, path);
    const key = `${method} ${path}`;
    let answer = this.#answers.get(key);
    if (answer === undefined) {
      // Shared by every later request to this method and path: Hono only reads a match (HonoRequest
      // decodes parameters into an object of its own), and one path always has the same parameters.
      answer = this.#trie.match(method, path);
      this.#answers.set(key, answer);
    }
    return answer;
  }
}
