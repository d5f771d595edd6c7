// WebAuthn credentials (passkeys) and the challenges handed out for them (SEC-68).
import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, index, check } from "drizzle-orm/sqlite-core";
import { users } from "./users";

export const passkeys = sqliteTable(
  "passkey",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The authenticator's credential id, base64url; unique across all users (WebAuthn §7.1 step 25). */
    credentialId: text("credential_id").notNull().unique(),
    /** The COSE public key, base64url: public, but needed only to verify assertions. */
    publicKey: text("public_key").notNull(),
    /** The last signature counter seen; 0 for authenticators that do not keep one. */
    counter: integer("counter").notNull(),
    /** The transports the browser reported at registration (JSON array), a hint for allowCredentials. */
    transports: text("transports", { mode: "json" }).$type<string[]>().notNull(),
    name: text("name").notNull(),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
  },
  (table) => [index("passkey_user_idx").on(table.userId)],
);

export const WEBAUTHN_CEREMONIES = ["registration", "authentication"] as const;
export type WebAuthnCeremony = (typeof WEBAUTHN_CEREMONIES)[number];

export const webauthnChallenges = sqliteTable(
  "webauthn_challenge",
  {
    /** The challenge itself, base64url: the client echoes it in clientDataJSON, so it is the key. */
    challenge: text("challenge").primaryKey(),
    ceremony: text("ceremony", { enum: WEBAUTHN_CEREMONIES }).notNull(),
    /** Who may answer it: the signed-in user, the pending login's user, or NULL for a passwordless sign-in. */
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    expiresAt: integer("expires_at").notNull(),
  },
  (table) => [
    index("webauthn_challenge_expires_idx").on(table.expiresAt),
    check(
      "webauthn_challenge_ceremony_check",
      sql.raw(`ceremony IN (${WEBAUTHN_CEREMONIES.map((ceremony) => `'${ceremony}'`).join(", ")})`),
    ),
  ],
);
