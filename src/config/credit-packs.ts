// What a credit pack is, and the default packs: declared once for CREDIT_PACKS_JSON (read with the
// billing config), the credit_packs system setting and the API.
import { z } from "@hono/zod-openapi";

export const CreditPackSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "lowercase letters, digits, - and _ (at most 64)"),
    name: z.string().trim().min(1).max(100),
    /** Non-expiring AI tokens credited to the organization's balance once paid. */
    tokens: z.number().int().positive().max(1_000_000_000_000),
    /** The price in the currency's smallest unit (cents), as Stripe's unit_amount. */
    price_cents: z.number().int().positive().max(99_999_999),
    currency: z.string().regex(/^[a-z]{3}$/, "a lowercase ISO 4217 code such as usd"),
  })
  .strict();

export type CreditPack = z.infer<typeof CreditPackSchema>;

export const CreditPackListSchema = z
  .array(CreditPackSchema)
  .min(1)
  .max(20)
  .refine((packs) => new Set(packs.map((pack) => pack.id)).size === packs.length, "pack ids must be unique");

export const DEFAULT_CREDIT_PACKS: CreditPack[] = [
  { id: "tokens_5m", name: "5M tokens", tokens: 5_000_000, price_cents: 3_900, currency: "usd" },
  { id: "tokens_10m", name: "10M tokens", tokens: 10_000_000, price_cents: 6_900, currency: "usd" },
  { id: "tokens_25m", name: "25M tokens", tokens: 25_000_000, price_cents: 14_900, currency: "usd" },
];
