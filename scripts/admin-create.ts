#!/usr/bin/env node
// `npm run admin:create`: creates a sys_admin, with an organization of its own, directly in D1
// through wrangler. It is how the first administrator gets in, and in B2B mode (signup routes are
// 404) the only way. Run by plain `node`, which strips the types itself from Node 22.18 on (the
// minimum in package.json, checked first by scripts/check-node-version.mjs), from a checkout with
// dev dependencies.
//
//   RAMPART_ADMIN_PASSWORD=... npm run admin:create -- --email ops@example.com [--env production]
//
// Options: --email (required); the password from RAMPART_ADMIN_PASSWORD (recommended),
// --password-stdin, or --password (warned: it lands in shell history and `ps`); --first-name,
// --last-name, --organization-name (default "<email>'s organization"); the target database:
// --local (default: the `npm run dev` database in .wrangler/state), --remote (the default config's
// D1), --env NAME (a wrangler environment; remote unless --local is given too); --persist-to DIR
// (advanced, local only: another local state directory, as `wrangler --persist-to`; the tests use it).
//
// Exit codes: 0 created; 1 not created (the email exists, migrations missing, wrangler failed);
// 2 invalid input (usage, email, weak password). Neither the password nor its hash is ever printed.
import { spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { argon2id } from "hash-wasm";
import { z } from "zod";
import { EMAIL_MAX_LENGTH, normalizeEmail } from "../src/lib/email-address.ts";
import { PASSWORD_POLICY_MESSAGES, checkPasswordPolicy } from "../src/lib/password-policy.ts";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const wrangler = path.join(root, "node_modules", ".bin", "wrangler");
const PASSWORD_ENV = "RAMPART_ADMIN_PASSWORD";
const NAME_MAX_LENGTH = 100; // NameSchema and organization_name in src/features

// DEFAULT_ARGON2_PARAMS in src/lib/password.ts (which imports a .wasm module, so Node cannot load
// it); test/node/admin-create.test.ts fails if the two drift apart.
const ARGON2 = { memoryKiB: 19456, iterations: 2, parallelism: 1, saltBytes: 16, hashBytes: 32 };

const USAGE = `Usage: npm run admin:create -- --email EMAIL [options]

Creates a sys_admin with its own organization, directly in D1 through wrangler.

Password (one of):
  ${PASSWORD_ENV}=...   environment variable (recommended)
  --password-stdin                read it from stdin, e.g. piped from a password manager
  --password PASSWORD             works, but lands in shell history and the process list

Options:
  --first-name NAME, --last-name NAME
  --organization-name NAME        default: "<email>'s organization"
  --local                         the local dev database in .wrangler/state (default)
  --remote                        the remote D1 of the default wrangler config
  --env NAME                      a wrangler environment (staging, production); remote unless --local
  --persist-to DIR                advanced, local only: another local state directory
  -h, --help`;

/** A refusal or failure the user can act on: its message is printed, with no stack. */
class Refusal extends Error {
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2) {
    super(message);
    this.exitCode = exitCode;
  }
}

interface Target {
  /** wrangler flags that select the database, e.g. ["--remote", "--env", "production"]. */
  flags: string[];
  remote: boolean;
}

interface Input {
  email: string;
  password: string;
  firstName: string | null;
  lastName: string | null;
  organizationName: string;
  target: Target;
}

try {
  const input = await readInput(process.argv.slice(2));
  const created = createAdmin(input, await hashPassword(input.password));
  console.log(`Created sys_admin ${input.email} (${input.target.remote ? "remote" : "local"} database).`);
  console.log(`  user id:         ${created.userId}`);
  console.log(`  organization id: ${created.organizationId}`);
} catch (error) {
  if (error instanceof Refusal) {
    console.error(`admin:create: ${error.message}`);
    process.exit(error.exitCode);
  }
  throw error;
}

async function readInput(argv: string[]): Promise<Input> {
  const values = parseFlags(argv);
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.email === undefined) throw new Refusal(`--email is required.\n\n${USAGE}`, 2);

  const email = normalizeEmail(values.email);
  if (email.length > EMAIL_MAX_LENGTH) throw new Refusal(`The email is longer than ${EMAIL_MAX_LENGTH} characters.`, 2);
  // The same check as EmailSchema in src/features/auth/schemas.ts, so the admin can log in.
  if (!z.email().safeParse(email).success) throw new Refusal(`"${email}" is not a valid email address.`, 2);

  const target = readTarget(values);
  const password = await readPassword(values);
  const violation = checkPasswordPolicy(password);
  if (violation) throw new Refusal(`The password is refused: ${PASSWORD_POLICY_MESSAGES[violation]}`, 2);

  const firstName = readName("--first-name", values["first-name"]);
  const lastName = readName("--last-name", values["last-name"]);
  const organizationName = readName("--organization-name", values["organization-name"]) ?? `${email}'s organization`;
  return { email, password, firstName, lastName, organizationName, target };
}

