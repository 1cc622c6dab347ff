/**
 * The RFC 5280 §4 profile findings of the configured CA material (CA_CERT
 * and CA_TRUST): the same named checks /v1/verify reports, run once per
 * certificate at load. Never fatal (Go accepts these certificates); /healthz
 * lists them so an operator sees what stricter relying parties would refuse.
 * Pure: /v1/ca/status can include the same list.
 */
import { decodePem } from "./pem.ts";
import { bytesEqual, parseCertificateDer } from "./path-validation/certificate.ts";
import { certificateProfileFindings, type ProfileFinding } from "./path-validation/profile.ts";

export interface CaMaterialFinding extends ProfileFinding {
  /** Which secret holds the certificate. */
  source: "CA_CERT" | "CA_TRUST";
  /** The certificate's PEM block index within that secret. */
  block: number;
  subject: string;
}

/**
 * Findings for every certificate of CA_CERT (the issuing CA and its
 * intermediates; a self-signed one as a trust anchor) and CA_TRUST (trust
 * anchors). A certificate in both is reported once, as CA_TRUST's.
 * Unparseable blocks are skipped: loading the CA reports those.
 */
export function caMaterialFindings(material: { certPem?: string | undefined; trustPem?: string | undefined }): CaMaterialFinding[] {
  // The secrets do not change within an isolate: parse them once.
  if (last && last.certPem === material.certPem && last.trustPem === material.trustPem) return last.findings;
  const findings = computeFindings(material);
  last = { certPem: material.certPem, trustPem: material.trustPem, findings };
  return findings;
}

let last: { certPem: string | undefined; trustPem: string | undefined; findings: CaMaterialFinding[] } | null = null;

function computeFindings(material: { certPem?: string | undefined; trustPem?: string | undefined }): CaMaterialFinding[] {
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
  for (const b of blocks(material.certPem)) if (!trust.some((t) => bytesEqual(t.der, b.der))) add("CA_CERT", b, false);
  for (const b of trust) add("CA_TRUST", b, true);
  return out;
}
