// Emails to an organization's org_admins about its billing: a dispute, a failed payment, the end
// of its grace period, a usage threshold. Sent after the change they describe has committed, best
// effort: a failed send is logged and never undoes (or retries) the change.
import type { EmailMessage } from "../../email/provider";
import { logEvent } from "../../lib/log";
import type { ServiceContext } from "../../platform/service-context";
import { listOrgAdminEmails } from "../orgs/members-service";

export interface AdminNotice {
  kind: string;
  subject: string;
  /** Plain text; no link with a token in it (these go to every org_admin). */
  text: string;
}

export async function notifyOrgAdmins(
  ctx: ServiceContext,
  organizationId: string,
  notice: AdminNotice,
): Promise<number> {
  const recipients = await listOrgAdminEmails(ctx, organizationId);
  const billingURL = new URL("settings/billing", `${ctx.config.webBaseURL}/`).toString();
  let sent = 0;
  for (const to of recipients) {
    const message: EmailMessage = {
      to,
      subject: notice.subject,
      text: `${notice.text}\n\nBilling: ${billingURL}`,
      links: [billingURL],
    };
    try {
      await ctx.email.send(message);
      sent++;
    } catch (error) {
      logEvent("error", "admin_notice_failed", {
        kind: notice.kind,
        organization_id: organizationId,
        error: String(error),
      });
    }
  }
  logEvent("info", "admin_notice_sent", { kind: notice.kind, organization_id: organizationId, recipients: sent });
  return sent;
}
