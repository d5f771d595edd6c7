// A D1 binding that records the SQL of every statement the worker prepares, for tests that prove
// two paths do the same database work (SEC-57) without timing anything. Bound values are not
// recorded: the paths differ in them (an email, a token hash) and the point is the statements.
import { env } from "cloudflare:test";

export interface RecordingD1 {
  binding: D1Database;
  statements: string[];
}

/**
 * A fresh recorder around the test D1. Use a new one per path compared: the worker keeps one
 * drizzle instance per binding object and prepares some queries once per instance.
 */
export function recordD1(): RecordingD1 {
  const statements: string[] = [];
  const binding = new Proxy(env.DB, {
    get(target, property) {
      if (property === "prepare") {
        return (query: string) => {
          statements.push(query);
          return target.prepare(query);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { binding, statements };
}
