CREATE TABLE `organization_credit_transaction` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`tokens` integer NOT NULL,
	`kind` text NOT NULL,
	`payment_reference` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organization`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organization_credit_transaction_payment_reference_unique` ON `organization_credit_transaction` (`payment_reference`);--> statement-breakpoint
CREATE INDEX `credit_transaction_org_idx` ON `organization_credit_transaction` (`organization_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `plan` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`stripe_product_id` text,
	`is_default` integer DEFAULT false NOT NULL,
	`features` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `plan_stripe_product_id_unique` ON `plan` (`stripe_product_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `plan_single_default` ON `plan` (`is_default`) WHERE is_default = 1;--> statement-breakpoint
CREATE TABLE `stripe_event` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`object_created_at` integer,
	`processed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `usage_counter` (
	`organization_id` text NOT NULL,
	`feature` text NOT NULL,
	`period_start` integer NOT NULL,
	`used` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`organization_id`, `feature`, `period_start`),
	FOREIGN KEY (`organization_id`) REFERENCES `organization`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `organization` ADD `plan_id` text;--> statement-breakpoint
ALTER TABLE `organization` ADD `stripe_customer_id` text;--> statement-breakpoint
ALTER TABLE `organization` ADD `stripe_subscription_id` text;--> statement-breakpoint
ALTER TABLE `organization` ADD `subscription_status` text;--> statement-breakpoint
ALTER TABLE `organization` ADD `current_period_start` integer;--> statement-breakpoint
ALTER TABLE `organization` ADD `current_period_end` integer;--> statement-breakpoint
ALTER TABLE `organization` ADD `subscription_event_at` integer;--> statement-breakpoint
ALTER TABLE `organization` ADD `credit_balance_tokens` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `organization_stripe_customer_id_unique` ON `organization` (`stripe_customer_id`);--> statement-breakpoint
-- Seed plans (ids fixed so deployments agree). Map each to its Stripe product with PUT /admin/plans/{id}.
INSERT INTO `plan` (`id`, `name`, `stripe_product_id`, `is_default`, `features`, `created_at`, `updated_at`) VALUES
  ('plan_free', 'Free', NULL, 1, '{"max_notes":10,"token_limit":50000,"enable_ai":true}', 0, 0),
  ('plan_professional', 'Professional', NULL, 0, '{"max_notes":1000,"token_limit":2000000,"enable_ai":true}', 0, 0),
  ('plan_premium', 'Premium', NULL, 0, '{"max_notes":-1,"token_limit":10000000,"enable_ai":true}', 0, 0);
