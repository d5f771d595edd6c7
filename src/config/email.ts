// Email delivery settings: the stub outbox (dev only) or Resend. Needed by every request that
// may send mail, so a problem here is a problem of the whole config (src/config.ts).
import { z } from "zod";
import type { Env } from "../env";
import { type ConfigResult, devDefault, readEnvironment } from "./contract";

type EmailConfig = { provider: "stub"; from: string } | { provider: "resend"; from: string; apiKey: string };

const emailSchema = z.discriminatedUnion("provider", [
  z.object({ provider: z.literal("stub"), from: z.string().min(3) }),
  z.object({ provider: z.literal("resend"), from: z.string().min(3), apiKey: z.string().min(1) }),
]);

const SETTING_NAMES: Record<string, string> = {
  provider: "EMAIL_PROVIDER",
  from: "EMAIL_FROM",
  apiKey: "RESEND_API_KEY",
};

export function readEmailConfig(env: Env): ConfigResult<EmailConfig> {
  const parsed = emailSchema.safeParse({
    provider: devDefault(env, env.EMAIL_PROVIDER, "stub"),
    from: devDefault(env, env.EMAIL_FROM, "Rampart <no-reply@localhost>"),
    apiKey: env.RESEND_API_KEY,
  });
  if (!parsed.success) {
    return {
      problems: [
        ...new Set(parsed.error.issues.map((issue) => SETTING_NAMES[String(issue.path[0])] ?? "EMAIL_PROVIDER")),
      ],
    };
  }
  // Outside dev the stub outbox would silently drop real mail.
  if (parsed.data.provider === "stub" && readEnvironment(env) !== "dev") return { problems: ["EMAIL_PROVIDER"] };
  return { config: parsed.data };
}
