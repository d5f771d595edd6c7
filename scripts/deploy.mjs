#!/usr/bin/env node
// `npm run deploy -- --env staging|production [wrangler deploy flags]`: deploys one named
// environment of wrangler.toml, never the top level (SEC-64). The top level carries the dev
// defaults (ENVIRONMENT=dev, EMAIL_PROVIDER=stub: an outbox that shows every reset link), so a bare
// `wrangler deploy` is exactly the command that must not run. wrangler itself does not refuse an
// unknown --env: it warns and deploys the top-level config under a derived name, so the
// environment is checked here against wrangler.toml first.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readOption } from "./dev-args.mjs";

const USAGE = "Usage: npm run deploy -- --env <staging|production> [wrangler deploy flags, e.g. --dry-run]";

/**
 * @typedef {{ name?: string; vars?: Record<string, unknown>; env?: Record<string, { name?: string; vars?: Record<string, unknown> }> }} RawWranglerConfig
 */

/**
 * The `wrangler` arguments for a deploy, or an Error saying why there is none.
 * @param {readonly string[]} argv the arguments after `--`
 * @param {RawWranglerConfig} config wrangler.toml as read by wrangler (experimental_readRawConfig)
 * @returns {{ environment: string; workerName: string; args: string[] }}
 */
export function planDeploy(argv, config) {
  const environment = readOption(argv, "--env") ?? readOption(argv, "-e");
  if (environment === undefined || environment === "") {
    throw new Error(`--env is required: a bare \`wrangler deploy\` would publish the dev worker.\n${USAGE}`);
  }
  const section = config.env?.[environment];
  const known = Object.keys(config.env ?? {});
  if (section === undefined) {
    throw new Error(`wrangler.toml has no [env.${environment}] (it has: ${known.join(", ") || "none"}).\n${USAGE}`);
  }
  if (section.vars?.ENVIRONMENT === "dev" || section.vars?.ENVIRONMENT === undefined) {
    throw new Error(`[env.${environment}] must set ENVIRONMENT to staging or prod, not the dev default.`);
  }
  const workerName = section.name ?? `${config.name}-${environment}`;
  if (workerName === config.name) {
    throw new Error(`[env.${environment}] must not share the dev worker's name "${config.name}".`);
  }
  return { environment, workerName, args: ["deploy", ...argv] };
}

async function main() {
  const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  const { experimental_readRawConfig } = await import("wrangler");
  const { rawConfig } = experimental_readRawConfig({ config: path.join(root, "wrangler.toml") });
  let plan;
  try {
    plan = planDeploy(process.argv.slice(2), /** @type {RawWranglerConfig} */ (rawConfig));
  } catch (error) {
    console.error(`npm run deploy: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
  console.log(`Deploying [env.${plan.environment}] as the worker "${plan.workerName}".`);
  const child = spawn(path.join(root, "node_modules", ".bin", "wrangler"), plan.args, { cwd: root, stdio: "inherit" });
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
