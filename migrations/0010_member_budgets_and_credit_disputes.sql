CREATE TABLE `credit_dispute` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`charge_id` text NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`closed_at` integer,
	FOREIGN KEY (`organization_id`) REFERENCES `organization`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `credit_dispute_open_org_idx` ON `credit_dispute` (`organization_id`) WHERE status = 'open';--> statement-breakpoint
CREATE INDEX `ai_reservation_open_org_user_idx` ON `ai_reservation` (`organization_id`,`user_id`) WHERE settled_at IS NULL;--> statement-breakpoint
CREATE INDEX `llm_usage_org_user_period_idx` ON `llm_usage_log` (`organization_id`,`user_id`,`period_start`);