function readTarget(values: { local?: boolean; remote?: boolean; env?: string; "persist-to"?: string }): Target {
  if (values.local && values.remote) throw new Refusal("Use --local or --remote, not both.", 2);
  const remote = values.remote === true || (values.env !== undefined && values.local !== true);
  const flags = [remote ? "--remote" : "--local"];
  if (values.env !== undefined) {
    if (!/^[A-Za-z0-9_-]+$/.test(values.env)) throw new Refusal(`--env "${values.env}" is not an environment name.`, 2);
    flags.push("--env", values.env);
  }
  if (values["persist-to"] !== undefined) {
    if (remote) throw new Refusal("--persist-to applies to a local database only.", 2);
    flags.push("--persist-to", path.resolve(values["persist-to"]));
  }
  return { flags, remote };
}

async function readPassword(values: { password?: string; "password-stdin"?: boolean }): Promise<string> {
  const fromEnv = process.env[PASSWORD_ENV];
  const sources = [values.password !== undefined, values["password-stdin"] === true, fromEnv !== undefined];
  const count = sources.filter(Boolean).length;
  if (count === 0) {
    throw new Refusal(
      `Give the password in ${PASSWORD_ENV} (recommended), with --password-stdin, or with --password.`,
      2,
    );
  }
  if (count > 1)
    throw new Refusal(`Give the password one way only: ${PASSWORD_ENV}, --password-stdin or --password.`, 2);
  if (values.password !== undefined) {
    console.error(
      `admin:create: warning: --password leaves the password in your shell history and the process list; ` +
        `prefer ${PASSWORD_ENV} or --password-stdin.`,
    );
    return values.password;
  }
  if (fromEnv !== undefined) return fromEnv;
  if (process.stdin.isTTY) {
    throw new Refusal(
      `--password-stdin reads a pipe; to type it, use: read -rs ${PASSWORD_ENV} && export ${PASSWORD_ENV}`,
      2,
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing line break is the pipe's, not the password's (as `docker login --password-stdin`).
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/** Trimmed, 1 to 100 characters as the API's NameSchema, no control characters; null when absent. */
function readName(option: string, raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const name = raw.trim();
  if (name.length === 0 || name.length > NAME_MAX_LENGTH) {
    throw new Refusal(`${option} must be 1 to ${NAME_MAX_LENGTH} characters.`, 2);
  }
  if (/\p{Cc}/u.test(name)) throw new Refusal(`${option} must not contain control characters.`, 2);
  return name;
}

/** Argon2id PHC string with the API's default cost; the password goes in as its UTF-8 bytes. */
async function hashPassword(password: string): Promise<string> {
  return argon2id({
    password: new TextEncoder().encode(password),
    salt: randomBytes(ARGON2.saltBytes),
    iterations: ARGON2.iterations,
    memorySize: ARGON2.memoryKiB,
    parallelism: ARGON2.parallelism,
    hashLength: ARGON2.hashBytes,
    outputType: "encoded",
  });
}

function createAdmin(input: Input, passwordHash: string): { userId: string; organizationId: string } {
  const existing = d1(input.target, ["--command", `SELECT id FROM "user" WHERE email = ${sqlText(input.email)}`]);
  if (existing[0]?.results.length) throw new Refusal(`A user with the email ${input.email} already exists.`, 1);

  const now = Date.now();
  const organizationId = randomUUID();
  const userId = randomUUID();
  // One file, so one wrangler call: locally its statements run as one D1 batch (a single SQLite
  // transaction); remotely D1's import runs the file and restores the database to its previous
  // state when any statement fails. A `BEGIN` in the file is refused by D1 either way.
  const sql = [
    `INSERT INTO organization (id, name, created_at) VALUES (${sqlText(organizationId)}, ${sqlText(input.organizationName)}, ${sqlInteger(now)});`,
    // sys_admin is a platform attribute of the user; in its own organization it is the org_admin.
    `INSERT INTO "user" (id, email, password_hash, first_name, last_name, is_sys_admin, email_verified_at, created_at, updated_at) ` +
      `VALUES (${sqlText(userId)}, ${sqlText(input.email)}, ${sqlText(passwordHash)}, ` +
      `${sqlText(input.firstName)}, ${sqlText(input.lastName)}, 1, ${sqlInteger(now)}, ${sqlInteger(now)}, ${sqlInteger(now)});`,
    `INSERT INTO membership (user_id, organization_id, role, created_at, last_active_at) ` +
      `VALUES (${sqlText(userId)}, ${sqlText(organizationId)}, 'org_admin', ${sqlInteger(now)}, ${sqlInteger(now)});`,
    `INSERT INTO audit_log (organization_id, actor_user_id, target, action, ip, details, created_at) ` +
      `VALUES (${sqlText(organizationId)}, NULL, ${sqlText(userId)}, 'admin_created', NULL, ${sqlText(JSON.stringify({ via: "cli" }))}, ${sqlInteger(now)});`,
    "",
  ].join("\n");

  const directory = mkdtempSync(path.join(tmpdir(), "rampart-admin-"));
  const file = path.join(directory, "admin-create.sql");
  try {
    writeFileSync(file, sql, { mode: 0o600 }); // it holds the password hash: private, deleted below
    d1(input.target, ["--file", file], (message) =>
      /UNIQUE constraint failed: user\.email/.test(message)
        ? new Refusal(
            `A user with the email ${input.email} already exists (created meanwhile); nothing was inserted.`,
            1,
          )
        : undefined,
    );
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  return { userId, organizationId };
}

interface D1Result {
  results: Array<Record<string, unknown>>;
  success: boolean;
}

/** Runs `wrangler d1 execute DB --json` on the target; a failure becomes a Refusal with wrangler's words. */
function d1(target: Target, sqlArgs: string[], explain?: (message: string) => Refusal | undefined): D1Result[] {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CI: "true", // no prompts
    // The wrangler shim runs `env node`: make that the Node running this script (wrangler needs >= 22).
    PATH: [path.dirname(process.execPath), process.env.PATH].filter(Boolean).join(path.delimiter),
  };
  delete env[PASSWORD_ENV]; // wrangler has no business with it
  const run = spawnSync(wrangler, ["d1", "execute", "DB", "--json", ...target.flags, ...sqlArgs], {
    cwd: root,
    env,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.error) throw new Refusal(`could not run wrangler (${run.error.message}); run npm ci first.`, 1);

  let output: unknown;
  try {
    output = JSON.parse(run.stdout);
  } catch {
    output = undefined;
  }
  if (run.status === 0 && Array.isArray(output)) return output as D1Result[];

  // With --json, wrangler prints its error as {"error": {"text": ...}} on stdout.
  const reported = (output as { error?: { text?: unknown; notes?: Array<{ text?: unknown }> } } | undefined)?.error;
  const message = [reported?.text, ...(reported?.notes ?? []).map((note) => note.text)]
    .filter((part): part is string => typeof part === "string" && part.length > 0)
    .join("\n");
  if (/no such table/i.test(message)) {
    const apply = ["wrangler", "d1", "migrations", "apply", "DB", ...target.flags].join(" ");
    throw new Refusal(
      `the database has no Rampart tables yet (${message}). ` +
        (target.remote
          ? `Apply the migrations first: \`npx ${apply}\`.`
          : `Run \`npm run dev\` once or \`npx ${apply}\`.`),
      1,
    );
  }
  const explained = explain?.(message);
  if (explained) throw explained;
  const details = [message || run.stdout.trim(), run.stderr.trim()].filter(Boolean).join("\n");
  throw new Refusal(
    `wrangler d1 execute failed (exit ${run.status ?? run.signal}); nothing was created.\n${details}`,
    1,
  );
}

/** A SQL string literal: quotes doubled; NUL refused (SQLite would cut the text there). */
function sqlText(value: string | null): string {
  if (value === null) return "NULL";
  if (value.includes("\0")) throw new Refusal("Values must not contain NUL characters.", 2);
  // wrangler rewrites any "BEGIN TRANSACTION;" / "COMMIT;" in a SQL file, inside string literals too.
  if (value.includes("BEGIN TRANSACTION")) throw new Refusal('Values must not contain "BEGIN TRANSACTION".', 2);
  return `'${value.replaceAll("'", "''")}'`;
}

function sqlInteger(value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not an integer: ${value}`);
  return String(value);
}

/** The command line's flags; an unknown or malformed flag is a usage error (exit 2). */
function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        email: { type: "string" },
        password: { type: "string" },
        "password-stdin": { type: "boolean" },
        "first-name": { type: "string" },
        "last-name": { type: "string" },
        "organization-name": { type: "string" },
        local: { type: "boolean" },
        remote: { type: "boolean" },
        env: { type: "string" },
        "persist-to": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    throw new Refusal(`${(error as Error).message}\n\n${USAGE}`, 2);
  }
}
