// Service health: whether the worker reaches its database.
import { pingDatabase } from "../../db/client";
import { summarizeError } from "../../db/error-summary";
import { logEvent } from "../../lib/log";
import type { ServiceContext } from "../../platform/service-context";

/** Never throws: an unreachable database is a degraded answer, logged for operators. */
export async function checkDatabaseHealth(ctx: ServiceContext): Promise<"ok" | "unavailable"> {
  try {
    await pingDatabase(ctx.db);
    return "ok";
  } catch (error) {
    logEvent("error", "health_db_unavailable", summarizeError(error));
    return "unavailable";
  }
}
