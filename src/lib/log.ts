// Structured one-line JSON logs, which Workers Logs indexes. Never pass secrets or tokens here.
export type LogLevel = "info" | "warn" | "error";

export function logEvent(level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, event, time: new Date().toISOString(), ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  // console.info, not console.log: Workers Logs and `wrangler dev --log-level info` (npm run dev)
  // both file it as info, where console.log lines are hidden by that level.
  else console.info(line);
}
