CREATE TABLE `ai_account` (
	`organization_id` text PRIMARY KEY NOT NULL,
	`period_start` integer NOT NULL,
	`allotment_used` integer DEFAULT 0 NOT NULL,
	`overage_used` integer DEFAULT 0 NOT NULL,
	`reserved_tokens` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organization`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ai_account_counters_check" CHECK(allotment_used >= 0 AND overage_used >= 0 AND reserved_tokens >= 0)
);
--> statement-breakpoint
CREATE TABLE `ai_reservation` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`user_id` text,
	`tokens` integer NOT NULL,
	`provider` text NOT NULL,
	`model` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`settled_at` integer,
	`settlement_id` text,
	FOREIGN KEY (`organization_id`) REFERENCES `organization`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `ai_reservation_open_expiry_idx` ON `ai_reservation` (`expires_at`) WHERE settled_at IS NULL;--> statement-breakpoint
CREATE INDEX `ai_reservation_open_org_idx` ON `ai_reservation` (`organization_id`) WHERE settled_at IS NULL;--> statement-breakpoint
CREATE TABLE `llm_usage_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`organization_id` text NOT NULL,
	`user_id` text,
	`reservation_id` text NOT NULL,
	`settlement_id` text NOT NULL,
	`provider` text NOT NULL,
	`model` text NOT NULL,
	`bucket` text NOT NULL,
	`tokens` integer NOT NULL,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`cost_usd` real NOT NULL,
	`period_start` integer NOT NULL,
	`created_at` integer NOT NULL,
	`reclaimed` integer DEFAULT false NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organization`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "llm_usage_bucket_check" CHECK(bucket IN ('allotment', 'credits', 'overage', 'absorbed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `llm_usage_reservation_bucket_idx` ON `llm_usage_log` (`reservation_id`,`bucket`);--> statement-breakpoint
CREATE INDEX `llm_usage_org_created_idx` ON `llm_usage_log` (`organization_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `llm_usage_org_user_created_idx` ON `llm_usage_log` (`organization_id`,`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `llm_usage_org_period_idx` ON `llm_usage_log` (`organization_id`,`period_start`,`bucket`);--> statement-breakpoint
CREATE INDEX `llm_usage_created_idx` ON `llm_usage_log` (`created_at`);--> statement-breakpoint
CREATE TABLE `model_price` (
	`provider` text NOT NULL,
	`model` text NOT NULL,
	`input_usd_per_million` real NOT NULL,
	`output_usd_per_million` real NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`provider`, `model`)
);
--> statement-breakpoint
-- Seed prices, USD per 1M tokens, standard (uncached, non-batch) rates. OpenAI: openai.com/api/pricing
-- as published 2025 and unchanged through 2026 (checked 2026-11). Workers AI: developers.cloudflare.com/workers-ai/platform/pricing
-- (per-model table, 2025-02). The fake provider is free and only selectable in dev. Change a price with an
-- UPDATE in a new migration; a model with no row here is refused (503 MISCONFIGURED), never called for free.
-- updated_at 1764547200000 = 2025-12-01T00:00:00Z.
INSERT INTO `model_price` (`provider`, `model`, `input_usd_per_million`, `output_usd_per_million`, `updated_at`) VALUES
  ('openai', 'gpt-4.1', 2.00, 8.00, 1764547200000),
  ('openai', 'gpt-4.1-mini', 0.40, 1.60, 1764547200000),
  ('openai', 'gpt-4.1-nano', 0.10, 0.40, 1764547200000),
  ('openai', 'gpt-4o', 2.50, 10.00, 1764547200000),
  ('openai', 'gpt-4o-mini', 0.15, 0.60, 1764547200000),
  ('openai', 'gpt-5', 1.25, 10.00, 1764547200000),
  ('openai', 'gpt-5-mini', 0.25, 2.00, 1764547200000),
  ('openai', 'gpt-5-nano', 0.05, 0.40, 1764547200000),
  ('workers-ai', '@cf/meta/llama-3.1-8b-instruct-fp8-fast', 0.045, 0.384, 1764547200000),
  ('workers-ai', '@cf/meta/llama-3.1-8b-instruct', 0.282, 0.827, 1764547200000),
  ('fake', 'fake-copilot-1', 0, 0, 1764547200000);
