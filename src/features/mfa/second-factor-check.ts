// TOTP as the second factor of a fresh proof (SEC-69): the SecondFactorCheck platform/fresh-proof.ts
// asks through the service context (handed in by the composition root, src/app.ts).
import type { SecondFactorCheck } from "../../platform/second-factor";
import type { ServiceContext } from "../../platform/service-context";
import { consumeSecondFactor, hasTotp } from "./service";

/** A code spent on a fresh proof is spent (the step compare-and-set): it cannot be replayed at login. */
export function createSecondFactorCheck(ctx: ServiceContext): SecondFactorCheck {
  return {
    isEnrolled: (userId) => hasTotp(ctx, userId),
    verifyCode: (userId, code) => consumeSecondFactor(ctx, userId, { kind: "totp", code }),
  };
}
