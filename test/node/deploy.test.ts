// SEC-64: one command cannot put the dev worker (stub outbox with every reset link) in production.
// The worker-side half (dev answers loopback hosts only) is test/http/loopback-only.test.ts.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { experimental_readRawConfig } from "wrangler";
import { planDeploy } from "../../scripts/deploy.mjs";

const root = path.resolve(import.meta.dirname, "..", "..");
const { rawConfig } = experimental_readRawConfig({ config: path.join(root, "wrangler.toml") });
const config = rawConfig as {
  name?: string;
  vars?: Record<string, unknown>;
  env?: Record<string, { name?: string; vars?: Record<string, unknown> }>;
};

describe("SEC-64 safe deploy", () => {
  it("SEC-64: the top-level worker carries the dev defaults under a name no deployed environment uses", () => {
    expect(config.vars).toMatchObject({ ENVIRONMENT: "dev", EMAIL_PROVIDER: "stub" });
    expect(config.name).toBe("rampart-dev");
    expect(config.env?.production).toMatchObject({ name: "rampart", vars: { ENVIRONMENT: "prod" } });
    for (const [environment, section] of Object.entries(config.env ?? {})) {
      expect(section.name, environment).toBeDefined();
      expect(section.name, environment).not.toBe(config.name);
      expect(section.vars?.ENVIRONMENT, environment).not.toBe("dev");
    }
  });

  it("SEC-64: npm run deploy is not a bare `wrangler deploy` and refuses to run without --env", () => {
    const scripts = (JSON.parse(spawnSync("npm", ["pkg", "get", "scripts"], { cwd: root, encoding: "utf8" }).stdout) ??
      {}) as Record<string, string>;
    expect(scripts.deploy).toBe("node scripts/deploy.mjs");
    for (const [name, command] of Object.entries(scripts)) {
      expect(command, name).not.toMatch(/wrangler deploy(?!.*--env)/);
    }

    const run = spawnSync(process.execPath, [path.join(root, "scripts", "deploy.mjs"), "--dry-run"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--env is required");
    expect(run.stdout).not.toContain("Deploying");
  });

  it("SEC-64: deploys only a named environment of wrangler.toml that is not dev, passing wrangler's flags through", () => {
    expect(planDeploy(["--env", "production", "--dry-run"], config)).toEqual({
      environment: "production",
      workerName: "rampart",
      args: ["deploy", "--env", "production", "--dry-run"],
    });
    expect(planDeploy(["--env=staging"], config)).toMatchObject({
      environment: "staging",
      workerName: "rampart-staging",
    });
    expect(planDeploy(["-e", "staging"], config).workerName).toBe("rampart-staging");

    expect(() => planDeploy([], config)).toThrow(/--env is required/);
    expect(() => planDeploy(["--env="], config)).toThrow(/--env is required/);
    expect(() => planDeploy(["--env", "prod"], config)).toThrow(/no \[env\.prod\]/); // wrangler would deploy the top level
    const devLike = {
      ...config,
      env: { ...config.env, preview: { name: "rampart-preview", vars: { ENVIRONMENT: "dev" } } },
    };
    expect(() => planDeploy(["--env", "preview"], devLike)).toThrow(/ENVIRONMENT/);
    const sameName = { ...config, env: { qa: { name: "rampart-dev", vars: { ENVIRONMENT: "staging" } } } };
    expect(() => planDeploy(["--env", "qa"], sameName)).toThrow(/must not share/);
  });
});
