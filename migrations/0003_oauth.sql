CREATE TABLE `oauth_account` (
	`id` text PRIMARY KEY NOT NULL,
	`provider` text NOT NULL,
	`subject` text NOT NULL,
	`user_id` text NOT NULL,
	`email` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `oauth_account_provider_subject_idx` ON `oauth_account` (`provider`,`subject`);--> statement-breakpoint
CREATE UNIQUE INDEX `oauth_account_provider_user_idx` ON `oauth_account` (`provider`,`user_id`);--> statement-breakpoint
CREATE INDEX `oauth_account_user_idx` ON `oauth_account` (`user_id`);