// `npm run admin:create` for real: the script runs under plain Node and drives wrangler against a
// throwaway local D1 (--persist-to), migrated once for the whole file.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { argon2Verify } from "hash-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..", "..");
const script = path.join(root, "scripts", "admin-create.ts");
const wrangler = path.join(root, "node_modules", ".bin", "wrangler");

let persistDir = "";

/** The environment for child processes: this Node first on PATH, no password unless given. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CI: "true",
    PATH: [path.dirname(process.execPath), process.env.PATH].filter(Boolean).join(path.delimiter),
    ...extra,
  };
  if (!("RAMPART_ADMIN_PASSWORD" in extra)) delete env.RAMPART_ADMIN_PASSWORD;
  return env;
}

function runWrangler(args: string[]): string {
  const run = spawnSync(wrangler, args, { cwd: root, env: childEnv(), encoding: "utf8" });
  if (run.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

function adminCreate(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}) {
  const run = spawnSync(process.execPath, [script, "--persist-to", persistDir, ...args], {
    cwd: root,
    env: childEnv(options.env),
    input: options.stdin ?? "",
    encoding: "utf8",
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Rows of each statement in `sql`, read through wrangler from the throwaway database. */
function query(sql: string): Array<Array<Record<string, unknown>>> {
  const output = runWrangler([
    "d1",
    "execute",
    "DB",
    "--local",
    "--persist-to",
    persistDir,
    "--json",
    "--command",
    sql,
  ]);
  return (JSON.parse(output) as Array<{ results: Array<Record<string, unknown>> }>).map((result) => result.results);
}

const COUNTS_SQL =
  `SELECT (SELECT count(*) FROM organization) AS organizations, (SELECT count(*) FROM "user") AS users, ` +
  `(SELECT count(*) FROM audit_log) AS audits`;

function counts(): Record<string, unknown> | undefined {
  return query(COUNTS_SQL)[0]?.[0];
}

function idsFrom(stdout: string): { userId: string; organizationId: string } {
  const userId = /user id:\s+([0-9a-f-]{36})/.exec(stdout)?.[1];
  const organizationId = /organization id:\s+([0-9a-f-]{36})/.exec(stdout)?.[1];
  if (!userId || !organizationId) throw new Error(`no ids in:\n${stdout}`);
  return { userId, organizationId };
}

/** The admin's row with its organization, its audit rows, and the table counts, in one wrangler call. */
function inspect(userId: string) {
  const [users, audit, totals] = query(
    `SELECT u.email, CASE WHEN u.is_sys_admin THEN 'sys_admin' ELSE mine.role END AS role, u.password_hash, ` +
      `u.first_name, u.last_name, u.email_verified_at, mine.organization_id, ` +
      `o.name AS organization_name, (SELECT count(*) FROM membership m WHERE m.organization_id = o.id) AS members ` +
      `FROM "user" u JOIN membership mine ON mine.user_id = u.id JOIN organization o ON o.id = mine.organization_id ` +
      `WHERE u.id = '${userId}'; ` +
      `SELECT * FROM audit_log WHERE target = '${userId}'; ${COUNTS_SQL}`,
  );
  return { row: users?.[0] as Record<string, unknown>, audit, counts: totals?.[0] };
}

/** DEFAULT_ARGON2_PARAMS as written in src/lib/password.ts, which Node cannot import (.wasm). */
function defaultArgon2Params(): string {
  const source = readFileSync(path.join(root, "src", "lib", "password.ts"), "utf8");
  const match =
    /DEFAULT_ARGON2_PARAMS[^=]*=\s*\{\s*memoryKiB:\s*(\d+),\s*iterations:\s*(\d+),\s*parallelism:\s*(\d+)\s*\}/.exec(
      source,
    );
  if (!match) throw new Error("DEFAULT_ARGON2_PARAMS not found in src/lib/password.ts");
  return `m=${match[1]},t=${match[2]},p=${match[3]}`;
}

