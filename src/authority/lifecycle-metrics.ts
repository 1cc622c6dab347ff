/**
 * Use case: what GET /metrics reports. The certificate figures come from
 * the ledger (one D1 round trip through indexes), read at most once per
 * METRICS_CACHE_MS per isolate, so any number of Prometheus replicas
 * scraping every few seconds cost one query batch per isolate per 30 s.
 * The CA figures come from the checked CA material.
 */
import { decodePem } from "../pki/pem.ts";
import { parseCertificateDer } from "../pki/path-validation/certificate.ts";
import type { CaMaterial } from "../pki/certificate-authority.ts";
import type { AtRiskCertificate, CertificateStateCounts, IssuanceTotal, Ledger } from "../store/types.ts";
import { inspectCaSet } from "./certificate-authority.ts";

export const METRICS_CACHE_MS = 30_000;
/** The windows of edgeca_certificates_at_risk, by label. */
export const AT_RISK_WINDOWS = [
  { within: "7d", seconds: 7 * 86_400 },
  { within: "30d", seconds: 30 * 86_400 },
] as const;
/** edgeca_certificate_expiration_timestamp_seconds: at-risk certificates expiring within this, the soonest SERIES_LIMIT. */
export const SERIES_WINDOW_SECONDS = 30 * 86_400;
export const SERIES_LIMIT = 500;

export interface ExpiringCertificate {
  serial: string;
  /** The subject CN, or "" for an empty subject. */
  commonName: string;
  principal: string;
  /** The OIDC caller's `sub`; undefined for API tokens. */
  subject?: string | undefined;
  notAfter: Date;
}

export interface LifecycleMetrics {
  states: CertificateStateCounts;
  atRisk: { within: string; count: number }[];
  nextExpiry: Date | null;
  expiring: ExpiringCertificate[];
  totals: IssuanceTotal[];
  ca: { fingerprint: string; role: "issuing" | "trust_anchor"; notAfter: Date }[];
}

type LedgerPart = Omit<LifecycleMetrics, "ca">;

/** Resolved values only: a promise from another request's I/O must not be awaited in this one (Workers). */
const cache = new WeakMap<Ledger, { at: number; value: LedgerPart }>();

/** The subject CN of a recorded leaf (not a column: it is either the first short DNS name or the request's common_name). */
export function commonNameOf(pem: string): string {
  const blocks = decodePem(pem, 1);
  const der = blocks.ok ? blocks.value[0]?.der : undefined;
  if (!der) return "";
  const parsed = parseCertificateDer(der);
  return parsed.ok ? (parsed.value.commonName ?? "") : "";
}

function toExpiring(c: AtRiskCertificate): ExpiringCertificate {
  return { serial: c.serial, commonName: commonNameOf(c.pem), principal: c.token_name, subject: c.principal_subject ?? undefined, notAfter: new Date(c.not_after) };
}

async function readLedger(ledger: Ledger, now: Date): Promise<LedgerPart> {
  const at = (seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();
  const snapshot = await ledger.lifecycle({
    now: now.toISOString(),
    atRiskBefore: AT_RISK_WINDOWS.map((w) => at(w.seconds)),
    listBefore: at(SERIES_WINDOW_SECONDS),
    limit: SERIES_LIMIT,
  });
  return {
    states: snapshot.states,
    atRisk: AT_RISK_WINDOWS.map((w, i) => ({ within: w.within, count: snapshot.atRisk[i] ?? 0 })),
    nextExpiry: snapshot.nextExpiry === null ? null : new Date(snapshot.nextExpiry),
    expiring: snapshot.soonest.map(toExpiring),
    totals: snapshot.totals,
  };
}

export async function lifecycleMetrics(ctx: { ledger: Ledger; caMaterial: CaMaterial; now: Date }): Promise<LifecycleMetrics> {
  const hit = cache.get(ctx.ledger);
  const age = hit ? ctx.now.getTime() - hit.at : Infinity;
  let part: LedgerPart;
  if (hit && age >= 0 && age < METRICS_CACHE_MS) part = hit.value;
  else {
    part = await readLedger(ctx.ledger, ctx.now);
    cache.set(ctx.ledger, { at: ctx.now.getTime(), value: part });
  }
  // A CA that cannot be loaded reports no CA series (its absence is what an alert on them sees); /healthz says why.
  const set = await inspectCaSet(ctx.caMaterial, ctx.now);
  const caSeries: LifecycleMetrics["ca"] = set.ok
    ? [
        { fingerprint: set.value.issuing.fingerprint, role: "issuing", notAfter: set.value.issuing.notAfter },
        ...set.value.issuing.trust.certificates.map((t) => ({ fingerprint: t.sha256_fingerprint, role: "trust_anchor" as const, notAfter: new Date(t.not_after) })),
      ]
    : [];
  return { ...part, ca: caSeries };
}
