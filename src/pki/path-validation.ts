/**
 * Certification path validation (RFC 5280 §6) with TLS server/client checks:
 * builds a path from a leaf through untrusted intermediates to a trust
 * anchor (backtracking over alternatives), then checks signatures, validity,
 * CA constraints, path length, name constraints, key usage, extended key
 * usage and the hostname (RFC 6125). Pure: no clock, no I/O; WebCrypto only.
 * `valid` is the verdict of Go's crypto/x509 (what Kuma runs; every rule is
 * audited against it in docs/verify-corpus.md). RFC 5280 §4 profile defects
 * Go accepts are findings (path-validation/profile.ts): warnings under the
 * `go` profile, errors under `strict`.
 */
import { matchHostname, parseReferenceIdentifier, type ReferenceIdentifier } from "./hostname-match.ts";
import { formatIpAddress } from "./names.ts";
import { KU, OID, bytesEqual, goParsesDomain, parseCertificateDerCached, type ParsedCertificate } from "./path-validation/certificate.ts";
import { PROFILE_FINDING_CODES, type PathErrorCode, type PathWarningCode, type ProfileFindingCode } from "./path-validation/codes.ts";
import { certificateProfileFindings, type CertificateRole } from "./path-validation/profile.ts";
import { checkDnsName, checkEmail, checkIpAddress, checkUri } from "./path-validation/name-constraints.ts";
import { certificateFingerprint, isWeakScheme, verifyCertificateSignatureCached, type SignatureCheck } from "./path-validation/signature.ts";

export { PATH_ERROR_CODES, PATH_ERROR_CODES_ALL, PATH_WARNING_CODES, PLAIN_WARNING_CODES, PROFILE_FINDING_CODES, type PathErrorCode, type PathWarningCode, type ProfileFindingCode } from "./path-validation/codes.ts";
export { certificateProfileFindings, PROFILE_RULES, type CertificateRole, type ProfileFinding } from "./path-validation/profile.ts";
export { parseCertificateDer, parseCertificateDerCached, type ParsedCertificate, type CertificateParseError } from "./path-validation/certificate.ts";

export type CertificateUsage = "server" | "client";

/**
 * `go`: `valid` is Go crypto/x509's verdict (what Kuma runs); RFC 5280 §4
 * profile findings are warnings. `strict`: the same findings are errors, so
 * only chains that also satisfy the stricter verifiers (rustls/webpki,
 * OpenSSL -x509_strict, CA linters) are valid.
 */
export type VerifyProfile = "go" | "strict";
export const VERIFY_PROFILES = ["go", "strict"] as const satisfies readonly VerifyProfile[];

export interface PathValidationOptions {
  /** The end-entity certificate, DER. */
  leaf: Uint8Array;
  /** Untrusted intermediates, DER, in any order; unrelated ones are allowed. */
  intermediates: Uint8Array[];
  /** Trust anchors, DER. */
  roots: Uint8Array[];
  /** The validation time. */
  at: Date;
  /** A DNS name or IP literal the leaf must be valid for. */
  hostname?: string;
  /** The EKU required of the leaf; default "server". */
  usage?: CertificateUsage;
  /** Most certificates in a path, counting leaf and anchor; default 32 (Go has no depth limit, only its 100 signature checks). */
  maxDepth?: number;
  /** Which verdict `valid` gives; default "go". */
  profile?: VerifyProfile;
  /** Most signature verifications for one call, so hostile input cannot run away; default 100. */
  maxSignatureChecks?: number;
}

export interface PathIssue<C extends string = string> {
  code: C;
  message: string;
  /** Position of the certificate at fault in the reported chain (0 = leaf), or null. */
  index: number | null;
}

export interface ChainCertificate {
  role: "leaf" | "intermediate" | "root";
  subject: string;
  issuer: string;
  serial_number: string;
  sha256_fingerprint: string;
  not_before: string;
  not_after: string;
  /** True for the certificate found among the trust anchors (also the leaf, when it is its own anchor). */
  trust_anchor: boolean;
}

export interface PathValidationReport {
  valid: boolean;
  errors: PathIssue<PathErrorCode>[];
  warnings: PathIssue<PathWarningCode>[];
  /** The path that was built, or the best partial path, leaf first. */
  chain: ChainCertificate[];
}

