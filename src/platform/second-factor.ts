// The seam through which a second factor joins a fresh proof (SEC-69), without this layer
// knowing which factors exist. A feature implements SecondFactorCheck and the composition root
// hands it in through provideServices() (service-context.ts), like the quota meter.

export interface SecondFactorCheck {
  /** Whether the account has a second factor that must accompany a password proof. */
  isEnrolled(userId: string): Promise<boolean>;
  /**
   * Whether `code` proves that factor now. An implementation that accepts a code only once
   * (no replay inside its window) consumes it here.
   */
  verifyCode(userId: string, code: string): Promise<boolean>;
}

/** Until a feature provides one, no account has a second factor: the password alone is the proof. */
export const NO_SECOND_FACTOR: SecondFactorCheck = {
  isEnrolled: async () => false,
  verifyCode: async () => false,
};
