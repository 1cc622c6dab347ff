/**
 * The RFC 5280 §4 profile findings of the configured CA material (CA_CERT,
 * CA_TRUST and, during a rotation, CA_PREVIOUS_CERT, whose chain the previous
 * issuer's leaves are still validated through until they expire): the same
 * named checks /v1/verify reports, run once per certificate at load. Never fatal (Go accepts these certificates); /healthz
 * lists them so an operator sees what stricter relying parties would refuse.
 * Pure: /v1/ca/status can include the same list.
 */
import { decodePem } from "./pem.ts";
import { bytesEqual, parseCertificateDer } from "./path-validation/certificate.ts";
import { certificateProfileFindings, type ProfileFinding } from "./path-validation/profile.ts";

export interface CaMaterialFinding extends ProfileFinding {
  /** Which secret holds the certificate. */
  source: "CA_CERT" | "CA_TRUST" | "CA_PREVIOUS_CERT";
  /** The certificate's PEM block index within that secret. */
  block: number;
  subject: string;
}

type Material = { certPem?: string | undefined; trustPem?: string | undefined; previousCertPem?: string | undefined };

/**
 * Findings for every certificate of CA_CERT and CA_PREVIOUS_CERT (an issuing
 * CA and its intermediates; a self-signed one as a trust anchor) and CA_TRUST
 * (trust anchors). A certificate in several is reported once: as CA_TRUST's,
 * else as CA_CERT's. Unparseable blocks are skipped: loading the CA reports those.
 */
export function caMaterialFindings(material: Material): CaMaterialFinding[] {
  // The secrets do not change within an isolate: parse them once.
  if (last && last.certPem === material.certPem && last.trustPem === material.trustPem && last.previousCertPem === material.previousCertPem) return last.findings;
  const findings = computeFindings(material);
  last = { certPem: material.certPem, trustPem: material.trustPem, previousCertPem: material.previousCertPem, findings };
  return findings;
}

let last: (Material & { findings: CaMaterialFinding[] }) | null = null;

function computeFindings(material: Material): CaMaterialFinding[] {
  const blocks = (pem: string | undefined) => {
    const r = pem ? decodePem(pem) : null;
    return r?.ok ? r.value.filter((b) => b.label === "CERTIFICATE") : [];
  };
  const trust = blocks(material.trustPem);
  const out: CaMaterialFinding[] = [];
  const add = (source: CaMaterialFinding["source"], block: { index: number; der: Uint8Array }, anchor: boolean) => {
    const parsed = parseCertificateDer(block.der);
    if (!parsed.ok) return;
    const c = parsed.value;
    const role = anchor || c.selfIssued ? "anchor" : "intermediate";
    for (const f of certificateProfileFindings(c, role)) out.push({ source, block: block.index, subject: c.subject, ...f });
  };
  const cert = blocks(material.certPem);
  const seen = [...trust];
  for (const [source, list] of [["CA_CERT", cert], ["CA_PREVIOUS_CERT", blocks(material.previousCertPem)]] as const) {
    for (const b of list) {
      if (seen.some((t) => bytesEqual(t.der, b.der))) continue;
      seen.push(b);
      add(source, b, false);
    }
  }
  for (const b of trust) add("CA_TRUST", b, true);
  return out;
}
