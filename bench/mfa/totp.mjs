// Second factors (issue 13), each figure a ratio within one run (the machine is shared):
// - SEC-6 with MFA in the schema: sequential logins of an account without a second factor, of one
//   with TOTP (the password step, answering mfa_required), and of an unknown email, interleaved
//   with one Argon2id verify (/bench/verify) so drift falls on all alike; medians;
// - POST /auth/mfa/verify (claim an attempt, decrypt, 3 HOTP, two compare-and-sets, the session)
//   against the same verify;
// - the TOTP check itself (findMatchingTotpStep: 3 HMAC-SHA-1 in JavaScript), in Node, against
//   one SHA-256 of a token through WebCrypto.
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { median } from "../http/benches.mjs";
import { PASSWORD, logIn } from "../http/harness.mjs";
import { findMatchingTotpStep } from "../../src/features/mfa/totp.ts";

/** A login may cost at most this much more than an account without a second factor's (SEC-6). */
const MFA_TARGETS = { loginSpread: 1.2 };

const codeAt = (secret, offset = 0) => generateHOTP(secret, BigInt(Math.floor(Date.now() / 30_000) + offset), 6);

function expect(response, status, what) {
  if (response.status !== status) throw new Error(`${what}: ${response.status} ${response.text.slice(0, 200)}`);
  return response;
}

/** Setup + confirm through the API; returns the secret. The confirm spends the current step. */
async function enrolTotp(client, email) {
  const { cookie } = await logIn(client, email);
  const setup = expect(
    await client.post("/auth/mfa/totp/setup", {}, { cookie }), // a recent sign-in is the fresh proof
    200,
    "POST /auth/mfa/totp/setup",
  );
  const secret = decodeBase32IgnorePadding(setup.json().secret);
  expect(await client.post("/auth/mfa/totp/confirm", { code: codeAt(secret) }, { cookie }), 200, "confirm");
  return secret;
}

async function timed(samples, send, status, what) {
  const started = performance.now();
  const response = await send();
  samples.push(performance.now() - started);
  return expect(response, status, what);
}

