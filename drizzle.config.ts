// drizzle-kit reads the schema to generate SQL migrations into migrations/ (wrangler applies them).
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema/index.ts",
  out: "./migrations",
});
