/**
 * Use case: the rotation status of every CA (GET /v1/ca/status, /healthz
 * warnings): the CA set with the ledger's active certificates per issuer.
 */
import type { CaSet } from "../pki/certificate-authority.ts";
import { caStatus, type CaStatusReport, type IssuerCount } from "../pki/ca-status.ts";
import type { Ledger } from "../store/types.ts";

/**
 * How long /healthz reuses an isolate's ledger counts, like /metrics
 * (METRICS_CACHE_MS): probes every few seconds cost one ledger query per
 * isolate per 30 s. A warning that depends on the counts (certificates still
 * chaining to a CA being retired) clears at most this long after the ledger
 * changes (at once in the isolate that revoked); warnings about the CA set
 * itself follow the configuration at once.
 */
export const HEALTH_COUNTS_CACHE_MS = 30_000;

const cache = new WeakMap<Ledger, { at: number; value: IssuerCount[] }>();

/** Drops this isolate's cached counts (a revocation here changed them). */
export function forgetIssuerCounts(ledger: Ledger): void {
  cache.delete(ledger);
}

async function activeByIssuer(ledger: Ledger, now: Date, cacheMs: number): Promise<IssuerCount[]> {
  if (cacheMs <= 0) return ledger.activeByIssuer(now.toISOString());
  const hit = cache.get(ledger);
  const age = hit ? now.getTime() - hit.at : Infinity;
  if (hit && age >= 0 && age < cacheMs) return hit.value;
  const value = await ledger.activeByIssuer(now.toISOString());
  cache.set(ledger, { at: now.getTime(), value });
  return value;
}

/**
 * Counts of earlier certificates of a configured CA (same subject and key, another fingerprint: the CA
 * was re-certified) belong to that CA: its leaves chain to the configured certificate too, and are not
 * certificates of an unconfigured CA that relying parties must keep trusting.
 */
async function mergeSameIdentity(counts: IssuerCount[], set: CaSet, ledger: Ledger): Promise<IssuerCount[]> {
  const configured = [set.issuing, ...(set.previous ? [set.previous] : [])];
  const known = new Set(set.known.map((k) => k.sha256_fingerprint));
  const foreign = counts.filter((c) => !known.has(c.issuer_fingerprint));
  if (foreign.length === 0) return counts;
  const identityOf = new Map((await ledger.issuerIdentities()).map((r) => [r.fingerprint, r.identity]));
  const merged = new Map<string, IssuerCount>();
  for (const c of counts) {
    const identity = identityOf.get(c.issuer_fingerprint);
    const owner = known.has(c.issuer_fingerprint) ? undefined : configured.find((ca) => ca.identity === identity);
    const fp = owner?.fingerprint ?? c.issuer_fingerprint;
    const m = merged.get(fp);
    if (!m) merged.set(fp, { ...c, issuer_fingerprint: fp });
    else {
      m.active += c.active;
      m.renewed += c.renewed;
      if (c.latest_not_after !== null && (m.latest_not_after === null || c.latest_not_after > m.latest_not_after)) m.latest_not_after = c.latest_not_after;
    }
  }
  return [...merged.values()];
}

/** `cacheMs`: reuse this isolate's counts that long (/healthz); 0 (the default, /v1/ca/status) reads the ledger. */
export async function caStatusReport(ctx: { set: CaSet; ledger: Ledger; now: Date; maxTtlSeconds: number; cacheMs?: number }): Promise<CaStatusReport> {
  const counts = await mergeSameIdentity(await activeByIssuer(ctx.ledger, ctx.now, ctx.cacheMs ?? 0), ctx.set, ctx.ledger);
  return caStatus({ issuing: ctx.set.issuing, previous: ctx.set.previous, known: ctx.set.known, warnings: ctx.set.warnings }, counts, ctx.now, ctx.maxTtlSeconds);
}
