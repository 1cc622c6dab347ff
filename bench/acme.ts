/**
 * "ACME issuance" for `npm run bench` (issue 19's budget): with an account
 * registered once (EAB from POST /v1/acme/eab), each certificate is
 * newOrder → finalize → download (three JWS POSTs, each with the nonce of
 * the previous answer), driven by `concurrency` loops on workerd's own
 * socket. Side by side, in alternating rounds of the same length, one
 * POST /v1/certificates/sign of the same CSR per certificate through the same
 * kind of loop. CPU per certificate is the workerd process's utime+stime
 * over the round ÷ certificates (and its isolate thread's alone); the
 * budget is ACME ≤ 2× sign.
 */
import { generateKeyPair } from "jose";
import { AcmeClient } from "../test/helpers/acme-client.ts";

export interface AcmeBenchOptions {
  /** the worker's origin (Miniflare's direct socket) */
  origin: string;
  /** a token with scope sign (admin) whose policy allows cp.example.com */
  token: string;
  csrPem: string;
  pid: number;
  seconds: number;
  rounds: number;
  concurrency: number;
  cpuSeconds(pid: number): number;
  mainThreadCpuSeconds(pid: number): number;
  /** the empty handler's CPU per request (process, isolate thread), subtracted per request made */
  baseline: { process: number; main: number };
  log(line: string): void;
  /** BENCH_PROFILE: profile each round; `end` gives the busy CPU ms of the worker's isolate and of the D1 simulator's. */
  profile?: { begin(): Promise<void>; end(which: "acme" | "sign", round: number): Promise<{ appMs: number; d1Ms: number }> } | undefined;
}

