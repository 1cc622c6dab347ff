/**
 * GET /v1/certificates?subject=… (an OIDC caller's `sub`, with or without ?token=) reads the ledger
 * through a partial index on principal_subject (migrations 0002 and 0005), never by scanning it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listQuery } from "../../src/store/d1.ts";
import { openLocalD1, type LocalD1 } from "../helpers/local-d1.ts";

let local: LocalD1;
beforeAll(async () => {
  local = await openLocalD1();
});
afterAll(async () => {
  await local?.dispose();
});

describe("the ledger list filtered by OIDC subject", () => {
  const now = new Date().toISOString();
  for (const [name, q] of [
    ["subject alone", { subject: "system:serviceaccount:kuma-system:edgeca-renew" }],
    ["policy and subject", { token: "zone-cp-renewer", subject: "repo:example/infra:ref:refs/heads/main" }],
  ] as const) {
    it(`reads ${name} through a subject index`, async () => {
      const { sql, args } = listQuery({ ...q, limit: 100, now });
      const { results } = await local.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...args).all<{ detail: string }>();
      const plan = results.map((r) => r.detail);
      expect(plan.filter((line) => /^SCAN certificates\b/.test(line) && !/INDEX/.test(line))).toEqual([]);
      expect(plan.join("\n")).toMatch(/certificates_by_(principal_)?subject/);
    });
  }
});
