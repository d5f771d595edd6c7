// Password policy (SEC-2, SEC-3): 8 to 64 code points, no composition rules, common ones refused.
export const PASSWORD_MIN_CODE_POINTS = 8;
export const PASSWORD_MAX_CODE_POINTS = 64;

/**
 * The most common passwords of at least 8 characters, from public breach-frequency lists
 * (OWASP ASVS 6.2.11 asks for a check against breached passwords; this is the offline minimum).
 */
const COMMON_PASSWORDS = new Set([
  "12345678",
  "123456789",
  "1234567890",
  "12345678910",
  "password",
  "password1",
  "password12",
  "password123",
  "password1234",
  "passw0rd",
  "p@ssw0rd",
  "p@ssword",
  "qwertyuiop",
  "qwerty123",
  "qwerty1234",
  "qwertyui",
  "1q2w3e4r",
  "1q2w3e4r5t",
  "1qaz2wsx",
  "zaq12wsx",
  "iloveyou",
  "iloveyou1",
  "11111111",
  "00000000",
  "88888888",
  "87654321",
  "123123123",
  "987654321",
  "abcd1234",
  "abc12345",
  "abcdefgh",
  "sunshine",
  "princess",
  "football",
  "baseball",
  "superman",
  "starwars",
  "welcome1",
  "welcome123",
  "letmein1",
  "trustno1",
  "whatever",
  "dragon123",
  "master123",
  "monkey123",
  "shadow123",
  "michael1",
  "jennifer",
  "computer",
  "internet",
  "asdfghjkl",
  "asdf1234",
  "q1w2e3r4",
  "q1w2e3r4t5",
  "1234qwer",
  "admin123",
  "administrator",
  "changeme",
  "changeme1",
  "secret123",
  "test1234",
  "testtest",
  "letmein123",
  "loveyou1",
  "charlie1",
  "liverpool",
  "chocolate",
  "samsung1",
  "google123",
  "facebook",
  "1password",
  "123qweasd",
  "qweasdzxc",
  "zxcvbnm1",
  "zxcvbnm123",
  "password!",
  "pa$$w0rd",
  "12341234",
  "12121212",
  "11223344",
  "123456789a",
  "a123456789",
  "aa123456",
  "default1",
  "rampart1",
  "rampart123",
  "iloveu123",
  "lovelove",
  "hello123",
  "helloworld",
  "freedom1",
  "whatever1",
  "mustang1",
  "jordan23",
  "basketball",
  "soccer123",
  "pokemon1",
  "starwars1",
]);

export type PasswordPolicyViolation = "too_short" | "too_long" | "too_common";

/** Returns what is wrong with the password, or null when it is acceptable. */
export function checkPasswordPolicy(password: string): PasswordPolicyViolation | null {
  // Count code points, not UTF-16 units: an emoji is one character to the user (SEC-2).
  let codePoints = 0;
  for (const _ of password) {
    codePoints++;
    if (codePoints > PASSWORD_MAX_CODE_POINTS) return "too_long";
  }
  if (codePoints < PASSWORD_MIN_CODE_POINTS) return "too_short";
  if (COMMON_PASSWORDS.has(password.toLowerCase())) return "too_common";
  return null;
}

export const PASSWORD_POLICY_MESSAGES: Record<PasswordPolicyViolation, string> = {
  too_short: `Use at least ${PASSWORD_MIN_CODE_POINTS} characters.`,
  too_long: `Use at most ${PASSWORD_MAX_CODE_POINTS} characters.`,
  too_common: "This password is too common; choose another.",
};
