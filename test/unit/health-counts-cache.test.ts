/**
 * /healthz's ledger read is cached per isolate for HEALTH_COUNTS_CACHE_MS
 * (like /metrics): a warning that depends on the counts clears at most that
 * long after the ledger changes; /v1/ca/status (cacheMs 0) always reads.
 */
import { describe, expect, it } from "vitest";
import { caStatusReport, forgetIssuerCounts, HEALTH_COUNTS_CACHE_MS } from "../../src/authority/ca-status.ts";
import { loadCaSet } from "../../src/pki/certificate-authority.ts";
import type { IssuerCount } from "../../src/pki/ca-status.ts";
import type { Ledger } from "../../src/store/types.ts";
import { createTestAuthority } from "../helpers/test-authority.ts";

describe("caStatusReport's counts cache", () => {
  it("reads the ledger once per 30 s with cacheMs, every time without", async () => {
    const authority = await createTestAuthority();
    const now = new Date();
    const set = await loadCaSet({ certPem: authority.bindings.CA_CERT, keyPem: authority.bindings.CA_KEY }, now);
    if (!set.ok) throw new Error("test CA did not load");
    let reads = 0;
    let counts: IssuerCount[] = [];
    const ledger = { activeByIssuer: async () => (reads++, counts), issuerIdentities: async () => [] } as unknown as Ledger;
    const at = (ms: number) => new Date(now.getTime() + ms);
    const health = (ms: number) => caStatusReport({ set: set.value, ledger, now: at(ms), maxTtlSeconds: 86_400, cacheMs: HEALTH_COUNTS_CACHE_MS });

    await health(0);
    // An unconfigured issuer with active certificates appears in the ledger: cached, not seen yet…
    counts = [{ issuer_fingerprint: "ab".repeat(32), active: 3, renewed: 0, latest_not_after: at(86_400_000).toISOString() }];
    const stale = await health(HEALTH_COUNTS_CACHE_MS - 1);
    expect(reads).toBe(1);
    expect(stale.cas.some((c) => c.sha256_fingerprint === "ab".repeat(32))).toBe(false);
    // …and seen once the 30 s are over.
    const fresh = await health(HEALTH_COUNTS_CACHE_MS);
    expect(reads).toBe(2);
    expect(fresh.cas.find((c) => c.sha256_fingerprint === "ab".repeat(32))?.active_certificates).toBe(3);

    await caStatusReport({ set: set.value, ledger, now: at(HEALTH_COUNTS_CACHE_MS + 1), maxTtlSeconds: 86_400 });
    expect(reads).toBe(3);

    // A revocation in this isolate forgets the cached counts: the next /healthz reads again.
    await health(HEALTH_COUNTS_CACHE_MS + 2);
    expect(reads).toBe(3);
    forgetIssuerCounts(ledger);
    await health(HEALTH_COUNTS_CACHE_MS + 3);
    expect(reads).toBe(4);
  });
});
