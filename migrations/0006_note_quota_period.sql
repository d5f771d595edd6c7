ALTER TABLE `note` ADD `quota_period_start` integer;--> statement-breakpoint
-- Notes created before: the newest max_notes counter of their organization that started at or
-- before the note is the period its unit was taken from (SEC-60); none found leaves NULL, and
-- deleting such a note gives nothing back.
UPDATE `note` SET `quota_period_start` = (
  SELECT max(c.`period_start`) FROM `usage_counter` c
   WHERE c.`organization_id` = `note`.`organization_id` AND c.`feature` = 'max_notes' AND c.`period_start` <= `note`.`created_at`
);
