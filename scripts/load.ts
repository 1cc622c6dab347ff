/**
 * `npm run load [-- --seconds 60 --concurrency 32]`: mixed issue / sign /
 * verify / list traffic against a local worker (loopback only, bounded in
 * time), then a ledger audit: the ledger must hold exactly the certificates
 * that were returned 2xx, with unique serials. Exits non-zero on any 5xx or
 * any mismatch.
 */
import { parseArgs } from "node:util";
import { x509 } from "../src/pki/x509.ts";
import { startRunningWorker } from "../test/helpers/running-worker.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "60" }, concurrency: { type: "string", default: "32" } } });
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);

const worker = await startRunningWorker();
const token = worker.authority.tokens.admin;
const auth = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };

const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
const csr = (await x509.Pkcs10CertificateRequestGenerator.create({ name: "CN=load.example.com", keys, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } })).toString("pem");
const seed = (await (await fetch(`${worker.url}/v1/certificates`, { method: "POST", headers: auth, body: JSON.stringify({ hostnames: ["seed.load.example.com"] }) })).json()) as { chain: string; serial_number: string };

type Op = "issue" | "sign" | "verify" | "list";
const OPS: Op[] = ["issue", "issue", "sign", "verify", "list"];
const latencies: Record<Op, number[]> = { issue: [], sign: [], verify: [], list: [] };
const statuses = new Map<string, number>();
const returned = new Set<string>([seed.serial_number]);
let duplicates = 0;

async function once(op: Op): Promise<void> {
  const started = performance.now();
  let res: Response;
  try {
    switch (op) {
      case "issue":
        res = await fetch(`${worker.url}/v1/certificates`, { method: "POST", headers: auth, body: JSON.stringify({ hostnames: [`h${Math.floor(Math.random() * 1e6)}.load.example.com`] }) });
        break;
      case "sign":
        res = await fetch(`${worker.url}/v1/certificates/sign`, { method: "POST", headers: auth, body: JSON.stringify({ csr, hostnames: ["sign.load.example.com"] }) });
        break;
      case "verify":
        res = await fetch(`${worker.url}/v1/verify`, { method: "POST", headers: auth, body: JSON.stringify({ chain: seed.chain, hostname: "seed.load.example.com" }) });
        break;
      case "list":
        res = await fetch(`${worker.url}/v1/certificates?hostname=.load.example.com&limit=20`, { headers: auth });
        break;
    }
  } catch (e) {
    statuses.set(`${op} network-error`, (statuses.get(`${op} network-error`) ?? 0) + 1);
    return;
  }
  const body = await res.text();
  latencies[op].push(performance.now() - started);
  statuses.set(`${op} ${res.status}`, (statuses.get(`${op} ${res.status}`) ?? 0) + 1);
  if ((op === "issue" || op === "sign") && res.status === 201) {
    const serial = (JSON.parse(body) as { serial_number: string }).serial_number;
    if (returned.has(serial)) duplicates++;
    returned.add(serial);
  }
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

console.log(`load: ${concurrency} concurrent clients for ${seconds} s against ${worker.url} (loopback)`);
const deadline = Date.now() + seconds * 1000;
const started = Date.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (Date.now() < deadline) await once(OPS[Math.floor(Math.random() * OPS.length)]!);
  }),
);
const elapsed = (Date.now() - started) / 1000;

let failed = false;
try {
  const total = Object.values(latencies).reduce((n, l) => n + l.length, 0);
  console.log(`\nthroughput: ${(total / elapsed).toFixed(0)} requests/s (${total} in ${elapsed.toFixed(1)} s)`);
  console.log("op       count    p50 ms   p99 ms");
  for (const op of Object.keys(latencies) as Op[]) {
    const l = latencies[op];
    console.log(`${op.padEnd(8)} ${String(l.length).padStart(6)} ${pct(l, 50).toFixed(1).padStart(9)} ${pct(l, 99).toFixed(1).padStart(8)}`);
  }
  console.log("\nstatus counts:");
  for (const [k, n] of [...statuses].sort()) console.log(`  ${k}: ${n}`);
  const fiveXX = [...statuses].filter(([k]) => / 5\d\d$|network-error/.test(k)).reduce((n, [, v]) => n + v, 0);

  // Ledger audit: page through every certificate this token obtained. The load used up the token's rate
  // limit, so a page answered 429 is asked again after its Retry-After.
  const listPage = async (after: string | null): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${worker.url}/v1/certificates?token=test-admin&limit=500${after ? `&cursor=${after}` : ""}`, { headers: auth });
      if (res.status !== 429 || attempt >= 5) {
        if (!res.ok) throw new Error(`ledger listing answered ${res.status}: ${await res.text()}`);
        return res;
      }
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, Number(res.headers.get("Retry-After") ?? "60") * 1000));
    }
  };
  const ledger = new Set<string>();
  let ledgerRows = 0;
  let cursor: string | null = null;
  do {
    const page = (await (await listPage(cursor)).json()) as { certificates: { serial_number: string }[]; next_cursor: string | null };
    for (const c of page.certificates) {
      ledgerRows++;
      ledger.add(c.serial_number);
    }
    cursor = page.next_cursor;
  } while (cursor);
  const missing = [...returned].filter((s) => !ledger.has(s));
  const unreturned = [...ledger].filter((s) => !returned.has(s));
  console.log(`\nledger: ${ledgerRows} rows, ${ledger.size} distinct serials; returned 2xx: ${returned.size}; duplicates returned: ${duplicates}`);
  console.log(`ledger check: ${missing.length} returned but not recorded, ${unreturned.length} recorded but not returned`);
  failed = fiveXX > 0 || missing.length > 0 || unreturned.length > 0 || duplicates > 0 || ledgerRows !== ledger.size;
  console.log(failed ? "load: FAILED" : `load: OK — zero 5xx, the ledger matches exactly`);
} finally {
  await worker.stop();
}
process.exitCode = failed ? 1 : 0;
