CREATE TABLE `invoice_payment` (
	`invoice_id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`status` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organization`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `invoice_payment_failed_org_idx` ON `invoice_payment` (`organization_id`) WHERE status = 'failed';--> statement-breakpoint
ALTER TABLE `organization` ADD `billing_grace_ends_at` integer;--> statement-breakpoint
ALTER TABLE `organization` ADD `billing_downgraded_at` integer;--> statement-breakpoint
ALTER TABLE `organization` ADD `plan_ends_at` integer;--> statement-breakpoint
CREATE INDEX `organization_grace_idx` ON `organization` (`billing_grace_ends_at`) WHERE billing_grace_ends_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `organization_plan_ends_idx` ON `organization` (`plan_ends_at`) WHERE plan_ends_at IS NOT NULL;--> statement-breakpoint
ALTER TABLE `organization_credit_transaction` ADD `payment_intent_id` text;--> statement-breakpoint
CREATE INDEX `credit_transaction_payment_intent_idx` ON `organization_credit_transaction` (`payment_intent_id`) WHERE payment_intent_id IS NOT NULL;--> statement-breakpoint
ALTER TABLE `ai_account` ADD `alert_80_period_start` integer;--> statement-breakpoint
ALTER TABLE `ai_account` ADD `alert_100_period_start` integer;--> statement-breakpoint
ALTER TABLE `llm_usage_log` ADD `meter_claim` text;--> statement-breakpoint
ALTER TABLE `llm_usage_log` ADD `meter_claimed_at` integer;--> statement-breakpoint
ALTER TABLE `llm_usage_log` ADD `meter_reported_at` integer;--> statement-breakpoint
CREATE INDEX `llm_usage_overage_unreported_idx` ON `llm_usage_log` (`id`) WHERE bucket = 'overage' AND meter_reported_at IS NULL;