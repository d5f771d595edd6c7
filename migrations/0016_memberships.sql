-- Multi-organization membership (docs/organizations.md). user.organization_id and user.role move
-- into membership (sys_admin becomes user.is_sys_admin, with org_admin in its organization), and
-- every session gets the organization it acts in.
--
-- Hand-written around what drizzle-kit generates, because D1 always enforces foreign keys (its
-- PRAGMA foreign_keys=OFF is a no-op inside the migration's transaction): dropping the old `user`
-- table runs an implicit DELETE that would cascade to session, email_token and oauth_account and
-- null note.created_by_user_id (https://www.sqlite.org/lang_droptable.html). So the rows of those
-- tables are copied aside first and put back once the new `user` table has its name again (the
-- same for passkey and webauthn_challenge of 0012_passkeys, and mfa_pending_login,
-- recovery_code and totp_credential of 0014_second_factors).
-- A migration that adds another table referencing `user` and is applied BEFORE this one must add
-- that table to the copies below, or its rows are lost.
CREATE TABLE `__keep_membership` AS SELECT `id` AS `user_id`, `organization_id`, CASE `role` WHEN 'sys_admin' THEN 'org_admin' ELSE `role` END AS `role`, `created_at`, `created_at` AS `last_active_at` FROM `user`;--> statement-breakpoint
CREATE TABLE `__keep_session` AS SELECT `session`.*, `user`.`organization_id` AS `active_organization_id` FROM `session` INNER JOIN `user` ON `user`.`id` = `session`.`user_id`;--> statement-breakpoint
CREATE TABLE `__keep_email_token` AS SELECT * FROM `email_token`;--> statement-breakpoint
CREATE TABLE `__keep_oauth_account` AS SELECT * FROM `oauth_account`;--> statement-breakpoint
CREATE TABLE `__keep_passkey` AS SELECT * FROM `passkey`;--> statement-breakpoint
CREATE TABLE `__keep_webauthn_challenge` AS SELECT * FROM `webauthn_challenge`;--> statement-breakpoint
CREATE TABLE `__keep_mfa_pending_login` AS SELECT * FROM `mfa_pending_login`;--> statement-breakpoint
CREATE TABLE `__keep_recovery_code` AS SELECT * FROM `recovery_code`;--> statement-breakpoint
CREATE TABLE `__keep_totp_credential` AS SELECT * FROM `totp_credential`;--> statement-breakpoint
CREATE TABLE `__keep_note_author` AS SELECT `id`, `created_by_user_id` FROM `note` WHERE `created_by_user_id` IS NOT NULL;--> statement-breakpoint
CREATE TABLE `__new_user` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`password_hash` text,
	`first_name` text,
	`last_name` text,
	`is_sys_admin` integer DEFAULT false NOT NULL,
	`email_verified_at` integer,
	`suspended_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_user`("id", "email", "password_hash", "first_name", "last_name", "is_sys_admin", "email_verified_at", "suspended_at", "created_at", "updated_at") SELECT "id", "email", "password_hash", "first_name", "last_name", "role" = 'sys_admin', "email_verified_at", "suspended_at", "created_at", "updated_at" FROM `user`;--> statement-breakpoint
DROP TABLE `session`;--> statement-breakpoint
DROP TABLE `user`;--> statement-breakpoint
ALTER TABLE `__new_user` RENAME TO `user`;--> statement-breakpoint
CREATE UNIQUE INDEX `user_email_unique` ON `user` (`email`);--> statement-breakpoint
CREATE INDEX `user_created_idx` ON `user` (`created_at`);--> statement-breakpoint
INSERT INTO `email_token` SELECT * FROM `__keep_email_token`;--> statement-breakpoint
INSERT INTO `oauth_account` SELECT * FROM `__keep_oauth_account`;--> statement-breakpoint
INSERT INTO `passkey` SELECT * FROM `__keep_passkey`;--> statement-breakpoint
INSERT INTO `webauthn_challenge` SELECT * FROM `__keep_webauthn_challenge`;--> statement-breakpoint
INSERT INTO `totp_credential` SELECT * FROM `__keep_totp_credential`;--> statement-breakpoint
INSERT INTO `recovery_code` SELECT * FROM `__keep_recovery_code`;--> statement-breakpoint
INSERT INTO `mfa_pending_login` SELECT * FROM `__keep_mfa_pending_login`;--> statement-breakpoint
UPDATE `note` SET `created_by_user_id` = (SELECT `created_by_user_id` FROM `__keep_note_author` WHERE `__keep_note_author`.`id` = `note`.`id`) WHERE `id` IN (SELECT `id` FROM `__keep_note_author`);--> statement-breakpoint
CREATE TABLE `membership` (
	`user_id` text NOT NULL,
	`organization_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_active_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `organization_id`),
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`organization_id`) REFERENCES `organization`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "membership_role_check" CHECK(role IN ('readonly', 'member', 'org_admin'))
);
--> statement-breakpoint
CREATE INDEX `membership_organization_role_idx` ON `membership` (`organization_id`,`role`);--> statement-breakpoint
INSERT INTO `membership` (`user_id`, `organization_id`, `role`, `created_at`, `last_active_at`) SELECT `user_id`, `organization_id`, `role`, `created_at`, `last_active_at` FROM `__keep_membership`;--> statement-breakpoint
CREATE TABLE `session` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`user_id` text NOT NULL,
	`active_organization_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`authenticated_at` integer DEFAULT 0 NOT NULL,
	`expires_at` integer NOT NULL,
	`user_agent` text,
	`ip` text,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`active_organization_id`) REFERENCES `organization`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `session_token_hash_unique` ON `session` (`token_hash`);--> statement-breakpoint
CREATE INDEX `session_user_idx` ON `session` (`user_id`);--> statement-breakpoint
CREATE INDEX `session_expires_idx` ON `session` (`expires_at`);--> statement-breakpoint
INSERT INTO `session` (`id`, `token_hash`, `user_id`, `active_organization_id`, `created_at`, `authenticated_at`, `expires_at`, `user_agent`, `ip`) SELECT `id`, `token_hash`, `user_id`, `active_organization_id`, `created_at`, `authenticated_at`, `expires_at`, `user_agent`, `ip` FROM `__keep_session`;--> statement-breakpoint
DROP TABLE `__keep_membership`;--> statement-breakpoint
DROP TABLE `__keep_session`;--> statement-breakpoint
DROP TABLE `__keep_email_token`;--> statement-breakpoint
DROP TABLE `__keep_oauth_account`;--> statement-breakpoint
DROP TABLE `__keep_passkey`;--> statement-breakpoint
DROP TABLE `__keep_webauthn_challenge`;--> statement-breakpoint
DROP TABLE `__keep_totp_credential`;--> statement-breakpoint
DROP TABLE `__keep_recovery_code`;--> statement-breakpoint
DROP TABLE `__keep_mfa_pending_login`;--> statement-breakpoint
DROP TABLE `__keep_note_author`;
