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
 * changes; warnings about the CA set itself follow the configuration at once.
 */
export const HEALTH_COUNTS_CACHE_MS = 30_000;

const cache = new WeakMap<Ledger, { at: number; value: IssuerCount[] }>();

async function activeByIssuer(ledger: Ledger, now: Date, cacheMs: number): Promise<IssuerCount[]> {
  if (cacheMs <= 0) return ledger.activeByIssuer(now.toISOString());
  const hit = cache.get(ledger);
  const age = hit ? now.getTime() - hit.at : Infinity;
  if (hit && age >= 0 && age < cacheMs) return hit.value;
  const value = await ledger.activeByIssuer(now.toISOString());
  cache.set(ledger, { at: now.getTime(), value });
  return value;
}

/** `cacheMs`: reuse this isolate's counts that long (/healthz); 0 (the default, /v1/ca/status) reads the ledger. */
export async function caStatusReport(ctx: { set: CaSet; ledger: Ledger; now: Date; maxTtlSeconds: number; cacheMs?: number }): Promise<CaStatusReport> {
  const counts = await activeByIssuer(ctx.ledger, ctx.now, ctx.cacheMs ?? 0);
  return caStatus({ issuing: ctx.set.issuing, previous: ctx.set.previous, known: ctx.set.known, warnings: ctx.set.warnings }, counts, ctx.now, ctx.maxTtlSeconds);
}