beforeAll(() => {
  persistDir = mkdtempSync(path.join(tmpdir(), "rampart-admin-create-test-"));
  runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir]);
});

afterAll(() => {
  if (persistDir) rmSync(persistDir, { recursive: true, force: true });
});

describe("npm run admin:create", () => {
  const password = "pässwörd 🔑 for the first admin"; // non-ASCII: the hash must be over UTF-8 bytes
  const hostileName = `O'Brien'); DROP TABLE "user"; -- /* Ops */`;

  it("creates a verified sys_admin in an organization of its own, with a hash the API verifies", async () => {
    const before = counts();
    const run = adminCreate(
      [
        "--email",
        "  Ada.Admin+Ops@Example.COM ",
        "--password-stdin",
        "--first-name",
        "Ada",
        "--last-name",
        "Lovelace",
        "--organization-name",
        hostileName,
      ],
      { stdin: `${password}\n` },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const { userId, organizationId } = idsFrom(run.stdout);

    const { row, audit, counts: after } = inspect(userId);
    expect(row).toMatchObject({
      email: "ada.admin+ops@example.com",
      role: "sys_admin",
      first_name: "Ada",
      last_name: "Lovelace",
      organization_id: organizationId,
      organization_name: hostileName,
      members: 1,
    });
    expect(row.email_verified_at).toEqual(expect.any(Number));
    expect(Math.abs(Date.now() - (row.email_verified_at as number))).toBeLessThan(120_000);

    const hash = row.password_hash as string;
    expect(hash).toMatch(
      new RegExp(`^\\$argon2id\\$v=19\\$${defaultArgon2Params()}\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}$`),
    );
    expect(await argon2Verify({ hash, password })).toBe(true);
    expect(await argon2Verify({ hash, password: `${password}\n` })).toBe(false);
    for (const secret of [password, hash]) expect(run.stdout + run.stderr).not.toContain(secret);

    expect(audit).toEqual([
      expect.objectContaining({
        action: "admin_created",
        organization_id: organizationId,
        actor_user_id: null,
        details: '{"via":"cli"}',
      }),
    ]);
    expect(after).toEqual({
      organizations: (before?.organizations as number) + 1,
      users: (before?.users as number) + 1,
      audits: (before?.audits as number) + 1,
    });
  });

  it("refuses an email that exists, whatever its case and spacing, and inserts nothing", () => {
    const before = counts();
    const run = adminCreate(["--email", " ADA.ADMIN+OPS@example.com"], {
      env: { RAMPART_ADMIN_PASSWORD: "another good passphrase" },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("already exists");
    expect(run.stdout).toBe("");
    expect(counts()).toEqual(before);
  });

  it("refuses common and short passwords with exit 2 and inserts nothing", () => {
    const before = counts();
    const common = adminCreate(["--email", "weak@example.com", "--password", "password123"]);
    expect(common.code).toBe(2);
    expect(common.stderr).toContain("--password leaves the password in your shell history");
    expect(common.stderr).toContain("too common");

    const short = adminCreate(["--email", "weak@example.com"], { env: { RAMPART_ADMIN_PASSWORD: "seven77" } });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("at least 8 characters");

    const badEmail = adminCreate(["--email", "not an email"], { env: { RAMPART_ADMIN_PASSWORD: "a fine passphrase" } });
    expect(badEmail.code).toBe(2);
    expect(counts()).toEqual(before);
  });

  it("takes the password from RAMPART_ADMIN_PASSWORD and names the organization after the email", async () => {
    const envPassword = "correct horse battery staple";
    const run = adminCreate(["--email", "grace@example.com"], { env: { RAMPART_ADMIN_PASSWORD: envPassword } });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const { row } = inspect(idsFrom(run.stdout).userId);
    expect(row).toMatchObject({
      email: "grace@example.com",
      role: "sys_admin",
      first_name: null,
      organization_name: "grace@example.com's organization",
      members: 1,
    });
    expect(await argon2Verify({ hash: row.password_hash as string, password: envPassword })).toBe(true);
  });
});
