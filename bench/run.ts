/**
 * `npm run bench` (issue 7): builds the worker as it would be deployed
 * (`wrangler deploy --dry-run`), serves it with Miniflare directly on
 * 127.0.0.1 with a throwaway CA and a fresh D1 database, drives it with
 * autocannon at concurrency 8 and prints, per workload, requests/s, p50/p99
 * latency and CPU ms per operation of the workerd process (utime+stime from
 * /proc, every thread incl. GC and D1, minus an empty-handler baseline); the
 * issuance core's CPU inside workerd (bench/core-worker.ts, fast vs general
 * path vs bare cryptography); the gzipped bundle size; and cold-start time.
 * When `cfssl` is on the PATH, `cfssl serve` with a P-256 CA is measured in
 * alternation with edgeca (ratio per round and median).
 *
 * Loopback only, bounded (fixed durations, fixed round counts), stops by
 * itself. Results go to bench/results/<timestamp>.json.
 * Options (env): BENCH_SECONDS (default 5), BENCH_ROUNDS (default 5 for the
 * P-256/cfssl alternation, 3 elsewhere), BENCH_QUICK=1 (1 s, 1 round).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
// autocannon ships no types; bench/ is outside the typechecked tree.
import autocannon from "autocannon";
import { Miniflare } from "miniflare";
import { buildPublic } from "../scripts/build-public.ts";
import { applyMigrationFiles } from "../test/helpers/local-d1.ts";
import { createTestAuthority } from "../test/helpers/test-authority.ts";
import { githubClaims, signingKey, startOidcServer, type OidcServer } from "../test/helpers/oidc-issuer.ts";
import { acmeBench } from "./acme.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const QUICK = process.env.BENCH_QUICK === "1";
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 1 : 5));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3));
const CFSSL_ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 5));
const CONNECTIONS = 8;
const PROFILE = process.env.BENCH_PROFILE;
/** BENCH_ONLY=<regex>: only the workloads whose name matches (and skip cold start and the core), for quick iterations. */
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY, "i") : null;
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

process.env.WRANGLER_SEND_METRICS = "false";
process.env.CLOUDFLARE_INCLUDE_PROCESS_ENV = "false";

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const log = (s: string) => process.stderr.write(s + "\n");

/** CPU seconds (user+system, all threads) of a process, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 (utime, stime) are at offsets 11 and 12 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** CPU seconds of the process's main thread alone (where workerd runs every isolate, D1's included), from /proc/<pid>/task/<pid>/stat. */
function mainThreadCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function childPids(comm: string): Set<number> {
  const out = new Set<number>();
  const walk = (parent: number) => {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (ppid === parent) {
          if (name === comm) out.add(Number(entry));
          walk(Number(entry));
        }
      } catch {
        // the process ended while we looked
      }
    }
  };
  walk(process.pid);
  return out;
}

/**
 * Starts Miniflare and finds the workerd process it spawned. `url` goes
 * through Miniflare's entry worker (what `wrangler dev` and the default
 * Miniflare socket serve: a JavaScript proxy that costs ~0.13 ms of CPU per
 * request); `direct` is Miniflare's direct socket to the worker itself, as
 * production serves it, with no proxy isolate in front.
 */
async function startMiniflare(options: ConstructorParameters<typeof Miniflare>[0]): Promise<{ mf: Miniflare; url: string; direct: string; pid: number }> {
  const before = childPids("workerd");
  const mf = new Miniflare({ host: "127.0.0.1", port: 0, unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }], ...options } as never);
  const url = (await mf.ready).origin;
  const direct = (await (mf as unknown as { unsafeGetDirectURL(): Promise<URL> }).unsafeGetDirectURL()).origin;
  const pids = [...childPids("workerd")].filter((p) => !before.has(p));
  if (pids.length !== 1) throw new Error(`expected one new workerd process, found ${pids.length}`);
  return { mf, url, direct, pid: pids[0]! };
}

/**
 * V8's sampling profiler on one isolate of a workerd process over the inspector (as bench/profile-workerd.ts
 * does): the worker's own ("core:user:"), or the local D1 simulator's ("d1:db:<name>"). `busyMs` of a
 * profile is its sampled time minus idle: the CPU that isolate spent.
 */
