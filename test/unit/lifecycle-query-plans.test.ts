/**
 * The lifecycle queries stay fast as the ledger grows only while SQLite reads
 * them through the indexes of migrations/0003: this fails if one of them
 * would scan the certificates table (a plan line "SCAN certificates" without
 * an index), so a query or index change cannot quietly regress to a full scan.
 * The timings on a million rows: npm run bench:ledger (docs/performance.md).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lifecycleQueries } from "../helpers/lifecycle-queries.ts";
import { openLocalD1, type LocalD1 } from "../helpers/local-d1.ts";

let local: LocalD1;
beforeAll(async () => {
  local = await openLocalD1();
});
afterAll(async () => {
  await local?.dispose();
});

/** The index each query must be answered from (beside the small certificate_counts table and json_each). */
const EXPECTED_INDEX: Record<string, RegExp> = {
  // Either partial index over unrevoked rows, read from `now` on (migrations 0003 and 0004): SQLite picks
  // between two covering seeks, both bounded by what is current, not by history.
  "metrics: states": /SUBQUERY 1\nSEARCH certificates USING COVERING INDEX certificates_(unrenewed_by_not_after|active_by_issuer) \(not_after>\?\)\nSCALAR SUBQUERY 2\nSEARCH certificates USING COVERING INDEX certificates_(renewed|active_by_issuer) \(not_after>\?\)/,
  "metrics: at risk 7d": /COVERING INDEX certificates_(unrenewed_by_not_after|active_by_issuer) \(not_after>\? AND not_after<\?\)/,
  "metrics: at risk 30d": /COVERING INDEX certificates_(unrenewed_by_not_after|active_by_issuer) \(not_after>\? AND not_after<\?\)/,
  "metrics: next expiry": /certificates_(unrenewed_by_not_after|active_by_issuer) \(not_after>\?\)/,
  "metrics: 500 soonest": /certificates_unrenewed_by_not_after/,
  "metrics: totals": /certificate_counts/,
  "at-risk list (renewed=false&expiring_within=30d)": /COVERING INDEX certificates_unrenewed_by_not_after/,
  "alert query (14d, not alerted today)": /certificates_unrenewed_by_not_after[\s\S]*sqlite_autoindex_expiry_alerts_1/,
  "renewal marking on insert": /certificates_renewable \(renewal_key=\? AND renewed_by=\?\)/,
  "renewal un-marking on revocation": /SEARCH certificates USING INDEX certificates_renewable \(renewal_key=\? AND renewed_by=\?\)[\s\S]*SEARCH h USING INDEX certificates_renewable \(renewal_key=\? AND renewed_by=\? AND rowid>\?\)/,
  "exact renewal marking (replaces)": /SEARCH certificates USING INDEX sqlite_autoindex_certificates_1 \(serial=\?\)/,
  "exact renewal un-marking on revocation": /SEARCH certificates USING INDEX sqlite_autoindex_certificates_1 \(serial=\?\)[\s\S]*SEARCH h USING INDEX certificates_renewable \(renewal_key=\? AND renewed_by=\? AND rowid>\?\)/,
};

describe("lifecycle query plans", () => {
  for (const q of lifecycleQueries(new Date())) {
    it(`${q.name} reads certificates through an index`, async () => {
      const { results } = await local.db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).bind(...q.args).all<{ detail: string }>();
      const plan = results.map((r) => r.detail);
      const text = plan.join("\n");
      expect(plan.filter((line) => /^SCAN (certificates|c)\b/.test(line) && !/USING (COVERING )?INDEX/.test(line)), text).toEqual([]);
      expect(plan.some((line) => /^(SEARCH|SCAN) (certificates|c)\b/.test(line)) || q.name === "metrics: totals", text).toBe(true);
      expect(text).toMatch(EXPECTED_INDEX[q.name]!);
    });
  }
});
