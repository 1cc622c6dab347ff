/**
 * Ledger.activeByIssuer on real local D1 with every migration: active
 * certificates per issuing CA (not revoked, not expired), renewed ones apart,
 * the latest notAfter, and a covering index range scan (migrations/0004).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTIVE_BY_ISSUER, d1Ledger } from "../../src/store/d1.ts";
import { openLocalD1, type LocalD1 } from "../helpers/local-d1.ts";

let local: LocalD1;
const day = 86_400_000;
const now = Date.now();
const at = (days: number) => new Date(now + days * day).toISOString();

async function insert(serial: string, issuer: string, o: { ttl: number; revoked?: boolean; renewedBy?: string }): Promise<void> {
  await local.db
    .prepare(
      `INSERT INTO certificates (serial, sha256_fingerprint, pem, hostnames, usage, key_algorithm, key_source, not_before, not_after, issuer_fingerprint, token_name, request_id, created_at, revoked_at, revocation_reason, renewed_by)
       VALUES (?1, 'fp-' || ?1, 'pem', '["a.example.com"]', '["server"]', 'ecdsa-p256', 'generated', ?2, ?3, ?4, 't', 'r', ?2, ?5, ?6, ?7)`,
    )
    .bind(serial, at(-1), at(o.ttl), issuer, o.revoked ? at(0) : null, o.revoked ? "superseded" : null, o.renewedBy ?? null)
    .run();
}

beforeAll(async () => {
  local = await openLocalD1();
  await insert("a1", "A", { ttl: 10 });
  await insert("a2", "A", { ttl: 30, renewedBy: "a3" });
  await insert("a3", "A", { ttl: 20, revoked: true });
  await insert("a4", "A", { ttl: -0.5 }); // expired
  await insert("b1", "B", { ttl: 5 });
  await insert("c1", "C", { ttl: 5, revoked: true });
});

afterAll(async () => {
  await local?.dispose();
});

describe("Ledger.activeByIssuer", () => {
  it("counts active certificates per issuer, renewed apart, with the latest notAfter; issuers with none are left out", async () => {
    const rows = await d1Ledger(local.db).activeByIssuer(new Date(now).toISOString());
    expect(rows.sort((x, y) => x.issuer_fingerprint.localeCompare(y.issuer_fingerprint))).toEqual([
      { issuer_fingerprint: "A", active: 1, renewed: 1, latest_not_after: at(30) },
      { issuer_fingerprint: "B", active: 1, renewed: 0, latest_not_after: at(5) },
    ]);
    expect(await d1Ledger(local.db).activeByIssuer(at(31))).toEqual([]);
  });

  it("reads only the covering index (migrations/0004), never a row", async () => {
    const { results } = await local.db.prepare(`EXPLAIN QUERY PLAN ${ACTIVE_BY_ISSUER}`).bind(at(0)).all<{ detail: string }>();
    expect(results.map((r) => r.detail)).toContain("SEARCH certificates USING COVERING INDEX certificates_active_by_issuer (not_after>?)");
  });
});
