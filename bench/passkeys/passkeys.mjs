// The passkey figure of issue 13, ratios within one run (the machine is shared):
// - the assertion check alone (POST /bench/passkey-verify: verifyAuthenticationResponse as a
//   passkey sign-in calls it, ES256 over WebCrypto, no D1) against one Argon2id verify
//   (POST /bench/verify, production parameters), both behind the same global middleware;
// - a whole passkey sign-in (POST /auth/passkeys/login/verify: challenge CAS, credential read,
//   the check, counter update, session) against a whole password login (POST /auth/login).
// Each is measured as workerd's CPU time (utime + stime, all threads, local D1 included) summed
// over sequential requests, and as the client's median wall time. The software authenticator of
// the tests (test/helpers/webauthn-authenticator.ts) makes every assertion, from Node.
import { SoftwareAuthenticator } from "../../test/helpers/webauthn-authenticator.ts";
import { cpuMs, median } from "../http/benches.mjs";
import { PASSWORD } from "../http/harness.mjs";

/** Sequential requests of one kind interleaved with the others, so drift falls on all alike. */
function recorder(pid) {
  const cases = new Map();
  return {
    async time(name, send) {
      const cpuBefore = cpuMs(pid);
      const started = performance.now();
      const response = await send();
      const wall = performance.now() - started;
      const cpu = cpuMs(pid) - cpuBefore;
      if (response.status !== 200) throw new Error(`${name}: ${response.status} ${response.text.slice(0, 300)}`);
      const entry = cases.get(name) ?? { wall: [], cpuMs: 0 };
      entry.wall.push(wall);
      entry.cpuMs += cpu;
      cases.set(name, entry);
    },
    summary() {
      return Object.fromEntries(
        [...cases].map(([name, entry]) => [
          name,
          { n: entry.wall.length, wallMs: median(entry.wall), cpuMsPerRequest: entry.cpuMs / entry.wall.length },
        ]),
      );
    },
  };
}

/** A verified, signed-in account holding one registered passkey. */
async function passkeyAccount(client, createVerifiedAccounts) {
  const [email] = await createVerifiedAccounts(client, "bench-passkey", 1);
  const login = await client.post("/auth/login", { email, password: PASSWORD });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${login.text}`);
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
  const authenticator = new SoftwareAuthenticator();
  const options = await client.post("/auth/passkeys/register/options", {}, { cookie });
  if (options.status !== 200) throw new Error(`register/options: ${options.status} ${options.text}`);
  const response = await authenticator.register(options.json());
  const registered = await client.post("/auth/passkeys/register/verify", { name: "Bench", response }, { cookie });
  if (registered.status !== 201) throw new Error(`register/verify: ${registered.status} ${registered.text}`);
  return { email, authenticator, credentialId: response.id };
}

/** Starts its own workerd on the prepared bench D1. */
export async function runPasskeysBench({ startWorker, createClient, createVerifiedAccounts, plan, log }) {
  const server = await startWorker();
  try {
    const client = createClient(server.url);
    const { email, authenticator, credentialId } = await passkeyAccount(client, createVerifiedAccounts);
    const publicKey = authenticator.publicKeyOf(credentialId);
    const rounds = plan.loginRounds;
    // Warm-up: the isolate's bench hash, the Argon2 WASM instance, the WebCrypto and D1 paths.
    await client.post("/bench/verify", {});
    const record = recorder(server.pid);
    log(`passkeys: ${rounds} rounds of verify / assertion check / password login / passkey sign-in`);
    for (let round = -plan.loginWarmup; round < rounds; round++) {
      const target = round < 0 ? recorder(server.pid) : record;
      const challenge = `YmVuY2gtY2hhbGxlbmdl${round + plan.loginWarmup}`;
      const assertion = await authenticator.authenticate({ challenge, rpId: "localhost" });
      const options = await client.post("/auth/passkeys/login/options", {});
      if (options.status !== 200) throw new Error(`login/options: ${options.status} ${options.text}`);
      const signIn = await authenticator.authenticate(options.json());
      await target.time("argon2_verify", () => client.post("/bench/verify", {}));
      await target.time("assertion_check", () =>
        client.post("/bench/passkey-verify", { response: assertion, public_key: publicKey, challenge }),
      );
      await target.time("password_login", () => client.post("/auth/login", { email, password: PASSWORD }));
      await target.time("passkey_sign_in", () => client.post("/auth/passkeys/login/verify", { response: signIn }));
    }
    return record.summary();
  } finally {
    await server.dispose();
  }
}

const f = (value, digits = 1) => Number(value).toFixed(digits);

export function passkeysReport(cases) {
  const check = cases.assertion_check;
  const argon2 = cases.argon2_verify;
  const ratio = check.cpuMsPerRequest / argon2.cpuMsPerRequest;
  const signInRatio = cases.passkey_sign_in.cpuMsPerRequest / cases.password_login.cpuMsPerRequest;
  const summaryRow = `| Passkey assertion check vs one Argon2id verify (issue 13) | reported | CPU ${f(ratio, 3)} × (${f(check.cpuMsPerRequest, 2)} vs ${f(argon2.cpuMsPerRequest, 2)} ms); whole sign-in ${f(signInRatio, 3)} × a password login | **REPORTED** |`;
  const rows = [
    ["argon2_verify", "POST /bench/verify: one Argon2id verify (m=19456 KiB, t=2, p=1)"],
    ["assertion_check", "POST /bench/passkey-verify: verifyAuthenticationResponse only (ES256, no D1)"],
    ["password_login", "POST /auth/login: a successful password login"],
    ["passkey_sign_in", "POST /auth/passkeys/login/verify: a successful passkey sign-in"],
  ];
  const lines = [
    "## Passkeys (issue 13)",
    "",
    "| Measure | Target | Result | Verdict |",
    "| --- | --- | --- | --- |",
    summaryRow,
    "",
    "| Request | n | workerd CPU ms / request (mean) | vs Argon2id verify | median wall ms |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...rows.map(([name, label]) => {
      const entry = cases[name];
      return `| ${label} | ${entry.n} | ${f(entry.cpuMsPerRequest, 2)} | ${f(entry.cpuMsPerRequest / argon2.cpuMsPerRequest, 3)} | ${f(entry.wallMs, 2)} |`;
    }),
    "",
    "Method: one request at a time, the four kinds interleaved in every round (after warm-up rounds), each from its own",
    "CF-Connecting-IP so no per-IP limit triggers. CPU is workerd's utime + stime from /proc/<pid>/stat (10 ms ticks) read before and",
    "after each request and summed per kind, so it includes the local D1 and the rate-limit objects; the assertion check and the",
    "Argon2id verify touch neither. Every assertion is fresh, made in Node by the tests' software authenticator",
    "(test/helpers/webauthn-authenticator.ts: ES256, user verified); the sign-ins answer a challenge from POST /auth/passkeys/login/options,",
    "which is not timed.",
    "",
  ];
  return { summaryRow, lines };
}
