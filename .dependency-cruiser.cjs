// The layer rules of ARCHITECTURE.md ("Layers (second round)"), checked by `npm run lint:deps` in `npm test`:
//   lib ← db ← platform (beside it: middleware, config.ts, env.ts, errors.ts) ← features ← app.ts, cron/, index.ts
// A forbidden edge fails with the rule's name; fix the import, never the rule.

// dependency-cruiser reads TypeScript either with the compiler API of typescript < 7 or with swc.
// This project compiles with TypeScript 7, which has no such API, so swc is required: without it
// the cruise finds no module and "passes" having checked nothing. Fail loudly instead.
try {
  require.resolve("@swc/core");
} catch {
  throw new Error(
    "lint:deps needs the devDependency @swc/core (dependency-cruiser cannot read sources with TypeScript 7): npm i -D -E @swc/core",
  );
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "No import cycles, type-only ones included (swc keeps type-only imports as edges).",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "lib-imports-only-lib",
      comment: "lib/ is pure code: no other layer, no Hono, no drizzle.",
      severity: "error",
      from: { path: "^src/lib/" },
      to: { path: ["^src/(?!lib/)", "^node_modules/(hono|@hono|drizzle-orm)/"] },
    },
    {
      name: "db-imports-only-lib-and-db",
      comment: "db/ is the drizzle client, the schema and the db errors; it knows no rules and no HTTP.",
      severity: "error",
      from: { path: "^src/db/" },
      to: { path: "^src/(?!lib/|db/)" },
    },
    {
      name: "platform-and-middleware-import-no-feature",
      comment: "What every feature shares must not depend on one feature, nor on the composition root.",
      severity: "error",
      from: { path: "^src/(platform|middleware)/" },
      to: { path: "^src/(features/|app\\.ts$|cron/|index\\.ts$)" },
    },
    {
      name: "shared-code-imports-no-feature",
      comment:
        "config.ts (and its readers in config/), env.ts, errors.ts, email/ and rate-limit/ sit below features too.",
      severity: "error",
      from: { path: "^src/(config\\.ts|config/|env\\.ts|errors\\.ts|email/|rate-limit/)" },
      to: { path: "^src/(features/|app\\.ts$|cron/|index\\.ts$)" },
    },
    {
      name: "features-import-no-composition",
      comment: "app.ts, cron/ and index.ts compose features; a feature never imports them.",
      severity: "error",
      from: { path: "^src/features/" },
      to: { path: "^src/(app\\.ts$|cron/|index\\.ts$)" },
    },
    {
      name: "no-other-feature-repo",
      comment: "A feature uses another feature only through its service, never its repository.",
      severity: "error",
      from: { path: "^src/features/([^/]+)/" },
      to: { path: "^src/features/[^/]+/.*repo[^/]*\\.ts$", pathNot: "^src/features/$1/" },
    },
    {
      name: "thin-routes",
      comment: "A routes file parses, authorizes, calls one service function and responds: no repo, no drizzle.",
      severity: "error",
      from: { path: "(^|/)[^/]*routes\\.ts$" },
      to: { path: ["(^|/)[^/]*repo[^/]*\\.ts$", "^node_modules/drizzle-orm/"] },
    },
    {
      name: "no-orphans",
      comment: "A module nothing imports is dead code (type declarations and the worker entry excepted).",
      severity: "error",
      from: { orphan: true, pathNot: ["\\.d\\.ts$", "^src/index\\.ts$"] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports are edges too: swc keeps them (an `import type` cycle still fails no-circular,
    // checked by hand). `true` would ask for the TypeScript compiler API, which TypeScript 7 lacks, and
    // only print a warning.
    tsPreCompilationDeps: false,
    // TypeScript 7 has no compiler API for dependency-cruiser to read sources with; swc parses them.
    parser: "swc",
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
