/**
 * D1 calls per ACME request, next to POST /v1/certificates/sign: the
 * worker's own fetch handler (src/index.ts) run in Node against a local D1
 * (Miniflare's) wrapped in a counter, one certificate each way. Locally a
 * D1 call costs ~0.7–0.9 ms of workerd's CPU (bench/d1-call-cost.ts), which
 * is most of what the "ACME issuance" bench measures; in production a D1
 * call is a round trip, not the Worker's CPU. `npm run bench` prints it with
 * the ACME figures; alone: `tsx bench/acme-d1-calls.ts`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateKeyPair } from "jose";
import worker from "../src/index.ts";
import { AcmeClient } from "../test/helpers/acme-client.ts";
import { openLocalD1 } from "../test/helpers/local-d1.ts";
import { createTestAuthority } from "../test/helpers/test-authority.ts";

type Statement = { bind(...args: unknown[]): Statement } & Record<string, unknown>;

/** D1 with every statement execution (run/first/all/raw) and every batch counted as one call, in order. */
function counting(db: D1Database, record: (what: string) => void): D1Database {
  const wrap = (stmt: Statement, sql: string): Statement =>
    new Proxy(stmt, {
      get(target, prop) {
        const value = target[prop as string] as unknown;
        if (prop === "bind") return (...args: unknown[]) => wrap(target.bind(...args), sql);
        if (typeof value !== "function") return value;
        if (prop === "run" || prop === "first" || prop === "all" || prop === "raw") {
          return (...args: unknown[]) => {
            record(sql.replace(/\s+/g, " ").slice(0, 60));
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
  return new Proxy(db, {
    get(target, prop) {
      const value = (target as unknown as Record<string, unknown>)[prop as string];
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql) as unknown as Statement, sql);
      if (prop === "batch") {
        return (stmts: unknown[]) => {
          record(`batch of ${stmts.length}`);
          return target.batch(stmts as D1PreparedStatement[]);
        };
      }
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export interface D1CallCounts {
  newOrder: string[];
  finalize: string[];
  download: string[];
  sign: string[];
}

export async function countAcmeD1Calls(): Promise<D1CallCounts> {
  const scratch = mkdtempSync(join(tmpdir(), "edgeca-acme-d1-"));
  const local = await openLocalD1({ persist: join(scratch, "d1") });
  try {
    let calls: string[] = [];
    const authority = await createTestAuthority();
    const env = { ...authority.bindings, DB: counting(local.db, (what) => calls.push(what)), MAX_TTL: "397d", DEFAULT_TTL: "90d" };
    const pending: Promise<unknown>[] = [];
    const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p), passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const call = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const res = await worker.fetch(new Request(input, init) as never, env as never, ctx);
      await Promise.all(pending.splice(0));
      return res;
    }) as typeof fetch;
    const origin = "http://edgeca.bench";
    const auth = { authorization: `Bearer ${authority.tokens.admin}`, "content-type": "application/json" };
    const eab = (await (await call(`${origin}/v1/acme/eab`, { method: "POST", headers: auth, body: "{}" })).json()) as { kid: string; hmac_key: string; directory: string };
    const client = await AcmeClient.connect(eab.directory, { ...(await generateKeyPair("ES256", { extractable: true })), alg: "ES256" }, call);
    const reg = await client.register(eab);
    if (reg.status !== 201) throw new Error(`newAccount: ${reg.status} ${reg.body}`);
    const keyFile = join(scratch, "csr.key");
    const csrFile = join(scratch, "req.csr");
    execFileSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile, "-subj", "/CN=cp.example.com", "-addext", "subjectAltName=DNS:cp.example.com", "-out", csrFile], { stdio: "ignore" });
    const csrPem = readFileSync(csrFile, "utf8");
    const csrDer = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ""), "base64");
    await client.freshNonce();
    // Steady state, as the bench measures it: one issuance first (the isolate's copy of the account, the CA's issuer row).
    await client.issue([{ type: "dns", value: "cp.example.com" }], csrDer);
    const measure = async <T>(fn: () => Promise<T>): Promise<{ result: T; calls: string[] }> => {
      calls = [];
      const result = await fn();
      return { result, calls };
    };
    const order = await measure(() => client.post(client.directory.newOrder, { identifiers: [{ type: "dns", value: "cp.example.com" }] }));
    const finalize = await measure(() => client.post((order.result.json as { finalize: string }).finalize, { csr: csrDer.toString("base64url") }));
    const certificate = (finalize.result.json as { certificate?: string }).certificate;
    if (!certificate) throw new Error(`finalize: ${finalize.result.status} ${finalize.result.body}`);
    const download = await measure(() => client.post(certificate, ""));
    const sign = await measure(async () => (await call(`${origin}/v1/certificates/sign`, { method: "POST", headers: auth, body: JSON.stringify({ csr: csrPem }) })).text());
    return { newOrder: order.calls, finalize: finalize.calls, download: download.calls, sign: sign.calls };
  } finally {
    await local.dispose();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const counts = await countAcmeD1Calls();
  for (const [step, calls] of Object.entries(counts)) console.log(`${step}: ${calls.length} D1 call(s): ${calls.join("; ")}`);
}
