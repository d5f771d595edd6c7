CREATE TABLE `llm_usage_monthly` (
	`organization_id` text NOT NULL,
	`month_start` integer NOT NULL,
	`user_id` text NOT NULL,
	`provider` text NOT NULL,
	`model` text NOT NULL,
	`tokens` integer NOT NULL,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`cost_usd` real NOT NULL,
	`absorbed_tokens` integer NOT NULL,
	`credits_tokens` integer NOT NULL,
	`reclaimed_tokens` integer NOT NULL,
	`calls` integer NOT NULL,
	PRIMARY KEY(`organization_id`, `month_start`, `user_id`, `provider`, `model`)
);
--> statement-breakpoint
CREATE INDEX `stripe_event_processed_idx` ON `stripe_event` (`processed_at`);--> statement-breakpoint
CREATE INDEX `ai_reservation_settled_idx` ON `ai_reservation` (`settled_at`) WHERE settled_at IS NOT NULL;