async function startProfiler(port: number, title: RegExp): Promise<{ start(): Promise<void>; stop(): Promise<{ profile: unknown; busyMs: number }>; close(): void }> {
  const { connectInspector } = await import("./inspector.ts");
  const { send, close } = await connectInspector(port, (t) => title.test(t));
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  return {
    start: async () => void (await send("Profiler.start")),
    async stop() {
      const { profile } = await send("Profiler.stop");
      const idle = new Set(profile!.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
      let busy = 0;
      profile!.samples.forEach((sample, k) => {
        if (!idle.has(sample)) busy += profile!.timeDeltas[k] ?? 0;
      });
      return { profile, busyMs: busy / 1000 };
    },
    close,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolvePort(port));
    });
  });
}

interface Load {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** A workload that is meant to be refused: its non-2xx answers are not errors. */
  expectStatus?: number;
}

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  cpuMsPerOp: number;
  mainMsPerOp: number;
  requests: number;
  errors: number;
}

async function drive(load: Load, seconds: number, pid: number | null): Promise<Measured> {
  const cpu0 = pid ? cpuSeconds(pid) : 0;
  const main0 = pid ? mainThreadCpuSeconds(pid) : 0;
  const result = await autocannon({
    url: load.url,
    method: load.method ?? "GET",
    headers: load.headers,
    body: load.body,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    timeout: 30,
  });
  const cpu = pid ? cpuSeconds(pid) - cpu0 : 0;
  const main = pid ? mainThreadCpuSeconds(pid) - main0 : 0;
  const requests = result.requests.total as number;
  return {
    rps: requests / (result.duration as number),
    p50: result.latency.p50 as number,
    p99: result.latency.p99 as number,
    cpuMsPerOp: requests > 0 ? (cpu * 1000) / requests : NaN,
    mainMsPerOp: requests > 0 ? (main * 1000) / requests : NaN,
    requests,
    errors: (result.errors as number) + (result.timeouts as number) + (load.expectStatus ? 0 : (result.non2xx as number)),
  };
}

function summarize(runs: Measured[], baselineCpu: number, baselineMain = 0) {
  return {
    main_thread_ms_per_op: round(median(runs.map((r) => r.mainMsPerOp)) - baselineMain),
    rps: round(median(runs.map((r) => r.rps)), 0),
    p50_ms: round(median(runs.map((r) => r.p50)), 2),
    p99_ms: round(median(runs.map((r) => r.p99)), 2),
    cpu_ms_per_op_process: round(median(runs.map((r) => r.cpuMsPerOp))),
    cpu_ms_per_op: round(median(runs.map((r) => r.cpuMsPerOp)) - baselineCpu),
    requests: runs.reduce((n, r) => n + r.requests, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    rounds: runs.map((r) => ({ rps: round(r.rps, 0), p50_ms: r.p50, p99_ms: r.p99, cpu_ms_per_op_process: round(r.cpuMsPerOp) })),
  };
}

function build(entryConfig: string | null, outdir: string): void {
  const args = ["wrangler", "deploy", "--dry-run", "--outdir", outdir];
  if (entryConfig) args.push("--config", entryConfig);
  execFileSync("npx", args, { cwd: root, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, CI: "true", WRANGLER_LOG: "error" } });
}

function bundleSize(outdir: string) {
  let raw = 0;
  let gz = 0;
  for (const f of readdirSync(outdir)) {
    if (f.endsWith(".map") || f === "README.md") continue;
    const bytes = readFileSync(join(outdir, f));
    raw += bytes.length;
    gz += gzipSync(bytes, { level: 9 }).length;
  }
  return { bytes: raw, gzip_bytes: gz, gzip_kib: round(gz / 1024, 1) };
}

async function applyMigrations(mf: Miniflare): Promise<void> {
  await applyMigrationFiles((await mf.getD1Database("DB")) as unknown as D1Database);
}

/** The one .js module a dry-run wrote (named after the entry point). */
function mainModule(outdir: string): string {
  const js = readdirSync(outdir).filter((f) => f.endsWith(".js"));
  if (js.length !== 1) throw new Error(`expected one .js module in ${outdir}, found ${js.join(", ")}`);
  return join(outdir, js[0]!);
}

