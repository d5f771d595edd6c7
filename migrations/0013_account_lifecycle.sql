-- Email change tokens (change_email, new_email) and the indexes the account export and erasure
-- read by user. drizzle-kit copied the new column from the old table too; the copy lists only the
-- columns email_token had.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_email_token` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`user_id` text NOT NULL,
	`purpose` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`new_email` text,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "email_token_purpose_check" CHECK(purpose IN ('verify_email', 'reset_password', 'change_email'))
);
--> statement-breakpoint
INSERT INTO `__new_email_token`("id", "token_hash", "user_id", "purpose", "created_at", "expires_at", "used_at") SELECT "id", "token_hash", "user_id", "purpose", "created_at", "expires_at", "used_at" FROM `email_token`;--> statement-breakpoint
DROP TABLE `email_token`;--> statement-breakpoint
ALTER TABLE `__new_email_token` RENAME TO `email_token`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `email_token_token_hash_unique` ON `email_token` (`token_hash`);--> statement-breakpoint
CREATE INDEX `email_token_user_purpose_idx` ON `email_token` (`user_id`,`purpose`);--> statement-breakpoint
CREATE INDEX `email_token_expires_idx` ON `email_token` (`expires_at`);--> statement-breakpoint
CREATE INDEX `audit_log_actor_idx` ON `audit_log` (`actor_user_id`);--> statement-breakpoint
CREATE INDEX `audit_log_target_idx` ON `audit_log` (`target`);--> statement-breakpoint
CREATE INDEX `note_author_idx` ON `note` (`created_by_user_id`,`id`);--> statement-breakpoint
CREATE INDEX `llm_usage_user_idx` ON `llm_usage_log` (`user_id`);