// Cron Trigger entry: dispatches on controller.cron to the maintenance job.
import type { Env } from "../env";
import { runMaintenance } from "./maintenance";

export async function handleScheduled(
  controller: ScheduledController,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  await runMaintenance(env, `cron:${controller.cron}`);
}
