#!/usr/bin/env node
// Refuses a Node older than package.json's `engines.node`, with a message that says what to do.
// One source for the minimum: .ci/run, `npm run dev` and `npm run admin:create` all ask this file.
//
// Why 22.18: scripts/admin-create.ts runs as TypeScript under plain `node`, and 22.18.0 is the
// first Node 22 that strips types by default and without an ExperimentalWarning (22.12 fails
// with ERR_UNKNOWN_FILE_EXTENSION; 22.6-22.17 need --experimental-strip-types and print the
// warning). https://nodejs.org/en/blog/release/v22.18.0
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The minimum of package.json's `engines.node` (">=X.Y[.Z]"), as [major, minor, patch]. */
export function readMinimumNode() {
  const { engines } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const match = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(engines?.node ?? "");
  if (!match) throw new Error(`package.json engines.node must read ">=X.Y.Z", not ${JSON.stringify(engines?.node)}`);
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

/**
 * True when `version` ("22.18.0") is at least `minimum`.
 * @param {string} version
 * @param {number[]} minimum
 */
export function isAtLeast(version, minimum) {
  const have = version.split(".").map(Number);
  for (let index = 0; index < minimum.length; index++) {
    const part = have[index] ?? 0;
    const wanted = minimum[index] ?? 0;
    if (part !== wanted) return part > wanted;
  }
  return true;
}

/** Exits with a readable message when this Node is older than the minimum. */
export function assertNodeVersion() {
  const minimum = readMinimumNode();
  if (isAtLeast(process.versions.node, minimum)) return;
  console.error(
    `Rampart needs Node >= ${minimum.join(".")} (package.json "engines"); this is ${process.versions.node}.\n` +
      "Install a current Node 22 LTS or newer (e.g. `nvm install 22`), then run the command again.",
  );
  process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) assertNodeVersion();
