CREATE TABLE `api_key` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`key_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`scopes` text NOT NULL,
	`created_by_user_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`last_used_at` integer,
	`revoked_at` integer,
	`rate_limit_per_minute` integer DEFAULT 600 NOT NULL,
	`ai_token_limit` integer,
	FOREIGN KEY (`organization_id`) REFERENCES `organization`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "api_key_role_check" CHECK(role IN ('readonly', 'member')),
	CONSTRAINT "api_key_rate_limit_check" CHECK(rate_limit_per_minute >= 1),
	CONSTRAINT "api_key_ai_token_limit_check" CHECK(ai_token_limit IS NULL OR ai_token_limit >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_key_key_hash_unique` ON `api_key` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_key_org_created_idx` ON `api_key` (`organization_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `ai_reservation` ADD `api_key_id` text;--> statement-breakpoint
CREATE INDEX `ai_reservation_open_org_key_idx` ON `ai_reservation` (`organization_id`,`api_key_id`) WHERE settled_at IS NULL;--> statement-breakpoint
ALTER TABLE `llm_usage_log` ADD `api_key_id` text;--> statement-breakpoint
CREATE INDEX `llm_usage_org_key_period_idx` ON `llm_usage_log` (`organization_id`,`api_key_id`,`period_start`);