/**
 * RFC 5280 §4 profile rules that Go's crypto/x509 does not enforce, each a
 * small named check with its clause (in the manner of rustls-webpki). They
 * never change the `go` verdict: path validation reports them as warnings,
 * or as errors under the `strict` profile; the issuance self-check and the
 * CA material check at load run the same list.
 */
import { KU, bytesEqual, type ParsedCertificate } from "./certificate.ts";
import type { ProfileFindingCode } from "./codes.ts";

/** Where a certificate sits: the end of the path, a CA below the anchor, or the trust anchor. */
export type CertificateRole = "end_entity" | "intermediate" | "anchor";

export interface ProfileFinding {
  code: ProfileFindingCode;
  /** Plain language, ending with the RFC clause. */
  message: string;
}

interface ProfileRule {
  code: ProfileFindingCode;
  clause: string;
  /** A description of the defect, or null when the certificate follows the rule. */
  check: (c: ParsedCertificate, role: CertificateRole) => string | null;
}

const isCa = (c: ParsedCertificate): boolean => c.extensions.basicConstraints?.ca === true;
const hasKu = (c: ParsedCertificate, bit: number): boolean => c.extensions.keyUsage !== undefined && (c.extensions.keyUsage & bit) !== 0;
/** An empty Name is the DER SEQUENCE 30 00. */
const emptyName = (raw: Uint8Array): boolean => raw.length === 2;

/**
 * RFC 5280 §4.2.1.6: a dNSName is in the preferred name syntax (RFC 1034
 * §3.5, RFC 1123 §2.1: letters, digits and hyphens, 1–63 octets a label, no
 * hyphen at either end), with a wildcard only as the whole left-most label
 * (RFC 6125 §6.4.3); no trailing dot, no empty label.
 */
export function isPreferredDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split(".");
  return labels.every((l, i) => (i === 0 && l === "*" && labels.length > 1) || /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(l));
}

