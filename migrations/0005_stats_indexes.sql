CREATE INDEX `organization_plan_idx` ON `organization` (`plan_id`);--> statement-breakpoint
CREATE INDEX `user_created_idx` ON `user` (`created_at`);