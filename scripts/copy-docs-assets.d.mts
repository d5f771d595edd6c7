// Types for vitest.config.ts, which the worker's tsconfig also checks (through bench/scale's
// vitest config) without allowJs.
/** Copies Swagger UI's files into public/docs/assets/ where they differ; the names copied. */
export declare function copyDocsAssets(): Promise<string[]>;
