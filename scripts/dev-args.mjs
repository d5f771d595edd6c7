// The argument logic of `npm run dev` (scripts/dev.mjs), kept pure so that test/node/dev-args.test.ts
// can prove it without starting wrangler.

export const DEFAULT_DEV_PORT = "8787";

/**
 * The value of a long option given as `--name value` or `--name=value`; the last one wins, as in
 * yargs. `undefined` when absent.
 * @param {readonly string[]} argv
 * @param {string} name e.g. "--port"
 * @returns {string | undefined}
 */
export function readOption(argv, name) {
  let value;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? "";
    if (arg === name)
      value = argv[index + 1] ?? ""; // present without a value: refused by the caller
    else if (arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1);
  }
  return value;
}

/**
 * Every value of a repeatable option (`--var A:1 --var=B:2`).
 * @param {readonly string[]} argv
 * @param {string} name
 * @returns {string[]}
 */
function readAllOptions(argv, name) {
  const values = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? "";
    if (arg === name && argv[index + 1] !== undefined) values.push(argv[index + 1] ?? "");
    else if (arg.startsWith(`${name}=`)) values.push(arg.slice(name.length + 1));
  }
  return values;
}

/**
 * True when a .dev.vars text sets `name` on a line of its own (comments and blank values aside).
 * @param {string | null} devVars
 * @param {string} name
 */
export function devVarsSets(devVars, name) {
  if (devVars === null) return false;
  return devVars.split(/\r?\n/).some((line) => {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    return match?.[1] === name && (match[2] ?? "").replace(/^["']|["']$/g, "").trim() !== "";
  });
}

/**
 * The port must be what wrangler would accept; a typo in PORT should fail here with its name,
 * not as a yargs message about `--port`.
 * @param {string} port
 * @param {string} source
 */
function assertPort(port, source) {
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65_535) {
    throw new RangeError(`${source} must be a port number from 1 to 65535, not ${JSON.stringify(port)}.`);
  }
}

/**
 * What `npm run dev` passes to `wrangler dev`:
 * - the port from `--port` after `--` (then not added again: yargs refuses a second `--port`),
 *   else from PORT, else 8787;
 * - API_BASE_URL (the Google redirect URI base) following that port and protocol, unless
 *   .dev.vars or a `--var API_BASE_URL:...` sets it;
 * - `--log-level info`: the Ready line, request lines, warnings and the worker's own logs, without
 *   wrangler's banner and bindings table (16 lines each start), unless the caller chose a level;
 * - `--test-scheduled`: GET /__scheduled runs the Cron handler locally, which also replaces
 *   wrangler's six-line "Scheduled Workers are not automatically triggered" warning;
 * - then the caller's own arguments, unchanged.
 * `migrateArgs` applies the migrations to the database that wrangler dev will use: the default
 * local state, or the caller's `--persist-to`.
 * @param {{ argv: readonly string[]; env: Readonly<Record<string, string | undefined>>; devVars: string | null }} input
 * @returns {{ port: string; origin: string; apiBaseURL: string | null; args: string[]; migrateArgs: string[] }}
 */
export function planWranglerDev({ argv, env, devVars }) {
  const portArg = readOption(argv, "--port");
  const port = portArg ?? (env.PORT?.trim() || DEFAULT_DEV_PORT);
  assertPort(port, portArg === undefined ? (env.PORT ? "PORT" : "the default port") : "--port");
  const protocol = readOption(argv, "--local-protocol") === "https" ? "https" : "http";
  const origin = `${protocol}://localhost:${port}`;

  const apiBaseURLGiven =
    devVarsSets(devVars, "API_BASE_URL") || readAllOptions(argv, "--var").some((v) => v.startsWith("API_BASE_URL:"));
  const apiBaseURL = apiBaseURLGiven ? null : origin;

  const args = ["dev"];
  if (portArg === undefined) args.push("--port", port);
  if (apiBaseURL !== null) args.push("--var", `API_BASE_URL:${apiBaseURL}`);
  if (readOption(argv, "--log-level") === undefined) args.push("--log-level", "info");
  if (!argv.some((arg) => /^--(no-)?test-scheduled(=|$)/.test(arg))) args.push("--test-scheduled");
  args.push(...argv);

  const persistTo = readOption(argv, "--persist-to");
  const migrateArgs = ["d1", "migrations", "apply", "DB", "--local"];
  if (persistTo !== undefined) migrateArgs.push("--persist-to", persistTo);
  return { port, origin, apiBaseURL, args, migrateArgs };
}
