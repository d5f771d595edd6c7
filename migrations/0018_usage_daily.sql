CREATE TABLE `llm_usage_daily` (
	`day_start` integer NOT NULL,
	`provider` text NOT NULL,
	`model` text NOT NULL,
	`charged_tokens` integer NOT NULL,
	`charged_cost_usd` real NOT NULL,
	`absorbed_tokens` integer NOT NULL,
	`absorbed_cost_usd` real NOT NULL,
	`reclaimed_tokens` integer NOT NULL,
	`calls` integer NOT NULL,
	`rows` integer NOT NULL,
	`charged_rows` integer NOT NULL,
	PRIMARY KEY(`day_start`, `provider`, `model`)
);
--> statement-breakpoint
CREATE TABLE `llm_usage_daily_org` (
	`day_start` integer NOT NULL,
	`organization_id` text NOT NULL,
	`rows` integer NOT NULL,
	PRIMARY KEY(`day_start`, `organization_id`)
);
--> statement-breakpoint
CREATE INDEX `organization_credit_balance_idx` ON `organization` (`id`) WHERE credit_balance_tokens <> 0;--> statement-breakpoint
CREATE INDEX `organization_period_start_idx` ON `organization` (`current_period_start`) WHERE current_period_start IS NOT NULL;--> statement-breakpoint
CREATE INDEX `email_token_used_idx` ON `email_token` (`used_at`) WHERE used_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `ai_account_updated_idx` ON `ai_account` (`updated_at`);--> statement-breakpoint
CREATE INDEX `ai_account_period_idx` ON `ai_account` (`period_start`);--> statement-breakpoint
CREATE INDEX `llm_usage_org_credits_idx` ON `llm_usage_log` (`organization_id`,`tokens`) WHERE bucket = 'credits';--> statement-breakpoint
CREATE INDEX `llm_usage_monthly_credits_idx` ON `llm_usage_monthly` (`organization_id`) WHERE credits_tokens <> 0;--> statement-breakpoint
-- Hand-written below (drizzle-kit does not generate triggers). The backfill sums the rows already
-- logged; the triggers keep both tables exact from here on, in the transaction of the statement
-- that writes llm_usage_log. A reservation's rows share one created_at, provider, model and
-- organization, and are inserted (settlement) and deleted (retention, organization deletion) by one
-- statement each, so a call is counted on its first row in and uncounted on its last row out.
INSERT INTO `llm_usage_daily` (`day_start`, `provider`, `model`, `charged_tokens`, `charged_cost_usd`,
  `absorbed_tokens`, `absorbed_cost_usd`, `reclaimed_tokens`, `calls`, `rows`, `charged_rows`)
SELECT (created_at / 86400000) * 86400000, provider, model,
  coalesce(sum(CASE WHEN bucket <> 'absorbed' THEN tokens END), 0),
  coalesce(sum(CASE WHEN bucket <> 'absorbed' THEN cost_usd END), 0),
  coalesce(sum(CASE WHEN bucket = 'absorbed' THEN tokens END), 0),
  coalesce(sum(CASE WHEN bucket = 'absorbed' THEN cost_usd END), 0),
  coalesce(sum(CASE WHEN reclaimed THEN tokens END), 0),
  count(DISTINCT reservation_id), count(*), count(CASE WHEN bucket <> 'absorbed' THEN 1 END)
FROM llm_usage_log GROUP BY 1, 2, 3;
--> statement-breakpoint
INSERT INTO `llm_usage_daily_org` (`day_start`, `organization_id`, `rows`)
SELECT (created_at / 86400000) * 86400000, organization_id, count(*) FROM llm_usage_log GROUP BY 1, 2;
--> statement-breakpoint
CREATE TRIGGER `llm_usage_daily_insert` AFTER INSERT ON `llm_usage_log` BEGIN
  INSERT INTO llm_usage_daily (day_start, provider, model, charged_tokens, charged_cost_usd,
    absorbed_tokens, absorbed_cost_usd, reclaimed_tokens, calls, rows, charged_rows)
  VALUES ((NEW.created_at / 86400000) * 86400000, NEW.provider, NEW.model,
    CASE WHEN NEW.bucket <> 'absorbed' THEN NEW.tokens ELSE 0 END,
    CASE WHEN NEW.bucket <> 'absorbed' THEN NEW.cost_usd ELSE 0 END,
    CASE WHEN NEW.bucket = 'absorbed' THEN NEW.tokens ELSE 0 END,
    CASE WHEN NEW.bucket = 'absorbed' THEN NEW.cost_usd ELSE 0 END,
    CASE WHEN NEW.reclaimed THEN NEW.tokens ELSE 0 END,
    NOT EXISTS (SELECT 1 FROM llm_usage_log WHERE reservation_id = NEW.reservation_id AND id <> NEW.id), 1,
    NEW.bucket <> 'absorbed')
  ON CONFLICT (day_start, provider, model) DO UPDATE SET
    charged_tokens = charged_tokens + excluded.charged_tokens,
    charged_cost_usd = charged_cost_usd + excluded.charged_cost_usd,
    absorbed_tokens = absorbed_tokens + excluded.absorbed_tokens,
    absorbed_cost_usd = absorbed_cost_usd + excluded.absorbed_cost_usd,
    reclaimed_tokens = reclaimed_tokens + excluded.reclaimed_tokens,
    calls = calls + excluded.calls,
    rows = rows + 1,
    charged_rows = charged_rows + excluded.charged_rows;
  INSERT INTO llm_usage_daily_org (day_start, organization_id, rows)
  VALUES ((NEW.created_at / 86400000) * 86400000, NEW.organization_id, 1)
  ON CONFLICT (day_start, organization_id) DO UPDATE SET rows = rows + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `llm_usage_daily_delete` AFTER DELETE ON `llm_usage_log` BEGIN
  UPDATE llm_usage_daily SET
    charged_tokens = charged_tokens - CASE WHEN OLD.bucket <> 'absorbed' THEN OLD.tokens ELSE 0 END,
    charged_cost_usd = charged_cost_usd - CASE WHEN OLD.bucket <> 'absorbed' THEN OLD.cost_usd ELSE 0 END,
    absorbed_tokens = absorbed_tokens - CASE WHEN OLD.bucket = 'absorbed' THEN OLD.tokens ELSE 0 END,
    absorbed_cost_usd = absorbed_cost_usd - CASE WHEN OLD.bucket = 'absorbed' THEN OLD.cost_usd ELSE 0 END,
    reclaimed_tokens = reclaimed_tokens - CASE WHEN OLD.reclaimed THEN OLD.tokens ELSE 0 END,
    calls = calls - NOT EXISTS (SELECT 1 FROM llm_usage_log WHERE reservation_id = OLD.reservation_id),
    rows = rows - 1,
    charged_rows = charged_rows - (OLD.bucket <> 'absorbed')
  WHERE day_start = (OLD.created_at / 86400000) * 86400000 AND provider = OLD.provider AND model = OLD.model;
  DELETE FROM llm_usage_daily
   WHERE day_start = (OLD.created_at / 86400000) * 86400000 AND provider = OLD.provider AND model = OLD.model
     AND rows = 0;
  UPDATE llm_usage_daily_org SET rows = rows - 1
   WHERE day_start = (OLD.created_at / 86400000) * 86400000 AND organization_id = OLD.organization_id;
  DELETE FROM llm_usage_daily_org
   WHERE day_start = (OLD.created_at / 86400000) * 86400000 AND organization_id = OLD.organization_id AND rows = 0;
END;