/** Sequential rounds of: verify, login without MFA, login with TOTP (step one), unknown email. */
async function loginPaths(client, { plainEmail, mfaEmail }, rounds) {
  const samples = { verify: [], plain: [], mfa: [], unknown: [] };
  await client.post("/bench/verify", {}); // the isolate's bench hash
  for (let round = 0; round < rounds; round++) {
    await timed(samples.verify, () => client.post("/bench/verify", {}), 200, "POST /bench/verify");
    await timed(
      samples.plain,
      () => client.post("/auth/login", { email: plainEmail, password: PASSWORD }),
      200,
      "login",
    );
    const mfa = await timed(
      samples.mfa,
      () => client.post("/auth/login", { email: mfaEmail, password: PASSWORD }),
      200,
      "login (TOTP account)",
    );
    if (mfa.json().mfa_required !== true) throw new Error(`login of the TOTP account: ${mfa.text.slice(0, 200)}`);
    const unknown = `nobody.${round}.${Date.now().toString(36)}@example.com`;
    await timed(
      samples.unknown,
      () => client.post("/auth/login", { email: unknown, password: PASSWORD }),
      401,
      "login",
    );
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}

/**
 * POST /auth/mfa/verify timed, one per TOTP account (a code works once per account and step):
 * each login's mfa_pending cookie, then the next step's code.
 */
async function verifyPath(client, accounts) {
  const verify = [];
  const mfaVerify = [];
  for (const { email, secret } of accounts) {
    const login = expect(await client.post("/auth/login", { email, password: PASSWORD }), 200, "login");
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
    await timed(verify, () => client.post("/bench/verify", {}), 200, "POST /bench/verify");
    await timed(
      mfaVerify,
      () => client.post("/auth/mfa/verify", { code: codeAt(secret, 1) }, { cookie }),
      200,
      "verify",
    );
  }
  return { verifyMs: median(verify), mfaVerifyMs: median(mfaVerify), n: accounts.length };
}

/** The TOTP check against one WebCrypto SHA-256 of a 43-character token, in this Node process. */
async function totpCheckCost(iterations) {
  const secret = crypto.getRandomValues(new Uint8Array(20));
  const now = Date.now();
  const code = codeAt(secret);
  const token = "A".repeat(43);
  const measure = async (work) => {
    for (let i = 0; i < iterations / 10; i++) await work(); // warm-up
    const started = performance.now();
    for (let i = 0; i < iterations; i++) await work();
    return ((performance.now() - started) * 1000) / iterations; // µs per call
  };
  const totpUs = await measure(() => findMatchingTotpStep(secret, code, now));
  const sha256Us = await measure(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
  return { totpUs, sha256Us, iterations };
}

/** Starts its own workerd on the prepared bench D1. */
export async function runMfaBench({ startWorker, createClient, createVerifiedAccounts, plan, log }) {
  const server = await startWorker();
  try {
    const client = createClient(server.url);
    const verifyAccounts = Math.min(plan.loginRounds, 20);
    const [plainEmail, mfaEmail, ...others] = await createVerifiedAccounts(client, "bench-mfa", 2 + verifyAccounts);
    log(`mfa: enrolling TOTP on ${1 + others.length} accounts through the API`);
    await enrolTotp(client, mfaEmail);
    const enrolled = [];
    for (const email of others) enrolled.push({ email, secret: await enrolTotp(client, email) });
    log(`mfa: ${plan.loginRounds} sequential rounds of verify / login / login with TOTP / unknown email`);
    const login = await loginPaths(client, { plainEmail, mfaEmail }, plan.loginRounds);
    log(`mfa: POST /auth/mfa/verify on ${enrolled.length} accounts`);
    const verify = await verifyPath(client, enrolled);
    log("mfa: the TOTP check in Node");
    const check = await totpCheckCost(20_000);
    return { login, verify, check, rounds: plan.loginRounds };
  } finally {
    await server.dispose();
  }
}

const f = (value, digits = 1) => Number(value).toFixed(digits);
const verdict = (pass) => (pass ? "**PASS**" : "**FAIL**");

export function mfaReport(mfa, info) {
  const { login, verify, check } = mfa;
  const spread = Math.max(login.plain, login.mfa, login.unknown) / Math.min(login.plain, login.mfa, login.unknown);
  const summaryRows = [
    `| Login spread: no MFA / TOTP (step one) / unknown email | ≤ ${MFA_TARGETS.loginSpread} × | ${f(spread, 2)} × (${f(login.plain)} / ${f(login.mfa)} / ${f(login.unknown)} ms) | ${verdict(spread <= MFA_TARGETS.loginSpread)} |`,
    `| Login without MFA vs one Argon2id verify | reported | ${f(login.plain)} ms vs ${f(login.verify)} ms (+${f(login.plain - login.verify)} ms) | — |`,
    `| POST /auth/mfa/verify vs one Argon2id verify | reported | ${f(verify.mfaVerifyMs)} ms vs ${f(verify.verifyMs)} ms (${f(verify.mfaVerifyMs / verify.verifyMs, 2)} ×) | — |`,
    `| The TOTP check (3 HMAC-SHA-1, ±1 step) vs one SHA-256 | reported | ${f(check.totpUs)} µs vs ${f(check.sha256Us)} µs (${f(check.totpUs / check.sha256Us, 1)} ×) | — |`,
  ];
  const lines = [
    "## Second factors (issue 13)",
    "",
    `${info.startedAt.toISOString().slice(0, 10)}, ${info.machine.cpu}, ${info.machine.cores} cores, node ${info.machine.node} (\`node bench/run.mjs --only-mfa\`).`,
    "",
    "| Measure | Target | Result | Verdict |",
    "| --- | --- | --- | --- |",
    ...summaryRows,
    "",
    `Logins: ${mfa.rounds} sequential rounds, each one POST /bench/verify (one Argon2id verify, production parameters, the same`,
    "hash queue), a login of an account without a second factor, the password step of an account with TOTP (200 mfa_required,",
    "a pending login written) and an unknown email (401), timed on the client; medians. The MFA probe rides in the login's user",
    "read, so the three paths differ only after the password (SEC-6).",
    "",
    `Verify: ${verify.n} accounts with TOTP, one POST /auth/mfa/verify each (a code works once per account and step), each after one`,
    "Argon2id verify; medians. The TOTP check: findMatchingTotpStep (@oslojs/otp, pure JavaScript) in Node against",
    `crypto.subtle.digest("SHA-256") of a 43-character token, ${check.iterations} calls each.`,
    "",
  ];
  return { summaryRows, lines };
}
