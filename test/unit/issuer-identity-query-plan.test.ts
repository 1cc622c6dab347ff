/**
 * A CA's CRL entries are read for its certificate and every certificate of the same identity
 * (migrations/0009) through indexes: certificates_revoked per fingerprint, issuers_by_identity for
 * the identity, never a scan of the ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REVOKED_BY_ISSUER } from "../../src/store/d1.ts";
import { openLocalD1, type LocalD1 } from "../helpers/local-d1.ts";

let local: LocalD1;
beforeAll(async () => {
  local = await openLocalD1();
});
afterAll(async () => {
  await local?.dispose();
});

describe("the CRL query with issuer identities", () => {
  it("reads revoked certificates through certificates_revoked and issuers through their index", async () => {
    const { results } = await local.db.prepare(`EXPLAIN QUERY PLAN ${REVOKED_BY_ISSUER}`).bind("ab".repeat(32), "cd".repeat(32), new Date().toISOString()).all<{ detail: string }>();
    const plan = results.map((r) => r.detail);
    expect(plan.filter((line) => /^SCAN (certificates|issuers)\b/.test(line) && !/INDEX/.test(line))).toEqual([]);
    expect(plan.join("\n")).toMatch(/certificates_revoked/);
    expect(plan.join("\n")).toMatch(/issuers_by_identity/);
  });
});
