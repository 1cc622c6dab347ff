/**
 * migrations/0003 on a ledger that already holds certificates: the renewal key
 * equals what the service computes, existing renewals are backfilled as if
 * recorded in order (a revoked renewal renews nothing), and the /metrics counters start from the existing rows
 * and follow inserts and revocations.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renewalKey } from "../../src/store/d1.ts";
import { applyMigrationFiles, migrationFiles, openLocalD1, type LocalD1 } from "../helpers/local-d1.ts";

const LIFECYCLE = "0003_lifecycle.sql";
let local: LocalD1;

const day = 86_400_000;
const now = Date.now();
const at = (days: number) => new Date(now + days * day).toISOString();

interface Row {
  serial: string;
  hostnames: string[];
  usage?: string[];
  created: number;
  ttl?: number;
  revoked?: boolean;
  token?: string;
  source?: "generated" | "csr";
}

async function insert(db: D1Database, r: Row): Promise<void> {
  await db
    .prepare(
      `INSERT INTO certificates (serial, sha256_fingerprint, pem, hostnames, usage, key_algorithm, key_source, not_before, not_after, issuer_fingerprint, token_name, request_id, created_at, revoked_at, revocation_reason)
       VALUES (?1, 'fp-' || ?1, 'pem', ?2, ?3, 'ecdsa-p256', ?4, ?5, ?6, 'issuer', ?7, 'req', ?5, ?8, ?9)`,
    )
    .bind(r.serial, JSON.stringify(r.hostnames), JSON.stringify(r.usage ?? ["server"]), r.source ?? "generated", at(r.created), at(r.created + (r.ttl ?? 90)), r.token ?? "pipeline", r.revoked ? at(r.created + 1) : null, r.revoked ? "keyCompromise" : null)
    .run();
}

// Recording order is the order of this list (rowid order).
const EXISTING: Row[] = [
  { serial: "a1", hostnames: ["cp.example.com", "10.0.0.5"], created: -100 },
  { serial: "x1", hostnames: ["old.example.com"], created: -200, ttl: 30 },
  { serial: "a2", hostnames: ["10.0.0.5", "cp.example.com"], created: -40 },
  { serial: "c1", hostnames: ["cp.example.com", "10.0.0.5"], usage: ["client"], created: -30, token: "other", source: "csr" },
  { serial: "x2", hostnames: ["old.example.com"], created: -20 },
  { serial: "r1", hostnames: ["gone.example.com"], created: -10, revoked: true },
  { serial: "a3", hostnames: ["cp.example.com", "10.0.0.5"], created: -5 },
  { serial: "r2", hostnames: ["gone.example.com"], created: -3 },
  { serial: "b1", hostnames: ["b.example.com"], created: -50 },
  { serial: "b2", hostnames: ["b.example.com"], created: -45, revoked: true },
];

beforeAll(async () => {
  const before = migrationFiles().filter((f) => f < LIFECYCLE);
  local = await openLocalD1({ files: before });
  for (const r of EXISTING) await insert(local.db, r);
  await applyMigrationFiles(local.db, [LIFECYCLE]);
});

afterAll(async () => {
  await local?.dispose();
});

describe("migration 0003 on an existing ledger", () => {
  it("computes the same renewal key as the service for every existing row", async () => {
    const { results } = await local.db.prepare("SELECT hostnames, usage, renewal_key FROM certificates").all<{ hostnames: string; usage: string; renewal_key: string }>();
    expect(results).toHaveLength(EXISTING.length);
    for (const r of results) expect(r.renewal_key).toBe(renewalKey(JSON.parse(r.hostnames) as string[], JSON.parse(r.usage) as string[]));
  });

  it("backfills renewals: each unrevoked certificate is renewed by the first later one with its key recorded while it was active", async () => {
    const { results } = await local.db.prepare("SELECT serial, renewed_by, renewed_at FROM certificates ORDER BY rowid").all<{ serial: string; renewed_by: string | null; renewed_at: string | null }>();
    const by = Object.fromEntries(results.map((r) => [r.serial, r.renewed_by]));
    expect(by).toEqual({
      a1: "a2", // same names in another order
      x1: null, // expired (day -170) before x2 was recorded (day -20)
      a2: "a3",
      c1: null, // client usage: another key
      x2: null,
      r1: null, // revoked
      a3: null,
      r2: null,
      b1: null, // its only successor was revoked
      b2: null,
    });
    expect(results.find((r) => r.serial === "a1")!.renewed_at).toBe(at(-40));
  });

  it("starts the counters from the existing rows, and its triggers count inserts and revocations", async () => {
    const counts = async () =>
      (await local.db.prepare("SELECT token_name, key_source, issued, revoked FROM certificate_counts ORDER BY token_name, key_source").all()).results;
    expect(await counts()).toEqual([
      { token_name: "other", key_source: "csr", issued: 1, revoked: 0 },
      { token_name: "pipeline", key_source: "generated", issued: 9, revoked: 2 },
    ]);
    await insert(local.db, { serial: "n1", hostnames: ["new.example.com"], created: 0, token: "fresh", source: "csr" });
    await insert(local.db, { serial: "n2", hostnames: ["new.example.com"], created: -2, token: "fresh", source: "csr", revoked: true });
    await local.db.prepare("UPDATE certificates SET revoked_at = ?, revocation_reason = 'superseded' WHERE serial = 'a3'").bind(at(0)).run();
    // Revoking again (another reason, or the same row) does not count twice.
    await local.db.prepare("UPDATE certificates SET revocation_reason = 'keyCompromise', revoked_at = ? WHERE serial = 'a3'").bind(at(0)).run();
    expect(await counts()).toEqual([
      { token_name: "fresh", key_source: "csr", issued: 2, revoked: 1 },
      { token_name: "other", key_source: "csr", issued: 1, revoked: 0 },
      { token_name: "pipeline", key_source: "generated", issued: 9, revoked: 3 },
    ]);
  });
});