const DAY_MS = 86_400_000;
const EXPIRY_WARNING_MS = 30 * DAY_MS;

type PathEnd = "anchor" | "dead_end" | "too_long" | "budget";

interface Candidate {
  certs: ParsedCertificate[];
  /** links[i]: whether certs[i + 1] signed certs[i]. */
  links: SignatureCheck[];
  end: PathEnd;
}

interface Evaluated extends Candidate {
  errors: PathIssue<PathErrorCode>[];
  warnings: PathIssue<PathWarningCode>[];
  badSignatures: number;
}

interface Context {
  at: number;
  usage: CertificateUsage;
  hostname: string | undefined;
  reference: ReferenceIdentifier | null;
  maxDepth: number;
  maxSignatureChecks: number;
  signatureChecks: number;
  visits: number;
  budgetHit: boolean;
  roots: ParsedCertificate[];
  intermediates: ParsedCertificate[];
  edges: Map<ParsedCertificate, Map<ParsedCertificate, SignatureCheck>>;
  best: Evaluated | null;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

function span(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  if (days >= 1) return days === 1 ? "1 day" : `${days} days`;
  const hours = Math.floor(ms / 3_600_000);
  if (hours >= 1) return hours === 1 ? "1 hour" : `${hours} hours`;
  const minutes = Math.max(1, Math.floor(ms / 60_000));
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

function label(cert: ParsedCertificate): string {
  return cert.subject === "" ? "(empty subject)" : `"${cert.subject}"`;
}

function roleName(i: number, n: number, anchored: boolean): string {
  if (i === 0) return "the leaf certificate";
  if (anchored && i === n - 1) return "the root (trust anchor)";
  return `intermediate ${i}`;
}

function usageOid(usage: CertificateUsage): string {
  return usage === "server" ? OID.serverAuth : OID.clientAuth;
}

function usageName(usage: CertificateUsage): string {
  return usage === "server" ? "serverAuth (TLS server)" : "clientAuth (TLS client)";
}

/** Go's alreadyInChain: the same subject and key already in the path is a loop (cross-signing cycles). */
function inPath(cert: ParsedCertificate, path: ParsedCertificate[]): boolean {
  return path.some((p) => bytesEqual(p.subjectRaw, cert.subjectRaw) && bytesEqual(p.spki, cert.spki));
}

/** Issuer candidates by name (RFC 5280 §6.1.3 (a)(4)), trust anchors first, those whose SKI matches the AKI first (RFC 5280 §4.2.1.1). */
function findIssuers(current: ParsedCertificate, path: ParsedCertificate[], ctx: Context): { cert: ParsedCertificate; root: boolean }[] {
  const rank = (c: ParsedCertificate): number => {
    const aki = current.extensions.authorityKeyId;
    const ski = c.extensions.subjectKeyId;
    if (!aki || !ski) return 1;
    return bytesEqual(aki, ski) ? 0 : 2;
  };
  const pick = (pool: ParsedCertificate[], root: boolean) =>
    pool
      .filter((c) => bytesEqual(c.subjectRaw, current.issuerRaw) && !inPath(c, path))
      .map((cert) => ({ cert, root, rank: rank(cert) }))
      .sort((a, b) => a.rank - b.rank);
  return [...pick(ctx.roots, true), ...pick(ctx.intermediates, false)];
}

function score(e: Evaluated): number[] {
  return [e.badSignatures > 0 ? 1 : 0, e.end === "anchor" ? 0 : 1, e.errors.length, -e.certs.length];
}

function better(a: Evaluated, b: Evaluated): boolean {
  const sa = score(a);
  const sb = score(b);
  for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return sa[i]! < sb[i]!;
  return false;
}

/** Records a finished candidate path; true when it is valid (the search can stop). */
function consider(candidate: Candidate, ctx: Context): boolean {
  const evaluated = evaluate(candidate, ctx);
  if (!ctx.best || better(evaluated, ctx.best)) ctx.best = evaluated;
  return evaluated.errors.length === 0;
}

async function search(path: ParsedCertificate[], links: SignatureCheck[], ctx: Context): Promise<boolean> {
  ctx.visits++;
  const current = path[path.length - 1]!;
  // RFC 5280 §6.1 leaves the path length to the implementation; like Go and OpenSSL we bound it.
  if (path.length >= ctx.maxDepth) return consider({ certs: path, links, end: "too_long" }, ctx);
  if (ctx.visits > ctx.maxSignatureChecks * 4) {
    ctx.budgetHit = true;
    return consider({ certs: path, links, end: "budget" }, ctx);
  }
  const issuers = findIssuers(current, path, ctx);
  if (issuers.length === 0) return consider({ certs: path, links, end: "dead_end" }, ctx);
  for (const { cert, root } of issuers) {
    let perSubject = ctx.edges.get(current);
    if (!perSubject) ctx.edges.set(current, (perSubject = new Map()));
    let check = perSubject.get(cert);
    if (!check) {
      if (ctx.signatureChecks >= ctx.maxSignatureChecks) {
        ctx.budgetHit = true;
        return consider({ certs: path, links, end: "budget" }, ctx);
      }
      ctx.signatureChecks++;
      check = await verifyCertificateSignatureCached(current, cert);
      perSubject.set(cert, check);
    }
    const nextPath = [...path, cert];
    const nextLinks = [...links, check];
    // A failed signature still extends the path, so the report shows where the chain breaks; such paths rank last.
    if (root ? consider({ certs: nextPath, links: nextLinks, end: "anchor" }, ctx) : await search(nextPath, nextLinks, ctx)) return true;
    if (ctx.budgetHit) return false;
  }
  return false;
}

function evaluate(candidate: Candidate, ctx: Context): Evaluated {
  const { certs, links, end } = candidate;
  const n = certs.length;
  const anchored = end === "anchor";
  const errors: PathIssue<PathErrorCode>[] = [];
  const warnings: PathIssue<PathWarningCode>[] = [];
  const leaf = certs[0]!;
  const last = certs[n - 1]!;

  if (end === "dead_end") {
    if (n === 1 && last.selfIssued) {
      errors.push({
        code: "self_signed_leaf",
        message: `the leaf certificate is self-signed (its issuer ${label(last)} is itself) and it is not among the trusted roots; Go reports "x509: certificate signed by unknown authority". Either put this exact certificate in the trust bundle (ca.crt), as kumactl-generated certificates are used, or use a certificate issued by a trusted CA`,
        index: 0,
      });
    } else if (last.selfIssued) {
      errors.push({ code: "unknown_authority", message: `${roleName(n - 1, n, false)} ${label(last)} is a self-signed root that is not among the trusted roots ("certificate signed by unknown authority")`, index: n - 1 });
    } else {
      errors.push({
        code: "unknown_authority",
        message: `no issuer named "${last.issuer}" was found among the supplied intermediates or the trusted roots, so ${roleName(n - 1, n, false)} cannot be chained to a trust anchor ("certificate signed by unknown authority"); a missing intermediate or a certificate from a different CA`,
        index: n - 1,
      });
    }
  } else if (end === "too_long") {
    errors.push({ code: "path_too_long", message: `no trust anchor within ${ctx.maxDepth} certificates (leaf and root included); longer paths are refused`, index: n - 1 });
  } else if (end === "budget") {
    errors.push({ code: "signature_check_limit", message: `path building stopped after ${ctx.maxSignatureChecks} signature checks without finding a valid path; the input has too many candidate issuers`, index: null });
  }

  let badSignatures = 0;
  links.forEach((link, i) => {
    if (link.ok) return;
    if (link.code === "bad_signature") badSignatures++;
    errors.push({ code: link.code, message: `${roleName(i, n, anchored)}: ${link.message}`, index: i });
  });

  certs.forEach((c, i) => {
    const who = roleName(i, n, anchored);
    for (const p of c.problems) errors.push({ code: p.code, message: `${who}: ${p.message}`, index: i });
    // RFC 5280 §6.1.3 (a)(2): the certificate validity period includes the validation time.
    if (ctx.at < c.notBefore) {
      errors.push({ code: "not_yet_valid", message: `${who} ${label(c)} is not valid until ${iso(c.notBefore)}, ${span(c.notBefore - ctx.at)} after the validation time ${iso(ctx.at)} (RFC 5280 §4.1.2.5)`, index: i });
    } else if (ctx.at > c.notAfter) {
      errors.push({ code: "expired", message: `${who} ${label(c)} expired on ${iso(c.notAfter)}, ${span(ctx.at - c.notAfter)} before the validation time ${iso(ctx.at)} (RFC 5280 §4.1.2.5)`, index: i });
    } else if (c.notAfter - ctx.at <= EXPIRY_WARNING_MS) {
      warnings.push({ code: "expires_soon", message: `${who} ${label(c)} expires on ${iso(c.notAfter)}, ${span(c.notAfter - ctx.at)} after the validation time`, index: i });
    }
    if (c.publicKey.kind === "rsa" && c.publicKey.bits < 2048) {
      warnings.push({ code: "rsa_key_too_small", message: `${who} has a ${c.publicKey.bits}-bit RSA key; use at least 2048 bits (CA/Browser Forum BR §6.1.5; Go 1.24+ refuses keys under 1024 bits)`, index: i });
    }
  });

  if (anchored && isWeakScheme(last)) {
    warnings.push({ code: "sha1_signature", message: `the trust anchor ${label(last)} is self-signed with SHA-1 or MD5; that signature is not relied on (RFC 5280 §6.1.1 (d)), but replace the root before tools start refusing it`, index: n - 1 });
  }

  const required = usageOid(ctx.usage);
  for (let i = 1; i < n; i++) {
    const c = certs[i]!;
    const isAnchor = anchored && i === n - 1;
    const who = roleName(i, n, anchored);
    const bc = c.extensions.basicConstraints;
    if (c.version !== 3 && !bc) {
      // RFC 5280 §6.1.1 (d): a trust anchor is a name and a key; Go accepts a v1 or v2 root (and CheckSignatureFrom lets it sign).
      if (isAnchor) warnings.push({ code: "v1_trust_anchor", message: `the trust anchor ${label(c)} is a version ${c.version} certificate without basicConstraints; it is accepted as a trust anchor (as Go does), but OpenSSL with -x509_strict refuses it`, index: i });
      else errors.push({ code: "issuer_not_ca", message: `${who} ${label(c)} signed the certificate below it but is a version ${c.version} certificate, which cannot be a CA (RFC 5280 §6.1.4 (k); Go: NotAuthorizedToSign)`, index: i });
    } else if (!bc?.ca) {
      // RFC 5280 §4.2.1.9, §6.1.4 (k); Go's CheckSignatureFrom refuses such a parent, root included.
      errors.push({ code: "issuer_not_ca", message: `${who} ${label(c)} signed the certificate below it but is not a CA: ${bc ? "its basicConstraints say CA:FALSE" : "it has no basicConstraints extension"} (RFC 5280 §4.2.1.9, §6.1.4 (k))`, index: i });
    }
    // RFC 5280 §6.1.4 (n): keyUsage, when present, must assert keyCertSign; Go's CheckSignatureFrom checks it (a keyUsage with no bit counts as absent).
    const ku = c.extensions.keyUsage;
    if (ku !== undefined && ku !== 0 && (ku & KU.keyCertSign) === 0) {
      errors.push({ code: "issuer_missing_key_cert_sign", message: `${who} ${label(c)} has a keyUsage extension without keyCertSign, so it may not sign certificates (RFC 5280 §4.2.1.3, §6.1.4 (n))`, index: i });
    }
    if (bc?.pathLen !== null && bc?.pathLen !== undefined) {
      // RFC 5280 §6.1.4 (l), (m) would not count self-issued intermediates; Go counts every certificate between this one and the leaf.
      const below = i - 1;
      if (below > bc.pathLen) {
        errors.push({ code: "path_length_exceeded", message: `${who} ${label(c)} allows at most ${bc.pathLen} intermediate CA certificate(s) below it (pathLenConstraint), but the path has ${below} (RFC 5280 §4.2.1.9; Go counts self-issued ones too)`, index: i });
      }
    }
    const nc = c.extensions.nameConstraints;
    if (nc) checkNameConstraints(c, i, certs, who, anchored, errors, warnings);
    const eku = c.extensions.extKeyUsage;
    // Go's crypto/x509 (and CA/B BR §7.1.2.2): an EKU on a CA limits the EKUs of what it issues.
    if (eku && !eku.includes(OID.anyExtendedKeyUsage) && !eku.includes(required)) {
      errors.push({ code: "eku_mismatch", message: `${who} ${label(c)} restricts its extended key usage to ${eku.join(", ")}, which does not include ${usageName(ctx.usage)}; Go refuses leaves below such a CA for that usage`, index: i });
    }
  }

  checkLeaf(leaf, ctx, errors, warnings);
  if (anchored && n === 1) {
    warnings.push({
      code: "leaf_is_trust_anchor",
      message: "the leaf certificate is itself one of the trusted roots: a self-signed certificate used as its own CA (as kumactl generate tls-certificate makes). Go's crypto/x509 accepts it as a one-certificate chain and still checks its validity, EKU and hostname; there is no CA to rotate, so replacing it means redistributing ca.crt",
      index: 0,
    });
  }
  return { ...candidate, errors, warnings, badSignatures };
}

/**
 * Name constraints as Go's isValid applies them (RFC 5280 §4.2.1.10): the
 * constraints of CA `c` are checked against the leaf's SANs and c's own SANs
 * (Go does not check the certificates between). Every DNS SAN must parse as
 * Go's domainToReverseLabels requires, every email SAN as a mailbox.
 */
function checkNameConstraints(c: ParsedCertificate, i: number, certs: ParsedCertificate[], who: string, anchored: boolean, errors: PathIssue<PathErrorCode>[], warnings: PathIssue<PathWarningCode>[]): void {
  const nc = c.extensions.nameConstraints!;
  const n = certs.length;
  if (nc.unhandledForms > 0 && !nc.critical) {
    // A critical one is already unhandled_critical_extension; Go ignores the forms of a non-critical one.
    warnings.push({ code: "name_constraints_not_checked", message: `${who} has name constraints on directoryName or other name forms, which Go (and edgeca) do not enforce; only DNS, IP, email and URI constraints applied`, index: i });
  }
  for (const j of [0, i]) {
    const s = certs[j]!;
    const san = s.extensions.subjectAltName;
    if (!san) continue;
    const whose = roleName(j, n, anchored);
    for (const d of san.dns) {
      const reason = goParsesDomain(d) ? checkDnsName(d, nc) : `DNS name "${d}" cannot be parsed for name constraints (an empty label or a trailing dot)`;
      if (reason) errors.push({ code: "name_constraint_violation", message: `${whose}: ${reason} of ${who} ${label(c)} (RFC 5280 §4.2.1.10)`, index: j });
    }
    for (const ip of san.ip) {
      const reason = checkIpAddress(ip, nc);
      if (reason) errors.push({ code: "name_constraint_violation", message: `${whose}: ${reason} of ${who} ${label(c)} (RFC 5280 §4.2.1.10)`, index: j });
    }
    for (const reason of [...san.email.map((e) => checkEmail(e, nc)), ...san.uri.map((u) => checkUri(u, nc))]) {
      if (reason) errors.push({ code: "name_constraint_violation", message: `${whose}: ${reason} of ${who} ${label(c)} (RFC 5280 §4.2.1.10)`, index: j });
    }
  }
}

function checkLeaf(leaf: ParsedCertificate, ctx: Context, errors: PathIssue<PathErrorCode>[], warnings: PathIssue<PathWarningCode>[]): void {
  const eku = leaf.extensions.extKeyUsage;
  const required = usageOid(ctx.usage);
  // RFC 5280 §4.2.1.12: when EKU is present the certificate may be used only for the listed purposes (or any).
  if (eku && !eku.includes(OID.anyExtendedKeyUsage) && !eku.includes(required)) {
    errors.push({ code: "eku_mismatch", message: `the leaf certificate's extended key usage (${eku.join(", ")}) does not include ${usageName(ctx.usage)} (RFC 5280 §4.2.1.12)`, index: 0 });
  }
  const ku = leaf.extensions.keyUsage;
  if (ku !== undefined) {
    const kind = leaf.publicKey.kind;
    const ds = (ku & KU.digitalSignature) !== 0;
    const ke = (ku & KU.keyEncipherment) !== 0;
    if (kind === "rsa") {
      if (ctx.usage === "server" && !ds && !ke) {
        warnings.push({ code: "key_usage_invalid", message: `certificate 0, the leaf certificate ${label(leaf)}, has an RSA key whose keyUsage has neither digitalSignature (needed for TLS 1.3 and ECDHE) nor keyEncipherment (TLS 1.2 RSA key exchange), so it cannot authenticate a TLS server (RFC 5280 §4.2.1.3)`, index: 0 });
      } else if (ctx.usage === "client" && !ds) {
        warnings.push({ code: "key_usage_invalid", message: `certificate 0, the leaf certificate ${label(leaf)}, is used as a TLS client, which signs the handshake (CertificateVerify), so its keyUsage needs digitalSignature (RFC 5280 §4.2.1.3, RFC 8446 §4.4.3)`, index: 0 });
      }
    } else if ((kind === "ec" || kind === "ed25519") && !ds) {
      warnings.push({ code: "key_usage_invalid", message: `certificate 0, the leaf certificate ${label(leaf)}, has an ${kind === "ec" ? "ECDSA" : "Ed25519"} key, which can only authenticate TLS by signing, but its keyUsage lacks digitalSignature (RFC 5280 §4.2.1.3, RFC 8446 §4.4.3)`, index: 0 });
    }
  }
  const san = leaf.extensions.subjectAltName;
  const hasNames = !!san && san.dns.length + san.ip.length > 0;
  if (!hasNames && leaf.commonName !== null) {
    warnings.push({ code: "cn_only_name", message: `the leaf names its host only in the subject common name "${leaf.commonName}"; Go ≥ 1.15 ignores the CN for hostname checks, so add it as a subjectAltName (RFC 6125 §6.4.4)`, index: 0 });
  }
  // Go's Verify checks the name only when opts.DNSName is non-empty.
  if (ctx.reference !== null) {
    const m = matchHostname(ctx.reference, san);
    if (!m.matched && ctx.reference.kind === "dns" && !ctx.reference.valid) {
      errors.push({ code: "invalid_hostname", message: `"${ctx.hostname}" is neither a valid DNS name nor an IP address literal, and no SAN is spelled exactly like it (Go's VerifyHostname)`, index: null });
    } else {
      if (!m.matched) {
        const names = [...(san?.dns ?? []).map((d) => `DNS:${d}`), ...(san?.ip ?? []).map((ip) => `IP:${formatIpAddress(ip)}`)];
        const want = ctx.reference.kind === "ip" ? `IP address ${ctx.reference.text}` : `hostname "${ctx.reference.name}"`;
        const detail =
          m.reason === "no_san"
            ? leaf.commonName !== null
              ? `the certificate has no subjectAltName; its common name "${leaf.commonName}" is ignored, as Go ≥ 1.15 does (RFC 6125 §6.4.4)`
              : "the certificate has no subjectAltName"
            : m.reason === "ip_not_in_san"
              ? `IP addresses match only iPAddress SANs (RFC 6125 §6.2.1); the certificate has ${names.join(", ")}`
              : `the certificate is valid for ${names.join(", ")}${
                // The wildcard rule explains a mismatch only when a wildcard is involved, in a SAN or in the name asked for.
                (san?.dns ?? []).some((d) => d.includes("*")) || (ctx.reference.kind === "dns" && ctx.reference.name.includes("*"))
                  ? " (RFC 6125 §6.4: a wildcard matches exactly one whole left-most label)"
                  : ""
              }`;
        errors.push({ code: "hostname_mismatch", message: `the leaf certificate is not valid for ${want}: ${detail}`, index: 0 });
      }
    }
  }
  const k = leaf.publicKey;
  if (ctx.usage === "server" && (k.kind === "ed25519" || (k.kind === "ec" && k.curve === "P-521"))) {
    warnings.push({ code: "leaf_key_not_usable_by_envoy", message: `the leaf key is ${k.kind === "ed25519" ? "Ed25519" : "ECDSA P-521"}; Envoy (BoringSSL) does not accept it for a server certificate, so data plane proxies cannot connect to a control plane serving it. Use ECDSA P-256/P-384 or RSA`, index: 0 });
  }
}

function parsePool(ders: Uint8Array[], what: string, warnings: PathIssue<PathWarningCode>[]): ParsedCertificate[] {
  const out: ParsedCertificate[] = [];
  ders.forEach((der, i) => {
    const r = parseCertificateDerCached(der);
    if (!r.ok) {
      warnings.push({ code: "ignored_certificate", message: `${what} ${i} was ignored: ${r.error.message}`, index: null });
      return;
    }
    if (!out.some((c) => bytesEqual(c.der, der))) out.push(r.value);
  });
  return out;
}

/**
 * Validates the certification path of `leaf` at `at` (RFC 5280 §6.1) and
 * checks it for TLS use (EKU, keyUsage, hostname per RFC 6125). Never throws
 * for bad certificates: every finding is an error or warning in the report.
 * Throws a TypeError only for an invalid `at` or options.
 */
export async function validatePath(options: PathValidationOptions): Promise<PathValidationReport> {
  const at = options.at.getTime();
  if (Number.isNaN(at)) throw new TypeError("validatePath: `at` is not a valid date");
  const maxDepth = options.maxDepth ?? 32;
  const maxSignatureChecks = options.maxSignatureChecks ?? 100;
  if (!(maxDepth >= 1) || !(maxSignatureChecks >= 1)) throw new TypeError("validatePath: maxDepth and maxSignatureChecks must be at least 1");

  const parsedLeaf = parseCertificateDerCached(options.leaf);
  if (!parsedLeaf.ok) {
    return { valid: false, errors: [{ code: "invalid_certificate", message: `the leaf is ${parsedLeaf.error.message}`, index: 0 }], warnings: [], chain: [] };
  }
  const leaf = parsedLeaf.value;
  const poolWarnings: PathIssue<PathWarningCode>[] = [];
  const roots = parsePool(options.roots, "trust anchor", poolWarnings);
  const intermediates = parsePool(options.intermediates, "intermediate", poolWarnings).filter(
    (c) => !bytesEqual(c.der, leaf.der) && !roots.some((r) => bytesEqual(r.der, c.der)),
  );
  const ctx: Context = {
    at,
    usage: options.usage ?? "server",
    hostname: options.hostname,
    reference: options.hostname === undefined ? null : parseReferenceIdentifier(options.hostname),
    maxDepth,
    maxSignatureChecks,
    signatureChecks: 0,
    visits: 0,
    budgetHit: false,
    roots,
    intermediates,
    edges: new Map(),
    best: null,
  };

  if (roots.some((r) => bytesEqual(r.der, leaf.der))) {
    // Go's Verify: a leaf that is itself in Roots is the chain [leaf]; no issuer is searched.
    consider({ certs: [leaf], links: [], end: "anchor" }, ctx);
  } else {
    await search([leaf], [], ctx);
  }
  const best = ctx.best!;
  const n = best.certs.length;
  const anchored = best.end === "anchor";
  const chain = await Promise.all(
    best.certs.map(async (c, i): Promise<ChainCertificate> => ({
      role: i === 0 ? "leaf" : anchored && i === n - 1 ? "root" : "intermediate",
      subject: c.subject,
      issuer: c.issuer,
      serial_number: c.serialHex,
      sha256_fingerprint: await certificateFingerprint(c),
      not_before: iso(c.notBefore),
      not_after: iso(c.notAfter),
      trust_anchor: anchored && i === n - 1,
    })),
  );
  const warnings = [...best.warnings, ...pathProfileFindings(best.certs, anchored), ...poolWarnings];
  if (options.profile !== "strict") return { valid: best.errors.length === 0, errors: best.errors, warnings, chain };
  const errors: PathIssue<PathErrorCode>[] = [...best.errors, ...warnings.filter((w) => isProfileFinding(w.code)) as PathIssue<ProfileFindingCode>[]];
  return { valid: errors.length === 0, errors, warnings: warnings.filter((w) => !isProfileFinding(w.code)), chain };
}

const PROFILE_CODES: ReadonlySet<string> = new Set(PROFILE_FINDING_CODES);

function isProfileFinding(code: string): boolean {
  return PROFILE_CODES.has(code);
}

/** The RFC 5280 §4 profile findings of every certificate of the reported path, each with its index. */
function pathProfileFindings(certs: ParsedCertificate[], anchored: boolean): PathIssue<ProfileFindingCode>[] {
  const n = certs.length;
  const out: PathIssue<ProfileFindingCode>[] = [];
  certs.forEach((c, i) => {
    const role: CertificateRole = i === 0 ? "end_entity" : anchored && i === n - 1 ? "anchor" : "intermediate";
    for (const f of certificateProfileFindings(c, role)) out.push({ code: f.code, message: `certificate ${i}, ${roleName(i, n, anchored)} ${label(c)}, ${f.message}`, index: i });
  });
  return out;
}