interface Round {
  certificates: number;
  requests: number;
  seconds: number;
  cpuMsPerCert: number;
  mainMsPerCert: number;
  latenciesMs: number[];
  errors: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/** `concurrency` loops each calling `once` (one certificate; it returns the requests it made) until `seconds` pass. */
async function loop(o: AcmeBenchOptions, once: (worker: number) => Promise<number>): Promise<Round> {
  const cpu0 = o.cpuSeconds(o.pid);
  const main0 = o.mainThreadCpuSeconds(o.pid);
  const t0 = performance.now();
  const deadline = t0 + o.seconds * 1000;
  const latenciesMs: number[] = [];
  let requests = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: o.concurrency }, async (_, w) => {
      while (performance.now() < deadline) {
        const start = performance.now();
        try {
          // Not `requests += await …`: that reads `requests` before the await, losing the other loops' counts.
          const made = await once(w);
          requests += made;
          latenciesMs.push(performance.now() - start);
        } catch (error) {
          errors++;
          if (errors <= 3) o.log(`  error: ${(error as Error).message.slice(0, 300)}`);
          if (errors > 20) throw error;
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const certificates = latenciesMs.length;
  return {
    certificates,
    requests,
    seconds,
    cpuMsPerCert: ((o.cpuSeconds(o.pid) - cpu0) * 1000) / certificates,
    mainMsPerCert: ((o.mainThreadCpuSeconds(o.pid) - main0) * 1000) / certificates,
    latenciesMs,
    errors,
  };
}

function summarize(rounds: Round[], baseline: { process: number; main: number }) {
  const requestsPerCert = rounds.reduce((n, r) => n + r.requests, 0) / Math.max(1, rounds.reduce((n, r) => n + r.certificates, 0));
  const cpu = median(rounds.map((r) => r.cpuMsPerCert));
  const main = median(rounds.map((r) => r.mainMsPerCert));
  const latencies = rounds.flatMap((r) => r.latenciesMs);
  return {
    certificates_per_s: round(median(rounds.map((r) => r.certificates / r.seconds)), 0),
    p50_ms: round(quantile(latencies, 0.5), 2),
    p99_ms: round(quantile(latencies, 0.99), 2),
    requests_per_certificate: round(requestsPerCert, 2),
    cpu_ms_per_certificate_process: round(cpu),
    cpu_ms_per_certificate: round(cpu - baseline.process * requestsPerCert),
    main_thread_ms_per_certificate: round(main - baseline.main * requestsPerCert),
    certificates: rounds.reduce((n, r) => n + r.certificates, 0),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    rounds: rounds.map((r) => ({ certificates_per_s: round(r.certificates / r.seconds, 0), cpu_ms_per_certificate_process: round(r.cpuMsPerCert) })),
  };
}

export async function acmeBench(o: AcmeBenchOptions) {
  const auth = { authorization: `Bearer ${o.token}`, "content-type": "application/json" };
  const eabRes = await fetch(`${o.origin}/v1/acme/eab`, { method: "POST", headers: auth, body: "{}" });
  if (eabRes.status !== 201) throw new Error(`POST /v1/acme/eab: ${eabRes.status} ${await eabRes.text()}`);
  const eab = (await eabRes.json()) as { kid: string; hmac_key: string; directory: string };
  // One account (ES256, what lego and most clients use), shared by every loop: each loop keeps its own nonce.
  const accountKey = { ...(await generateKeyPair("ES256", { extractable: true })), alg: "ES256" };
  const first = await AcmeClient.connect(eab.directory, accountKey);
  const reg = await first.register(eab);
  if (reg.status !== 201) throw new Error(`newAccount: ${reg.status} ${reg.body}`);
  const clients = [first];
  for (let i = 1; i < o.concurrency; i++) {
    const c = await AcmeClient.connect(eab.directory, accountKey);
    c.kid = first.kid;
    clients.push(c);
  }
  const csrDer = Buffer.from(o.csrPem.replace(/-----[^-]+-----|\s/g, ""), "base64");
  const identifiers = [{ type: "dns", value: "cp.example.com" }];
  // Warm-up and a correctness check: the chain must come back as PEM.
  const warm = await first.issue(identifiers, csrDer);
  if (!warm.chainPem.includes("-----BEGIN CERTIFICATE-----")) throw new Error("ACME download is not a PEM chain");

  const acmeOnce = async (w: number) => {
    const c = clients[w]!;
    const before = c.log.length;
    await c.issue(identifiers, csrDer);
    return c.log.length - before;
  };
  const signBody = JSON.stringify({ csr: o.csrPem });
  const signOnce = async () => {
    const res = await fetch(`${o.origin}/v1/certificates/sign`, { method: "POST", headers: auth, body: signBody });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`sign: ${res.status} ${text.slice(0, 300)}`);
    return 1;
  };
  await loop({ ...o, seconds: 1 }, signOnce);

  const acmeRounds: Round[] = [];
  const signRounds: Round[] = [];
  const split: Record<"acme" | "sign", { appMs: number; d1Ms: number; certificates: number }[]> = { acme: [], sign: [] };
  const profiled = async (which: "acme" | "sign", r: number, once: (w: number) => Promise<number>): Promise<Round> => {
    await o.profile?.begin();
    const round = await loop(o, once);
    const busy = await o.profile?.end(which, r);
    if (busy) split[which].push({ ...busy, certificates: round.certificates });
    return round;
  };
  for (let r = 0; r < o.rounds; r++) {
    acmeRounds.push(await profiled("acme", r, acmeOnce));
    signRounds.push(await profiled("sign", r, signOnce));
    const a = acmeRounds.at(-1)!;
    const s = signRounds.at(-1)!;
    const where = (which: "acme" | "sign") => {
      const b = split[which].at(-1);
      return b ? ` (worker isolate ${(b.appMs / b.certificates).toFixed(2)}, D1 simulator ${(b.d1Ms / b.certificates).toFixed(2)})` : "";
    };
    o.log(`  round ${r + 1}: ACME ${a.cpuMsPerCert.toFixed(2)} ms CPU/cert${where("acme")} (${(a.certificates / a.seconds).toFixed(0)}/s), sign ${s.cpuMsPerCert.toFixed(2)} ms CPU/cert${where("sign")} (${(s.certificates / s.seconds).toFixed(0)}/s)`);
  }
  const perCert = (which: "acme" | "sign") =>
    split[which].length ? { worker_isolate_ms_per_certificate: round(median(split[which].map((b) => b.appMs / b.certificates))), d1_simulator_ms_per_certificate: round(median(split[which].map((b) => b.d1Ms / b.certificates))) } : {};
  const acme = summarize(acmeRounds, o.baseline);
  const sign = summarize(signRounds, o.baseline);
  const ratioProcess = round(acme.cpu_ms_per_certificate_process / sign.cpu_ms_per_certificate_process, 2);
  return {
    "ACME issuance (newOrder → finalize → download)": { ...acme, ...perCert("acme") },
    "POST /v1/certificates/sign (same CSR, same loop)": { ...sign, ...perCert("sign") },
    cpu_ratio_process: ratioProcess,
    cpu_ratio_minus_baseline: round(acme.cpu_ms_per_certificate / sign.cpu_ms_per_certificate, 2),
    budget: 2,
    within_budget: ratioProcess <= 2,
  };
}
