/**
 * The rotation status of every CA edgeca knows: a pure function of the CA
 * set (configuration), the ledger's counts of active certificates per issuing
 * CA, and `now`. It says which CA may leave the configuration (retire phase)
 * and warns about states that break relying parties later.
 */
import type { CaWarning, KnownCa } from "./certificate-authority.ts";
import { formatDuration } from "./duration.ts";

/** Active (not revoked, not expired) certificates of one issuing CA, from the ledger. */
export interface IssuerCount {
  issuer_fingerprint: string;
  /** Active and not renewed. */
  active: number;
  /** Active but already renewed (a successor was issued): likely no longer deployed. */
  renewed: number;
  /** Latest notAfter among them, RFC 3339; null when none. */
  latest_not_after: string | null;
}

export interface CaStatusEntry extends Omit<KnownCa, "issuers" | "anchored"> {
  active_certificates: number;
  renewed_certificates: number;
  latest_not_after: string | null;
  safe_to_retire: boolean;
  /** Why it is not safe to retire; null when it is. */
  reason: string | null;
}

export interface CaStatusReport {
  at: string;
  issuing: string;
  previous: string | null;
  /**
   * Certificates of the previous CA not revoked, not expired and not renewed yet: their renewal window
   * is in the past (src/pki/ari.ts), so they are what the rotation still waits for.
   */
  awaiting_renewal: number;
  /** What happens to a request for a certificate that would outlive the issuing CA: refused (ca_validity_exceeded). */
  validity_limit: "refuse";
  /** The retire phase (old root leaves CA_TRUST, CA_PREVIOUS_* removed) is safe when nothing outside the issuing chain is still needed. */
  retire: { safe: boolean; blocking: string[] };
  cas: CaStatusEntry[];
  warnings: CaWarning[];
}

export interface CaSetView {
  issuing: { fingerprint: string; notAfter: Date };
  previous: { fingerprint: string } | null;
  known: readonly KnownCa[];
  warnings: readonly CaWarning[];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function caStatus(set: CaSetView, counts: readonly IssuerCount[], now: Date, maxTtlSeconds: number): CaStatusReport {
  const byIssuer = new Map(counts.map((c) => [c.issuer_fingerprint, c]));
  const issuing = set.issuing.fingerprint;
  const previous = set.previous?.fingerprint ?? null;
  // Issuers in the ledger that are no longer configured: their certificates still chain to something relying parties must trust.
  const known: KnownCa[] = [...set.known];
  for (const c of counts) {
    if (c.active + c.renewed > 0 && !known.some((k) => k.sha256_fingerprint === c.issuer_fingerprint)) {
      known.push({ role: "unconfigured", subject: null, sha256_fingerprint: c.issuer_fingerprint, not_before: null, not_after: null, served: false, issuers: [c.issuer_fingerprint], anchored: false });
    }
  }

  const warnings: CaWarning[] = [...set.warnings];
  const cas = known.map((k): CaStatusEntry => {
    let active = 0;
    let renewed = 0;
    let latest: string | null = null;
    for (const fp of k.issuers) {
      const c = byIssuer.get(fp);
      if (!c) continue;
      active += c.active;
      renewed += c.renewed;
      if (c.latest_not_after !== null && (latest === null || c.latest_not_after > latest)) latest = c.latest_not_after;
    }
    let reason: string | null = null;
    if (k.sha256_fingerprint === issuing) reason = "it is the issuing CA (CA_CERT)";
    else if (k.issuers.includes(issuing)) reason = "the issuing CA chains to it";
    else if (active + renewed > 0) {
      reason = `${plural(active + renewed, "active certificate")} chain to it, the last expiring at ${latest}`;
      if (renewed > 0) reason += ` (${renewed} of them renewed: revoke those once their successors are deployed)`;
    }
    return {
      role: k.role,
      subject: k.subject,
      sha256_fingerprint: k.sha256_fingerprint,
      not_before: k.not_before,
      not_after: k.not_after,
      served: k.served,
      active_certificates: active,
      renewed_certificates: renewed,
      latest_not_after: latest,
      safe_to_retire: reason === null,
      reason,
    };
  });

  for (const [i, k] of known.entries()) {
    const entry = cas[i]!;
    const dependents = entry.active_certificates + entry.renewed_certificates;
    if (k.role === "unconfigured") {
      warnings.push({
        code: "issuer_not_configured",
        message: `${plural(dependents, "active certificate")} (until ${entry.latest_not_after}) were issued by a CA that is no longer configured: its CRL cannot be served and its root may be gone from ca.crt; set it back as CA_PREVIOUS_CERT / CA_PREVIOUS_KEY until they expire or are revoked`,
        sha256_fingerprint: k.sha256_fingerprint,
      });
    } else if ((k.role === "issuing" || k.role === "previous") && !k.anchored && dependents > 0) {
      warnings.push({
        code: "chain_not_served",
        message: `${plural(dependents, "active certificate")} issued by ${k.subject} chain to a root that is not in ca.crt: a relying party that refreshes its trust bundle will reject them; keep that root in CA_TRUST until ${entry.latest_not_after}`,
        sha256_fingerprint: k.sha256_fingerprint,
      });
    }
    if (k.role === "previous" && dependents === 0) {
      warnings.push({
        code: "previous_unused",
        message: `no active certificate was issued by the previous CA (${k.subject}) anymore: retire it (remove CA_PREVIOUS_CERT and CA_PREVIOUS_KEY, and its root from CA_TRUST if nothing else chains to it)`,
        sha256_fingerprint: k.sha256_fingerprint,
      });
    }
  }

  const left = Math.floor((set.issuing.notAfter.getTime() - now.getTime()) / 1000);
  if (left < maxTtlSeconds) {
    warnings.push({
      code: "issuing_ca_expires_soon",
      message: `the issuing CA expires at ${set.issuing.notAfter.toISOString()}, within MAX_TTL (${formatDuration(maxTtlSeconds)}): requests for a longer lifetime than ${formatDuration(Math.max(0, left))} are refused with ca_validity_exceeded; rotate it (edgeca ca rotate plan)`,
      sha256_fingerprint: issuing,
    });
  }

  const blocking = cas.filter((c) => !c.safe_to_retire && c.sha256_fingerprint !== issuing && !known[cas.indexOf(c)]!.issuers.includes(issuing)).map((c) => `${c.subject ?? `sha256:${c.sha256_fingerprint}`}: ${c.reason}`);
  const awaiting = previous === null ? 0 : (byIssuer.get(previous)?.active ?? 0);
  return { at: now.toISOString(), issuing, previous, awaiting_renewal: awaiting, validity_limit: "refuse", retire: { safe: blocking.length === 0, blocking }, cas, warnings };
}
