// Second factors (SEC-65..SEC-67): a TOTP credential per user, its recovery codes, and the pending
// logins that wait for a second factor after the first one was proven.
import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, index, check } from "drizzle-orm/sqlite-core";
import { users } from "./users";

/**
 * One TOTP credential per user. The secret is AES-GCM ciphertext under MFA_ENCRYPTION_KEY, so a
 * copy of the database alone yields no working codes (SEC-65). `confirmed_at` is NULL while the
 * user has scanned nothing yet (setup without confirm); only a confirmed credential is a second
 * factor. `last_used_step` is the RFC 6238 time step of the last accepted code: a code is accepted
 * only for a later step, by a compare-and-set on this column, so no code works twice.
 */
export const totpCredentials = sqliteTable("totp_credential", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  encryptedSecret: text("encrypted_secret").notNull(),
  confirmedAt: integer("confirmed_at"),
  lastUsedStep: integer("last_used_step"),
  createdAt: integer("created_at").notNull(),
});

/** Recovery codes, stored as SHA-256 only; `used_at` is set once, by a compare-and-set (SEC-66). */
export const recoveryCodes = sqliteTable(
  "recovery_code",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull().unique(),
    createdAt: integer("created_at").notNull(),
    usedAt: integer("used_at"),
  },
  (table) => [index("recovery_code_user_idx").on(table.userId)],
);

export const FIRST_FACTORS = ["password", "google"] as const;
export type FirstFactor = (typeof FIRST_FACTORS)[number];

/**
 * A sign-in whose first factor is proven and whose second is awaited (SEC-67): found by the SHA-256
 * of the mfa_pending cookie, bound to the user, 5 minutes, a bounded number of attempts counted by
 * a conditional UPDATE, deleted when it completes.
 */
export const mfaPendingLogins = sqliteTable(
  "mfa_pending_login",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull().unique(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    firstFactor: text("first_factor", { enum: FIRST_FACTORS }).notNull(),
    attemptsLeft: integer("attempts_left").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (table) => [
    index("mfa_pending_login_user_idx").on(table.userId),
    index("mfa_pending_login_expires_idx").on(table.expiresAt),
    check(
      "mfa_pending_login_first_factor_check",
      sql.raw(`first_factor IN (${FIRST_FACTORS.map((factor) => `'${factor}'`).join(", ")})`),
    ),
  ],
);