const EMPTY_WORKER = 'export default { fetch() { return new Response("ok"); } };';

async function main() {
  const scratch = mkdtempSync(join(tmpdir(), "edgeca-bench-"));
  const children: ChildProcess[] = [];
  const servers: Miniflare[] = [];
  let oidc: OidcServer | undefined;
  const compatibilityDate = /compatibility_date\s*=\s*"([^"]+)"/.exec(readFileSync(join(root, "wrangler.toml"), "utf8"))?.[1] ?? "2026-04-20";
  try {
    // 1. Build what `wrangler deploy` would upload, and the core-only bench worker.
    log("building the worker (wrangler deploy --dry-run) …");
    buildPublic(root); // wrangler refuses a missing [assets] directory
    const appOut = join(scratch, "app");
    build(null, appOut);
    const bundle = bundleSize(appOut);
    const minOut = join(scratch, "app-min");
    execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--minify", "--outdir", minOut], { cwd: root, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, CI: "true", WRANGLER_LOG: "error" } });
    const bundleMinified = bundleSize(minOut);
    const coreToml = join(scratch, "core-wrangler.toml");
    writeFileSync(coreToml, `name = "edgeca-bench-core"\nmain = ${JSON.stringify(join(root, "bench", "core-worker.ts"))}\ncompatibility_date = "${compatibilityDate}"\n`);
    const coreOut = join(scratch, "core");
    build(coreToml, coreOut);

    const authority = await createTestAuthority();
    const token = authority.tokens.admin;
    // Workload identity: a loopback OIDC issuer (discovery + JWKS over HTTP, as GitHub's), RS256 like GitHub's and ES256 keys.
    oidc = await startOidcServer();
    const rsIssuer = await oidc.issuer("bench-rs256");
    const esIssuer = await oidc.issuer("bench-es256", [await signingKey("ES256")]);
    const oidcAudience = "https://edgeca.example.com";
    const oidcTrust = [rsIssuer, esIssuer].map((i, n) => ({ name: `bench-oidc-${n}`, issuer: i.url, audience: oidcAudience, claims: { repository: "example/infra" }, scopes: ["issue"], allow: ["cp.example.com"] }));
    const appOptions = {
      modules: true,
      scriptPath: mainModule(appOut),
      modulesRoot: appOut,
      compatibilityDate,
      bindings: { ...authority.bindings, MAX_TTL: "397d", DEFAULT_TTL: "90d", CORS_ORIGINS: "", OIDC_TRUST: JSON.stringify(oidcTrust) },
      d1Databases: { DB: "edgeca-bench" },
      d1Persist: join(scratch, "d1"),
      // BENCH_PROFILE=<file.cpuprofile>: V8's sampling profile of the isolate thread during the ACME rounds (bench/summarize-profile.ts reads it).
      ...(PROFILE ? { inspectorPort: await freePort() } : {}),
    };

    // 2. Cold start: spawn → first answer, the app vs an empty worker (median of 5); CPU of workerd over the same span.
    log("cold start …");
    const cold = { app_ms: [] as number[], empty_ms: [] as number[], app_cpu_ms: [] as number[], empty_cpu_ms: [] as number[] };
    for (let i = 0; i < (ONLY ? 0 : QUICK ? 1 : 5); i++) {
      for (const which of ["empty", "app"] as const) {
        const t0 = performance.now();
        // The empty worker gets the same D1 binding, so the difference is the bundle's compile + evaluation (+ routing a 404).
        const s = await startMiniflare(
          which === "app"
            ? { ...appOptions, d1Persist: join(scratch, `cold-${i}`) }
            : { modules: true, script: EMPTY_WORKER, compatibilityDate, d1Databases: { DB: "edgeca-bench" }, d1Persist: join(scratch, `cold-empty-${i}`) },
        );
        const res = await fetch(`${s.url}/no-such-route`);
        await res.arrayBuffer();
        const ms = performance.now() - t0;
        const cpu = cpuSeconds(s.pid) * 1000;
        await s.mf.dispose();
        cold[`${which}_ms`].push(ms);
        cold[`${which}_cpu_ms`].push(cpu);
      }
    }
    // Module evaluation alone: the bundle's top level in a fresh V8 (Node, the same engine), median of 5 processes.
    const evaluations: number[] = [];
    for (let i = 0; i < (QUICK ? 3 : 5); i++) {
      evaluations.push(Number(execFileSync(process.execPath, [join(root, "bench", "module-evaluation.mjs"), mainModule(appOut)], { encoding: "utf8" }).trim()));
    }
    const coldStart = {
      module_evaluation_ms: round(median(evaluations), 2),
      module_evaluation_runs_ms: evaluations,
      spawn_to_first_response_ms: round(median(cold.app_ms), 1),
      empty_worker_spawn_to_first_response_ms: round(median(cold.empty_ms), 1),
      module_overhead_ms: round(median(cold.app_ms) - median(cold.empty_ms), 1),
      module_overhead_cpu_ms: round(median(cold.app_cpu_ms) - median(cold.empty_cpu_ms), 1),
    };

    // 3. Servers: the app, an empty handler (the baseline of the runtime's HTTP path), the core bench worker.
    log("starting the worker under Miniflare on 127.0.0.1 …");
    const app = await startMiniflare(appOptions);
    servers.push(app.mf);
    await applyMigrations(app.mf);
    const empty = await startMiniflare({ modules: true, script: EMPTY_WORKER, compatibilityDate });
    servers.push(empty.mf);
    const core = await startMiniflare({ modules: true, scriptPath: mainModule(coreOut), modulesRoot: coreOut, compatibilityDate, bindings: { CA_CERT: authority.bindings.CA_CERT, CA_KEY: authority.bindings.CA_KEY } });
    servers.push(core.mf);

    const auth = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
    const issue = (key: string, origin = app.direct): Load => ({ url: `${origin}/v1/certificates`, method: "POST", headers: auth, body: JSON.stringify({ hostnames: ["cp.example.com"], key }) });
    // A CSR and a chain to verify, made once by the service itself.
    const csrKey = join(scratch, "csr.key");
    const csrFile = join(scratch, "req.csr");
    execFileSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", csrKey, "-subj", "/CN=cp.example.com", "-addext", "subjectAltName=DNS:cp.example.com", "-out", csrFile], { stdio: "ignore" });
    const csr = readFileSync(csrFile, "utf8");
    const issued = (await (await fetch(`${app.url}/v1/certificates`, { method: "POST", headers: auth, body: JSON.stringify({ hostnames: ["cp.example.com"] }) })).json()) as { chain: string; ca: string };
    const verifyBody = JSON.stringify({ chain: issued.chain, roots: issued.ca, hostname: "cp.example.com" });
    const verifyCheck = (await (await fetch(`${app.url}/v1/verify`, { method: "POST", headers: auth, body: verifyBody })).json()) as { valid?: boolean; chain?: unknown[] };
    if (verifyCheck.valid !== true || verifyCheck.chain?.length !== 3) throw new Error(`the verify workload is not a valid 3-certificate chain: ${JSON.stringify(verifyCheck).slice(0, 300)}`);

    // GitHub-shaped ID tokens valid for the whole run (lifetime under the 24 h ceiling); the first request warms the key cache.
    const oidcAuth = async (issuer: typeof rsIssuer) => ({ Authorization: `Bearer ${await issuer.sign(githubClaims(issuer.url, oidcAudience, { exp: Math.floor(Date.now() / 1000) + 3 * 3600 }))}`, "Content-Type": "application/json" });
    const issueOidc = async (issuer: typeof rsIssuer): Promise<Load> => ({ ...issue("ecdsa-p256"), headers: await oidcAuth(issuer) });
    const workloads: Record<string, Load> = {
      "issue P-256": issue("ecdsa-p256"),
      // The same issuance authenticated by an OIDC token instead of an API token (issue 13's goal: within 0.1 ms of it).
      "issue P-256, OIDC token (RS256, keys cached)": await issueOidc(rsIssuer),
      "issue P-256, OIDC token (ES256, keys cached)": await issueOidc(esIssuer),
      // The same through Miniflare's entry worker (the proxy isolate `wrangler dev` and the default socket put in front).
      "issue P-256 via entry worker": issue("ecdsa-p256", app.url),
      "issue P-384": issue("ecdsa-p384"),
      "issue RSA-2048": issue("rsa-2048"),
      "sign CSR (P-256)": { url: `${app.direct}/v1/certificates/sign`, method: "POST", headers: auth, body: JSON.stringify({ csr }) },
      "verify (leaf+int+root)": { url: `${app.direct}/v1/verify`, method: "POST", headers: auth, body: verifyBody },
      // Auth + body schema + problem+json, no issuance: what the request path costs before the CA is involved.
      "rejected issue (400 after auth+schema)": { url: `${app.direct}/v1/certificates`, method: "POST", headers: auth, body: JSON.stringify({ hostnames: ["cp.example.com"], unknown_field: 1 }), expectStatus: 400 },
    };
    for (const [name, load] of Object.entries(workloads)) {
      const res = await fetch(load.url, { method: load.method, headers: load.headers, body: load.body });
      if (load.expectStatus ? res.status !== load.expectStatus : !res.ok) throw new Error(`${name}: ${res.status} ${await res.text()}`);
    }

    // 4. Core CPU inside workerd: n operations per request, process CPU ÷ operations.
    log("issuance core inside workerd …");
    // Per operation: the isolate thread (where the JavaScript and the cryptography run) and the whole process (adds V8's background GC).
    const coreResults: Record<string, { main_thread: number; process: number }> = {};
    for (const [op, alg] of [["crypto", "ecdsa-p256"], ["crypto-all", "ecdsa-p256"], ["fast", "ecdsa-p256"], ["general", "ecdsa-p256"], ["fast", "ecdsa-p384"], ["fast", "rsa-2048"], ["verify", "ecdsa-p256"]] as const) {
      if (ONLY && !ONLY.test("core")) continue;
      // Enough operations per sample that the 10 ms clock tick is under 1 % of it.
      const n = alg === "rsa-2048" ? 10 : op === "general" ? 200 : alg === "ecdsa-p384" ? 1000 : 3000;
      await (await fetch(`${core.direct}/?op=${op}&alg=${alg}&n=${Math.min(n, 100)}`)).text(); // warm-up
      const main: number[] = [];
      const proc: number[] = [];
      for (let r = 0; r < (QUICK ? 1 : 5); r++) {
        const c0 = cpuSeconds(core.pid);
        const m0 = mainThreadCpuSeconds(core.pid);
        const res = await fetch(`${core.direct}/?op=${op}&alg=${alg}&n=${n}`);
        if (!res.ok) throw new Error(`core ${op}: ${await res.text()}`);
        await res.text();
        proc.push(((cpuSeconds(core.pid) - c0) * 1000) / n);
        main.push(((mainThreadCpuSeconds(core.pid) - m0) * 1000) / n);
      }
      coreResults[`${op} ${alg}`] = { main_thread: round(median(main), 4), process: round(median(proc), 4) };
    }

    // 5. Empty-handler baseline, then every workload.
    log("empty-handler baseline …");
    const baselineRuns: Measured[] = [];
    const entryBaselineRuns: Measured[] = [];
    await drive({ url: `${empty.direct}/` }, 1, null);
    for (let r = 0; r < ROUNDS; r++) {
      baselineRuns.push(await drive({ url: `${empty.direct}/` }, SECONDS, empty.pid));
      entryBaselineRuns.push(await drive({ url: `${empty.url}/` }, SECONDS, empty.pid));
    }
    const baseline = summarize(baselineRuns, 0);
    const entryBaseline = summarize(entryBaselineRuns, 0);
    const baselineCpu = baseline.cpu_ms_per_op_process;
    const baselineMain = baseline.main_thread_ms_per_op;

    // cfssl, when installed: a P-256 CA and `cfssl serve` on loopback.
    let cfssl: { url: string; pid: number; version: string } | null = null;
    let cfsslBin: string | null = null;
    try {
      cfsslBin = execFileSync("sh", ["-c", "command -v cfssl"], { encoding: "utf8" }).trim() || null;
    } catch {
      cfsslBin = null;
    }
    if (cfsslBin) {
      const dir = join(scratch, "cfssl");
      mkdirSync(dir);
      execFileSync("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", join(dir, "ca-key.pem")]);
      execFileSync("openssl", ["req", "-x509", "-new", "-key", join(dir, "ca-key.pem"), "-subj", "/CN=cfssl bench CA", "-days", "3650", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", join(dir, "ca.pem")]);
      const port = await freePort();
      const proc = spawn(cfsslBin, ["serve", "-address", "127.0.0.1", "-port", String(port), "-ca", join(dir, "ca.pem"), "-ca-key", join(dir, "ca-key.pem"), "-loglevel", "5"], { stdio: "ignore" });
      children.push(proc);
      // A spawn failure is an 'error' event, uncaught without a listener: report it and run without cfssl's numbers.
      proc.on("error", (e) => console.error(`cfssl: ${e.message}`));
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 100; i++) {
        try {
          await fetch(`${url}/api/v1/cfssl/scaninfo`);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const version = execFileSync(cfsslBin, ["version"], { encoding: "utf8" }).split("\n")[0]!.replace("Version: ", "");
      cfssl = { url, pid: proc.pid!, version };
    }
    const cfsslLoad: Load | null = cfssl
      ? { url: `${cfssl.url}/api/v1/cfssl/newcert`, method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ request: { hosts: ["cp.example.com"], CN: "cp.example.com", key: { algo: "ecdsa", size: 256 } } }) }
      : null;
    if (cfsslLoad) {
      const res = await fetch(cfsslLoad.url, { method: "POST", headers: cfsslLoad.headers, body: cfsslLoad.body });
      const body = (await res.json()) as { success?: boolean };
      if (!body.success) throw new Error("cfssl newcert failed");
    }

    const results: Record<string, ReturnType<typeof summarize>> = {};
    const comparison: { round: number; edgeca_rps: number; cfssl_rps: number; ratio: number; edgeca_p99_ms: number; cfssl_p99_ms: number }[] = [];
    for (const [name, load] of Object.entries(workloads)) {
      if (ONLY && !ONLY.test(name)) continue;
      log(`${name} …`);
      await drive(load, 1, null);
      const runs: Measured[] = [];
      const cfsslRuns: Measured[] = [];
      const rounds = name === "issue P-256" && cfsslLoad ? CFSSL_ROUNDS : ROUNDS;
      if (name === "issue P-256" && cfsslLoad) await drive(cfsslLoad, 1, null);
      for (let r = 0; r < rounds; r++) {
        const m = await drive(load, SECONDS, app.pid);
        runs.push(m);
        if (name === "issue P-256" && cfsslLoad && cfssl) {
          const c = await drive(cfsslLoad, SECONDS, cfssl.pid);
          cfsslRuns.push(c);
          comparison.push({ round: r + 1, edgeca_rps: round(m.rps, 0), cfssl_rps: round(c.rps, 0), ratio: round(m.rps / c.rps, 2), edgeca_p99_ms: m.p99, cfssl_p99_ms: c.p99 });
          log(`  round ${r + 1}: edgeca ${m.rps.toFixed(0)}/s, cfssl ${c.rps.toFixed(0)}/s, ratio ${(m.rps / c.rps).toFixed(2)}`);
        }
      }
      const viaEntry = name.includes("via entry worker");
      results[name] = viaEntry ? summarize(runs, entryBaseline.cpu_ms_per_op_process, entryBaseline.main_thread_ms_per_op) : summarize(runs, baselineCpu, baselineMain);
      if (cfsslRuns.length) results["cfssl newcert P-256"] = summarize(cfsslRuns, 0);
    }

    // ACME issuance next to POST /v1/certificates/sign, alternating rounds (bench/acme.ts; budget ≤ 2× CPU per certificate).
    let acme: Awaited<ReturnType<typeof acmeBench>> | null = null;
    let acmeD1Calls: Record<string, number> | null = null;
    if (!ONLY || ONLY.test("acme")) {
      log("ACME issuance vs sign …");
      // BENCH_PROFILE: the worker's isolate and the D1 simulator's, profiled round by round, say where each certificate's CPU goes.
      const inspector = (appOptions as { inspectorPort?: number }).inspectorPort;
      const profilers = PROFILE && inspector ? { app: await startProfiler(inspector, /core:user:/), d1: await startProfiler(inspector, /d1:db:edgeca-bench/) } : null;
      const profiles: Record<string, unknown> = {};
      acme = await acmeBench({
        origin: app.direct,
        token,
        csrPem: csr,
        pid: app.pid,
        seconds: SECONDS,
        rounds: ROUNDS,
        concurrency: CONNECTIONS,
        cpuSeconds,
        mainThreadCpuSeconds,
        baseline: { process: baselineCpu, main: baselineMain },
        log,
        ...(profilers
          ? {
              profile: {
                async begin() {
                  await profilers.app.start();
                  await profilers.d1.start();
                },
                async end(which: string, round: number) {
                  const app = await profilers.app.stop();
                  const d1 = await profilers.d1.stop();
                  profiles[`${which}-${round}-app`] = app.profile;
                  profiles[`${which}-${round}-d1`] = d1.profile;
                  return { appMs: app.busyMs, d1Ms: d1.busyMs };
                },
              },
            }
          : {}),
      });
      if (profilers) {
        profilers.app.close();
        profilers.d1.close();
        for (const [name, profile] of Object.entries(profiles)) writeFileSync(`${PROFILE}.${name}.cpuprofile`, JSON.stringify(profile));
        log(`profiles: ${PROFILE}.<acme|sign>-<round>-<app|d1>.cpuprofile (tsx bench/summarize-profile.ts <file>)`);
      }
      // Where that CPU goes locally: D1 calls per request (each ~0.7–0.9 ms of workerd's CPU in the simulator).
      const { countAcmeD1Calls } = await import("./acme-d1-calls.ts");
      const counts = await countAcmeD1Calls();
      acmeD1Calls = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v.length]));
    }

    const workerdVersion = (() => {
      try {
        return execFileSync(join(root, "node_modules", ".bin", "workerd"), ["--version"], { encoding: "utf8" }).trim();
      } catch {
        return "unknown";
      }
    })();
    const report = {
      at: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version, workerd: workerdVersion, cfssl: cfssl?.version ?? null, load_average_note: "shared machine: other test runs were active" },
      settings: { connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS, cfssl_rounds: cfsslLoad ? CFSSL_ROUNDS : 0, cpu_method: "workerd process utime+stime (/proc/<pid>/stat, all threads) ÷ requests, minus the empty-handler baseline" },
      bundle: { ...bundle, minified: bundleMinified },
      cold_start: coldStart,
      core_cpu_ms_per_op_in_workerd: coreResults,
      baseline_empty_handler: baseline,
      baseline_empty_handler_via_entry_worker: entryBaseline,
      workloads: results,
      cfssl_comparison: cfsslLoad ? { rounds: comparison, median_ratio: round(median(comparison.map((c) => c.ratio)), 2) } : null,
      acme,
      acme_d1_calls_per_request: acmeD1Calls,
    };
    const dir = join(root, "bench", "results");
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    const file = join(dir, `${report.at.replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
    printTable(report);
    console.log(`\nresults: ${file}`);
  } finally {
    for (const c of children) c.kill("SIGTERM");
    for (const s of servers) await s.dispose().catch(() => undefined);
    await oidc?.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

function printTable(r: {
  machine: { cpu: string; cores: number; workerd: string; cfssl: string | null };
  bundle: { gzip_kib: number; bytes: number; minified: { gzip_kib: number } };
  cold_start: Record<string, number>;
  core_cpu_ms_per_op_in_workerd: Record<string, { main_thread: number; process: number }>;
  baseline_empty_handler: { rps: number; cpu_ms_per_op_process: number; main_thread_ms_per_op: number };
  baseline_empty_handler_via_entry_worker: { rps: number; cpu_ms_per_op_process: number; main_thread_ms_per_op: number };
  workloads: Record<string, { rps: number; p50_ms: number; p99_ms: number; cpu_ms_per_op: number; cpu_ms_per_op_process: number; main_thread_ms_per_op: number; errors: number }>;
  cfssl_comparison: { rounds: { round: number; ratio: number; edgeca_p99_ms: number; cfssl_p99_ms: number }[]; median_ratio: number } | null;
  acme: Awaited<ReturnType<typeof acmeBench>> | null;
  acme_d1_calls_per_request: Record<string, number> | null;
}) {
  const lines: string[] = [];
  lines.push(`machine: ${r.machine.cpu}, ${r.machine.cores} cores; workerd ${r.machine.workerd}; cfssl ${r.machine.cfssl ?? "not installed"}; concurrency ${CONNECTIONS}; medians`);
  lines.push("");
  lines.push("| workload | req/s | p50 ms | p99 ms | CPU ms/op, isolate thread − baseline | CPU ms/op, process − baseline | errors |");
  lines.push("|---|---:|---:|---:|---:|---:|---:|");
  for (const [name, w] of Object.entries(r.workloads)) {
    if (name.startsWith("cfssl")) lines.push(`| ${name} | ${w.rps} | ${w.p50_ms} | ${w.p99_ms} | | ${w.cpu_ms_per_op_process} (cfssl process) | ${w.errors} |`);
    else lines.push(`| ${name} | ${w.rps} | ${w.p50_ms} | ${w.p99_ms} | ${w.main_thread_ms_per_op} | ${w.cpu_ms_per_op} | ${w.errors} |`);
  }
  for (const [name, b] of [["empty handler (baseline)", r.baseline_empty_handler], ["empty handler via entry worker", r.baseline_empty_handler_via_entry_worker]] as const) {
    lines.push(`| ${name} | ${b.rps} | | | ${b.main_thread_ms_per_op} (absolute) | ${b.cpu_ms_per_op_process} (absolute) | |`);
  }
  if (r.cfssl_comparison && r.cfssl_comparison.rounds.length) {
    lines.push(`\nedgeca/cfssl P-256 issuance ratio per round: ${r.cfssl_comparison.rounds.map((c) => c.ratio).join(", ")}; median ${r.cfssl_comparison.median_ratio}`);
    lines.push(`p99 per round (edgeca/cfssl ms): ${r.cfssl_comparison.rounds.map((c) => `${c.edgeca_p99_ms}/${c.cfssl_p99_ms}`).join(", ")}`);
  }
  if (r.acme) {
    lines.push("\n| per certificate | certs/s | p50 ms | p99 ms | requests | CPU ms, process | CPU ms, process − baseline | CPU ms, isolate thread − baseline | errors |");
    lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const [name, w] of Object.entries(r.acme)) {
      if (typeof w !== "object") continue;
      lines.push(`| ${name} | ${w.certificates_per_s} | ${w.p50_ms} | ${w.p99_ms} | ${w.requests_per_certificate} | ${w.cpu_ms_per_certificate_process} | ${w.cpu_ms_per_certificate} | ${w.main_thread_ms_per_certificate} | ${w.errors} |`);
    }
    if (r.acme_d1_calls_per_request) lines.push(`D1 calls per request: ${Object.entries(r.acme_d1_calls_per_request).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    lines.push(`ACME/sign CPU per certificate: ${r.acme.cpu_ratio_process}× (process), ${r.acme.cpu_ratio_minus_baseline}× (minus the empty-handler baseline per request); budget ≤ ${r.acme.budget}×: ${r.acme.within_budget ? "within" : "OVER"}`);
  }
  const core = Object.entries(r.core_cpu_ms_per_op_in_workerd);
  if (core.length) lines.push(`\nissuance core inside workerd (CPU ms/op, isolate thread / process): ${core.map(([k, v]) => `${k} ${v.main_thread} / ${v.process}`).join("; ")}`);
  lines.push(`bundle (wrangler deploy --dry-run): ${r.bundle.gzip_kib} KiB gzipped (${(r.bundle.bytes / 1024).toFixed(0)} KiB raw); with --minify ${r.bundle.minified.gzip_kib} KiB gzipped`);
  if (!Number.isNaN(r.cold_start.spawn_to_first_response_ms)) {
    lines.push(`cold start (spawn → first response, median): ${r.cold_start.spawn_to_first_response_ms} ms vs empty worker ${r.cold_start.empty_worker_spawn_to_first_response_ms} ms → module overhead ${r.cold_start.module_overhead_ms} ms wall, ${r.cold_start.module_overhead_cpu_ms} ms CPU`);
  }
  if (r.cold_start.module_evaluation_ms !== undefined) {
    lines.push(`module evaluation (top level of the bundle in a fresh V8, median): ${r.cold_start.module_evaluation_ms} ms`);
  }
  console.log(lines.join("\n"));
}

await main();