const RULES: ProfileRule[] = [
  {
    code: "aki_missing",
    clause: "§4.2.1.1",
    check: (c) => (c.version === 3 && !c.selfIssued && !c.extensions.authorityKey ? "has no authorityKeyIdentifier, which every certificate but a self-signed one must carry" : null),
  },
  { code: "aki_critical", clause: "§4.2.1.1", check: (c) => (c.extensions.authorityKey?.critical ? "marks authorityKeyIdentifier critical; it MUST be non-critical" : null) },
  {
    code: "self_signed_aki_invalid",
    clause: "§4.2.1.1",
    // A self-issued intermediate (key rollover) points to its other key by design; only roots and self-signed end entities are checked.
    check: (c, role) => {
      const aki = c.extensions.authorityKey;
      if (!c.selfIssued || role === "intermediate" || !aki) return null;
      if (aki.issuerOrSerial) return "is self-issued but its authorityKeyIdentifier names an issuer and serial (authorityCertIssuer/authorityCertSerialNumber): there is no other issuer to point to";
      const id = c.extensions.authorityKeyId;
      const ski = c.extensions.subjectKeyId;
      return id && ski && !bytesEqual(id, ski) ? "is self-issued but its authorityKeyIdentifier keyIdentifier differs from its own subjectKeyIdentifier" : null;
    },
  },
  { code: "ski_missing", clause: "§4.2.1.2", check: (c) => (c.version === 3 && isCa(c) && !c.extensions.subjectKeyId ? "is a CA certificate without subjectKeyIdentifier, which every CA certificate MUST carry" : null) },
  { code: "ski_critical", clause: "§4.2.1.2", check: (c) => (c.extensions.subjectKeyIdCritical ? "marks subjectKeyIdentifier critical; it MUST be non-critical" : null) },
  {
    code: "basic_constraints_not_critical",
    clause: "§4.2.1.9",
    check: (c) => (isCa(c) && !c.extensions.basicConstraints!.critical ? "is a CA certificate whose basicConstraints is not critical; it MUST be critical in CA certificates" : null),
  },
  { code: "ca_key_usage_missing", clause: "§4.2.1.3", check: (c) => (isCa(c) && c.extensions.keyUsage === undefined ? "is a CA certificate without keyUsage, which it MUST carry" : null) },
  {
    code: "path_len_invalid",
    clause: "§4.2.1.9",
    check: (c) => {
      const bc = c.extensions.basicConstraints;
      if (!bc || bc.pathLen === null) return null;
      if (!bc.ca) return "has pathLenConstraint without cA TRUE";
      return hasKu(c, KU.keyCertSign) ? null : "has pathLenConstraint but its keyUsage does not assert keyCertSign";
    },
  },
  { code: "key_cert_sign_without_ca", clause: "§4.2.1.3", check: (c) => (hasKu(c, KU.keyCertSign) && !isCa(c) ? "asserts keyCertSign in keyUsage without basicConstraints cA TRUE" : null) },
  {
    code: "end_entity_is_ca",
    clause: "§4.2.1.9",
    check: (c, role) => (role === "end_entity" && isCa(c) ? "is the end of the path but is a CA certificate (cA TRUE); rustls/webpki refuses a CA certificate as an end-entity" : null),
  },
  { code: "empty_issuer", clause: "§4.1.2.4", check: (c) => (emptyName(c.issuerRaw) ? "has an empty issuer name; the issuer MUST be a non-empty distinguished name" : null) },
  {
    code: "empty_subject",
    clause: "§4.1.2.6",
    check: (c) => {
      if (!emptyName(c.subjectRaw)) return null;
      if (isCa(c) || hasKu(c, KU.cRLSign)) return "is a CA or CRL issuer with an empty subject; its subject MUST be a non-empty distinguished name";
      return c.extensions.subjectAltName ? null : "has an empty subject and no subjectAltName; one of them must name the subject";
    },
  },
  {
    code: "empty_subject_san_not_critical",
    clause: "§4.1.2.6, §4.2.1.6",
    check: (c) => (emptyName(c.subjectRaw) && c.extensions.subjectAltName && !c.extensions.subjectAltName.critical ? "has an empty subject, so its subjectAltName MUST be critical, and it is not" : null),
  },
  {
    code: "san_critical_with_subject",
    clause: "§4.2.1.6",
    check: (c) => (!emptyName(c.subjectRaw) && c.extensions.subjectAltName?.critical ? "has a non-empty subject and a critical subjectAltName; the SAN SHOULD then be non-critical" : null),
  },
  {
    code: "dns_name_malformed",
    clause: "§4.2.1.6",
    check: (c) => {
      const bad = c.extensions.subjectAltName?.dns.filter((d) => !isPreferredDnsName(d)) ?? [];
      return bad.length > 0 ? `has dNSName ${bad.map((d) => `"${d}"`).join(", ")} outside the preferred name syntax (letters, digits, hyphens; no empty label or trailing dot; a wildcard only as the whole left-most label)` : null;
    },
  },
  { code: "name_constraints_in_end_entity", clause: "§4.2.1.10", check: (c) => (c.extensions.nameConstraints && !isCa(c) ? "carries nameConstraints without being a CA certificate; the extension MUST be used only in CA certificates" : null) },
  { code: "name_constraints_not_critical", clause: "§4.2.1.10", check: (c) => (c.extensions.nameConstraints && !c.extensions.nameConstraints.critical ? "marks nameConstraints non-critical; it MUST be critical" : null) },
];

/** Every rule of the list with its clause, for docs and tests. */
export const PROFILE_RULES: readonly { code: ProfileFindingCode; clause: string }[] = RULES.map(({ code, clause }) => ({ code, clause }));

/**
 * The profile findings of one certificate in its role: the parse-time ones
 * (extension bodies Go tolerates) and every rule above. Pure and cheap (a
 * handful of property reads per rule), so the issuance self-check runs it too.
 */
export function certificateProfileFindings(c: ParsedCertificate, role: CertificateRole): readonly ProfileFinding[] {
  let byRole = findingsByDer.get(c.der);
  if (!byRole) findingsByDer.set(c.der, (byRole = {}));
  return (byRole[role] ??= computeFindings(c, role));
}

/**
 * Per DER bytes object (which the copies of a cached parse share) and role:
 * the CA certificates of a chain come back on every verification.
 */
const findingsByDer = new WeakMap<Uint8Array, Partial<Record<CertificateRole, readonly ProfileFinding[]>>>();

function computeFindings(c: ParsedCertificate, role: CertificateRole): readonly ProfileFinding[] {
  const out: ProfileFinding[] = c.findings.map((f) => ({ code: f.code, message: f.message }));
  for (const rule of RULES) {
    const defect = rule.check(c, role);
    if (defect !== null) out.push({ code: rule.code, message: `${defect} (RFC 5280 ${rule.clause})` });
  }
  return out;
}
