/**
 * `npm run bench:ledger`: the lifecycle queries on a ledger of 1,000,000
 * certificates (issue 14, Scale). Fills a local D1 (Miniflare's SQLite, in a
 * scratch directory, migrations applied) with bulk SQL, then times what
 * /metrics, the at-risk list, the expiry alert and the renewal marking on
 * insert run, as D1 reports it (meta.duration: time inside SQLite), and
 * prints each query's EXPLAIN QUERY PLAN.
 *
 * The history: 50,000 name sets, each renewed every 60 days for 20
 * generations (1,200 days), 90-day certificates, 1 in 97 revoked, 20 tokens,
 * two CAs. Today that leaves ~15,000 at risk within 30 days, ~17,000 renewed
 * but unexpired, ~930,000 expired. LEDGER_ROWS=<n> changes the size;
 * LEDGER_STATE=<dir> keeps the filled database there and reuses it.
 *
 * The indexes are dropped during the fill and rebuilt after it from their own
 * definitions (sqlite_master), as a bulk load should: inserting a million rows
 * into seven random-order indexes one by one took minutes.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LIFECYCLE_SQL, ledgerWriteStatements } from "../src/store/d1.ts";
import type { CertificateRecord } from "../src/store/types.ts";
import { lifecycleQueries } from "../test/helpers/lifecycle-queries.ts";
import { openLocalD1 } from "../test/helpers/local-d1.ts";

const ROWS = Number(process.env["LEDGER_ROWS"] ?? 1_000_000);
const KEYS = Math.max(1, Math.min(50_000, Math.floor(ROWS / 20)));
const GENERATIONS = Math.ceil(ROWS / KEYS);
const CHUNK = 100_000;
const LIMIT_MS = 50;
const RUNS = 20;
const DAY = 86_400;

const now = new Date();
const nowSec = Math.floor(now.getTime() / 1000);
const iso = (offsetSeconds: number) => new Date((nowSec + offsetSeconds) * 1000).toISOString();

/** Row i: name set k = i % KEYS, generation g = i / KEYS; created (GENERATIONS-1-g)*60 + k%86 days (and some seconds) ago. */
function fillSql(from: number, to: number): string {
  const createdOf = (g: string) => `(${nowSec} - ((${GENERATIONS - 1} - ${g}) * 60 + k % 86) * ${DAY} - (k * 7919) % ${DAY})`;
  const created = createdOf("g");
  const ts = (secs: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${secs}, 'unixepoch')`;
  const name = `'svc-' || k || '.zone-' || (k % 50) || '.mesh.example.com'`;
  // Two names for one set in three: "api.…" sorts before "svc-…", so the listed order is already the key's.
  const names = `CASE WHEN k % 3 = 0 THEN json_array('api.' || ${name}, ${name}) ELSE json_array(${name}) END`;
  const revoked = `(i % 97 = 13 AND ${created} + 10 * ${DAY} < ${nowSec})`;
  const renewed = `(g < ${GENERATIONS - 1} AND i + ${KEYS} < ${ROWS} AND NOT ${revoked})`;
  return `WITH RECURSIVE seq(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ${to}),
    rows AS (SELECT i, i % ${KEYS} AS k, i / ${KEYS} AS g FROM seq)
  INSERT INTO certificates (serial, sha256_fingerprint, pem, hostnames, usage, key_algorithm, key_source, not_before, not_after, issuer_fingerprint, token_name, request_id, created_at, revoked_at, revocation_reason, renewal_key, renewed_by, renewed_at)
  SELECT printf('%032x', i), printf('%064x', i), '-----BEGIN CERTIFICATE-----' || hex(zeroblob(330)) || '-----END CERTIFICATE-----', ${names}, '["server"]', 'ecdsa-p256',
    CASE WHEN k % 4 = 0 THEN 'csr' ELSE 'generated' END,
    ${ts(`${created} - 300`)}, ${ts(`${created} + 90 * ${DAY}`)},
    CASE WHEN g < ${GENERATIONS / 2} THEN 'old-ca' ELSE 'new-ca' END, 'pipeline-' || (k % 20), 'bench-' || i, ${ts(created)},
    CASE WHEN ${revoked} THEN ${ts(`${created} + 10 * ${DAY}`)} END, CASE WHEN ${revoked} THEN 'superseded' END,
    json_array(json(${names}), json('["server"]')),
    CASE WHEN ${renewed} THEN printf('%032x', i + ${KEYS}) END,
    CASE WHEN ${renewed} THEN ${ts(createdOf("(g + 1)"))} END
  FROM rows`;
}

interface Timed {
  name: string;
  ms: number[];
  plan: string[];
}

/** D1 reports whole milliseconds: the mean of several runs resolves below that. */
function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

async function main() {
  const kept = process.env["LEDGER_STATE"];
  const scratch = kept ?? mkdtempSync(join(tmpdir(), "edgeca-ledger-scale-"));
  const reuse = kept !== undefined && existsSync(join(kept, "filled"));
  const local = reuse ? await openLocalD1({ persist: scratch, id: "ledger-scale", files: [] }) : await openLocalD1({ persist: scratch, id: "ledger-scale" });
  const { db } = local;
  try {
    if (!reuse) await fill(db, scratch);
    if (kept) writeFileSync(join(kept, "filled"), String(ROWS));
    const census = await db.prepare(LIFECYCLE_SQL.states).bind(now.toISOString()).first<Record<string, number>>();
    console.log(`  census: ${JSON.stringify(census)}`);

    // The renewal marking is timed below inside the real write batch (its undoing runs only on a revocation).
    const queries = lifecycleQueries(now).filter((q) => q.sql !== LIFECYCLE_SQL.markRenewed && q.sql !== LIFECYCLE_SQL.unmarkRenewed);
    const results: Timed[] = [];
    for (const q of queries) {
      const plan = (await db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).bind(...q.args).all<{ detail: string }>()).results.map((r) => r.detail);
      const ms: number[] = [];
      for (let run = 0; run < RUNS; run++) ms.push((await db.prepare(q.sql).bind(...q.args).all()).meta.duration);
      results.push({ name: q.name, ms, plan });
    }

    // Renewal marking on insert: the real group-commit batch (insert, names, marking, audit) for one
    // renewal, and for a group of 32, of name sets that exist; each run renews the certificates the previous made.
    const record = (k: number, serial: string, at: string): CertificateRecord => ({
      serial,
      sha256_fingerprint: `bench-${serial}`,
      pem: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
      hostnames: k % 3 === 0 ? [`api.svc-${k}.zone-${k % 50}.mesh.example.com`, `svc-${k}.zone-${k % 50}.mesh.example.com`] : [`svc-${k}.zone-${k % 50}.mesh.example.com`],
      usage: ["server"],
      key_algorithm: "ecdsa-p256",
      key_source: "generated",
      not_before: at,
      not_after: iso(90 * DAY),
      issuer_fingerprint: "new-ca",
      token_name: "pipeline-0",
      request_id: `bench-renew-${serial}`,
      created_at: at,
      revoked_at: null,
      revocation_reason: null,
      renewed_by: null,
      renewed_at: null,
    });
    const audit = (serial: string) => ({ at: now.toISOString(), event: "issue" as const, outcome: "success" as const, status: 201, code: null, token_name: "pipeline-0", client_address: null, method: "POST", path: "/v1/certificates", serial, request_id: `bench-${serial}` });
    // Serials after every row there is (a kept database holds earlier runs' renewals too).
    let next = (await db.prepare("SELECT COUNT(*) AS n FROM certificates").first<{ n: number }>())!.n;
    for (const group of [1, 32]) {
      const marking: number[] = [];
      const whole: number[] = [];
      let marked = 0;
      for (let run = 0; run < RUNS; run++) {
        const writes = Array.from({ length: group }, (_, j) => {
          const serial = (next++).toString(16).padStart(32, "0");
          return { certificate: record((run * 97 + j * 1013) % KEYS, serial, new Date(now.getTime() + run * 1000).toISOString()), audit: audit(serial) };
        });
        const out = await db.batch(ledgerWriteStatements(db, writes));
        marking.push(out[2]!.meta.duration);
        marked += out[2]!.meta.changes;
        whole.push(out.reduce((t, r) => t + r.meta.duration, 0));
      }
      const markQuery = lifecycleQueries(now).find((q) => q.sql === LIFECYCLE_SQL.markRenewed)!;
      const plan = (await db.prepare(`EXPLAIN QUERY PLAN ${markQuery.sql}`).bind(...markQuery.args).all<{ detail: string }>()).results.map((r) => r.detail);
      results.push({ name: `renewal marking, group of ${group} (${(marked / RUNS).toFixed(0)} marked per run)`, ms: marking, plan });
      results.push({ name: `  whole write batch, group of ${group}`, ms: whole, plan: [] });
    }

    console.log(`\nD1 time (meta.duration, mean of ${RUNS} runs; limit ${LIMIT_MS} ms) with ${ROWS.toLocaleString("en")} certificates:\n`);
    let failed = false;
    for (const r of results) {
      const m = mean(r.ms);
      const over = m >= LIMIT_MS && !r.name.startsWith("  ");
      failed ||= over;
      console.log(`${r.name.padEnd(58)} ${m.toFixed(2).padStart(8)} ms  (max ${Math.max(...r.ms).toFixed(2)})${over ? "  OVER" : ""}`);
      for (const line of r.plan) console.log(`${" ".repeat(6)}${line}`);
    }
    const metricsTotal = results.filter((r) => r.name.startsWith("metrics:")).reduce((t, r) => t + mean(r.ms), 0);
    console.log(`\n/metrics, all its queries: ${metricsTotal.toFixed(2)} ms of D1 time (one batch, one round trip)`);
    if (failed) process.exitCode = 1;
  } finally {
    await local.dispose();
    if (!kept) rmSync(scratch, { recursive: true, force: true });
  }
}

async function fill(db: D1Database, where: string): Promise<void> {
  console.log(`filling ${ROWS.toLocaleString("en")} certificates (${KEYS.toLocaleString("en")} name sets × ${GENERATIONS} renewals) in ${where} …`);
  const start = performance.now();
  const { results: indexes } = await db
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('certificates', 'certificate_names') AND sql IS NOT NULL")
    .all<{ name: string; sql: string }>();
  for (const i of indexes) await db.prepare(`DROP INDEX ${i.name}`).run();
  for (let from = 0; from < ROWS; from += CHUNK) {
    const to = Math.min(ROWS, from + CHUNK);
    await db.prepare(fillSql(from, to)).run();
    await db.prepare("INSERT INTO certificate_names (name, serial) SELECT n.value, c.serial FROM certificates c, json_each(c.hostnames) n WHERE c.rowid > ?1 AND c.rowid <= ?2").bind(from, to).run();
    process.stdout.write(`\r  ${to.toLocaleString("en")} rows, ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }
  for (const i of indexes) await db.prepare(i.sql).run();
  console.log(`, indexed: ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

await main();
