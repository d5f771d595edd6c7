// A D1 binding that counts round trips to the primary: each terminal call (all, raw, first, run)
// or batch() that starts while no other call is in flight is one trip; calls started while one is
// in flight (Promise.all) travel together and count once. A Worker far from the primary pays
// one network round trip per count (docs/scaling.md, "Round trips to the primary").

export interface RoundTripCounter {
  binding: D1Database;
  /** One entry per round trip: the statements it carried, as the first 80 characters of each. */
  trips: string[][];
  reset(): void;
}

const TERMINALS = new Set(["all", "raw", "first", "run"]);

/** The real statement under a counting wrapper, for batch(). */
const INNER = Symbol("inner");

export function countRoundTrips(target: D1Database): RoundTripCounter {
  const trips: string[][] = [];
  let inFlight = 0;

  async function track<T>(statements: string[], call: () => Promise<T>): Promise<T> {
    const summaries = statements.map((sql) => sql.replace(/\s+/g, " ").trim().slice(0, 80));
    if (inFlight === 0) trips.push(summaries);
    else trips.at(-1)?.push(...summaries);
    inFlight++;
    try {
      return await call();
    } finally {
      inFlight--;
    }
  }

  const sqlOf = new WeakMap<object, string>();

  function wrapStatement(statement: D1PreparedStatement, sql: string): D1PreparedStatement {
    const wrapped = new Proxy(statement, {
      get(inner, property) {
        if (property === INNER) return inner;
        if (property === "bind") return (...values: unknown[]) => wrapStatement(inner.bind(...values), sql);
        const value: unknown = Reflect.get(inner, property, inner);
        if (typeof value !== "function") return value;
        if (typeof property === "string" && TERMINALS.has(property)) {
          return (...args: unknown[]) =>
            track([sql], () => (value as (...a: unknown[]) => Promise<unknown>).apply(inner, args));
        }
        return value.bind(inner);
      },
    });
    sqlOf.set(wrapped, sql);
    return wrapped;
  }

  const binding = new Proxy(target, {
    get(inner, property) {
      if (property === "prepare") return (sql: string) => wrapStatement(inner.prepare(sql), sql);
      if (property === "batch") {
        return (statements: D1PreparedStatement[]) =>
          track(
            statements.map((s) => `batch: ${sqlOf.get(s) ?? "?"}`),
            () =>
              inner.batch(
                statements.map((s) => (s as D1PreparedStatement & { [INNER]?: D1PreparedStatement })[INNER] ?? s),
              ),
          );
      }
      const value: unknown = Reflect.get(inner, property, inner);
      return typeof value === "function" ? value.bind(inner) : value;
    },
  });
  return { binding, trips, reset: () => void trips.splice(0) };
}
