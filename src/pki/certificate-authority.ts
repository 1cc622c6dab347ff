/**
 * The issuing CA as configured: its certificate chain, its signing key
 * (imported once, non-extractable) and the trust bundle served as ca.crt.
 * Loading checks the material the way an operator would want it checked
 * before the first certificate is signed, and says how to fix what is wrong.
 * Certificates are read with the strict DER reader of the path validator.
 */
import { sha256Hex } from "./bytes.ts";
import { identifyPublicKey, importSigningKey, importVerifyKey, signingParams, type PublicKeyAlgorithm } from "./keys.ts";
import { formatName } from "./name-text.ts";
import { bytesEqual, KU, parseCertificateDer, type ParsedCertificate } from "./path-validation/certificate.ts";
import { DerError } from "./path-validation/der.ts";
import { decodePem, describePemProblem, encodePem } from "./pem.ts";
import { err, ok, type Result } from "./result.ts";
import { verifySignedData } from "./signed-data.ts";
import { subjectKeyIdentifier } from "./spki.ts";

export interface TrustAnchorSummary {
  subject: string;
  sha256_fingerprint: string;
  not_before: string;
  not_after: string;
}

/** The CA certificates relying parties trust: the content of ca.crt. */
export interface TrustBundle {
  pem: string;
  certificates: TrustAnchorSummary[];
  /** Strong ETag of the PEM (RFC 9110 §8.8.3). */
  etag: string;
}

export interface CertificateAuthority {
  /** DER of the certificate whose key signs leaves. */
  der: Uint8Array;
  /** That certificate, parsed (byte fields are views into `der`). */
  parsed: ParsedCertificate;
  /** Its subject as display text, e.g. "CN=edgeca issuing CA, O=Example" (name-text.ts). */
  subject: string;
  /** DER of the issuing certificate's subject, copied verbatim into leaves' issuer field. */
  subjectDer: Uint8Array;
  signingKey: CryptoKey;
  keyAlgorithm: PublicKeyAlgorithm;
  signatureAlgorithm: { name: string; hash?: string };
  /** The issuer's subjectKeyIdentifier, used as the leaves' authorityKeyIdentifier (RFC 5280 §4.2.1.1). */
  subjectKeyIdentifier: Uint8Array;
  /** SHA-256 of the issuing certificate's DER, lowercase hex. */
  fingerprint: string;
  /** Its identity (issuerIdentity): the same for the CA re-certified with the same subject and key. */
  identity: string;
  notBefore: Date;
  notAfter: Date;
  /** PEM of the issuing certificate and intermediates, never a self-signed root: appended to the leaf in tls.crt. */
  chainPem: string;
  trust: TrustBundle;
}

export type CaProblem =
  | { reason: "missing_cert" }
  | { reason: "missing_key" }
  | { reason: "cert_unparseable"; detail: string }
  | { reason: "key_unparseable"; detail: string }
  | { reason: "unsupported_key"; detail: string }
  | { reason: "key_mismatch" }
  | { reason: "not_ca"; subject: string }
  | { reason: "no_key_cert_sign"; subject: string }
  | { reason: "not_yet_valid"; notBefore: string }
  | { reason: "expired"; notAfter: string }
  | { reason: "chain_broken"; index: number }
  | { reason: "no_trust_anchor" }
  | { reason: "trust_not_ca"; subject: string }
  | { reason: "untrusted_chain" }
  /** CA_PREVIOUS_CERT / CA_PREVIOUS_KEY are wrong in the way `problem` says. */
  | { reason: "previous"; problem: CaProblem }
  /** CA_CERT and CA_PREVIOUS_CERT have the same subject and key identifier: leaves and CRLs of the two cannot be told apart. */
  | { reason: "same_issuer"; subject: string };

/** The secrets that hold one issuing CA, named in messages. */
interface SecretNames {
  cert: string;
  key: string;
  what: string;
}
const ISSUING: SecretNames = { cert: "CA_CERT", key: "CA_KEY", what: "issuing certificate" };
const PREVIOUS: SecretNames = { cert: "CA_PREVIOUS_CERT", key: "CA_PREVIOUS_KEY", what: "previous issuing certificate" };

/** How to fix a CA problem, in words safe to return on the wire (no key material). */
export function describeCaProblem(p: CaProblem, n: SecretNames = ISSUING): string {
  switch (p.reason) {
    case "missing_cert":
      return n === ISSUING
        ? "no CA certificate is configured: set the CA_CERT secret (PEM) — `npm run ca:init` creates or imports one"
        : "CA_PREVIOUS_KEY is set without CA_PREVIOUS_CERT: set both (switch phase) or neither (retire phase)";
    case "missing_key":
      return n === ISSUING
        ? "no CA private key is configured: set the CA_KEY secret (PKCS#8 PEM) — `npm run ca:init` creates or imports one"
        : "CA_PREVIOUS_CERT is set without CA_PREVIOUS_KEY: set both (switch phase) or neither (retire phase)";
    case "cert_unparseable":
      return `${n.cert} cannot be parsed: ${p.detail}`;
    case "key_unparseable":
      return `${n.key} cannot be parsed as a PKCS#8 private key (-----BEGIN PRIVATE KEY-----): ${p.detail}; convert with \`openssl pkcs8 -topk8 -nocrypt\``;
    case "unsupported_key":
      return `the ${n.what}'s key type is not supported: ${p.detail}`;
    case "key_mismatch":
      return `${n.key} does not belong to the first certificate in ${n.cert}: the ${n.what} must come first, with its own key`;
    case "not_ca":
      return `the ${n.what} (${p.subject}) is not a CA: basicConstraints CA:TRUE is required (RFC 5280 §4.2.1.9)`;
    case "no_key_cert_sign":
      return `the ${n.what} (${p.subject}) lacks keyUsage keyCertSign (RFC 5280 §4.2.1.3)`;
    case "not_yet_valid":
      return `the ${n.what} is not valid before ${p.notBefore}`;
    case "expired":
      return `the ${n.what} expired at ${p.notAfter}: create or import a new CA with \`npm run ca:init\``;
    case "chain_broken":
      return `${n.cert} certificate ${p.index} is not signed by certificate ${p.index + 1}: list the ${n.what} first, then each issuer in order`;
    case "no_trust_anchor":
      return "no trust anchor: CA_CERT does not end with a self-signed root, so set CA_TRUST to the root certificate(s)";
    case "trust_not_ca":
      return `CA_TRUST contains a certificate that is not a CA (${p.subject}); kuma-dp refuses a CA file whose certificates are not CAs`;
    case "untrusted_chain":
      return "the CA chain in CA_CERT does not lead to any certificate in CA_TRUST: the served bundle must hold the issuing CA's root (publish the next root before switching to it)";
    case "previous":
      return describeCaProblem(p.problem, PREVIOUS);
    case "same_issuer":
      // RFC 5280 §4.2.1.1, §5.2.1: relying parties pick the issuer of a certificate or CRL by name and key identifier.
      return `CA_CERT and CA_PREVIOUS_CERT have the same subject (${p.subject}) and key identifier, so their certificates and CRLs cannot be told apart: the next issuing CA needs a new key (edgeca ca rotate plan makes one)`;
  }
}

/** Missing material is "not configured"; anything present but wrong is "invalid". */
export function isNotConfigured(p: CaProblem): boolean {
  return p.reason === "missing_cert" || p.reason === "missing_key";
}

/** A CA_CERT or CA_TRUST certificate with its names as display text, which chain checks compare. */
interface Cert {
  parsed: ParsedCertificate;
  subject: string;
  issuer: string;
}

function parseCertificates(pem: string, what: string): Result<Cert[], string> {
  const blocks = decodePem(pem);
  if (!blocks.ok) return err(`${what}: ${describePemProblem(blocks.error)}`);
  const certs: Cert[] = [];
  for (const b of blocks.value) {
    if (b.label !== "CERTIFICATE") return err(`${what}: PEM block ${b.index} is ${b.label}, expected CERTIFICATE`);
    const parsed = parseCertificateDer(b.der);
    if (!parsed.ok) return err(`${what}: PEM block ${b.index} is not a valid X.509 certificate`);
    try {
      certs.push({ parsed: parsed.value, subject: formatName(parsed.value.subjectRaw), issuer: formatName(parsed.value.issuerRaw) });
    } catch (e) {
      if (!(e instanceof DerError)) throw e;
      return err(`${what}: PEM block ${b.index} is not a valid X.509 certificate`);
    }
  }
  return ok(certs);
}

function isCa(cert: Cert): boolean {
  // RFC 5280 §4.2.1.9: only cA TRUE makes a CA certificate.
  return cert.parsed.extensions.basicConstraints?.ca === true;
}

/** RFC 5280 §4.1.1.3: the signature over tbsCertificate verifies with `key`'s SubjectPublicKeyInfo. */
function verifiesWith(cert: Cert, key: Cert): Promise<boolean> {
  return verifySignedData(cert.parsed.tbs, cert.parsed.signatureAlgorithm, cert.parsed.signature, key.parsed.spki);
}

async function isSelfSigned(cert: Cert): Promise<boolean> {
  return cert.subject === cert.issuer && verifiesWith(cert, cert);
}

async function signedBy(child: Cert, parent: Cert): Promise<boolean> {
  return child.issuer === parent.subject && verifiesWith(child, parent);
}

async function summarize(cert: Cert): Promise<TrustAnchorSummary> {
  return {
    subject: cert.subject,
    sha256_fingerprint: await sha256Hex(cert.parsed.der),
    not_before: new Date(cert.parsed.notBefore).toISOString(),
    not_after: new Date(cert.parsed.notAfter).toISOString(),
  };
}

export interface CaMaterial {
  certPem?: string | undefined;
  keyPem?: string | undefined;
  trustPem?: string | undefined;
  /** The issuing CA before the last switch: still signs CRLs for what it issued. */
  previousCertPem?: string | undefined;
  previousKeyPem?: string | undefined;
}

/** A CA certificate and key that sign: checked for key match, CA-ness and chain order, not yet anchored. */
interface Signer {
  chain: Cert[];
  issuing: Cert;
  signingKey: CryptoKey;
  keyAlgorithm: PublicKeyAlgorithm;
  signatureAlgorithm: { name: string; hash?: string };
  lastIsRoot: boolean;
}

async function loadSigner(certPem: string | undefined, keyPem: string | undefined, n: SecretNames): Promise<Result<Signer, CaProblem>> {
  if (!certPem?.trim()) return err({ reason: "missing_cert" });
  if (!keyPem?.trim()) return err({ reason: "missing_key" });

  const parsed = parseCertificates(certPem, n.cert);
  if (!parsed.ok) return err({ reason: "cert_unparseable", detail: parsed.error });
  const chain = parsed.value;
  const issuing = chain[0]!;

  const keyBlocks = decodePem(keyPem);
  if (!keyBlocks.ok) return err({ reason: "key_unparseable", detail: describePemProblem(keyBlocks.error) });
  const keyBlock = keyBlocks.value[0]!;
  if (keyBlock.label !== "PRIVATE KEY") {
    return err({ reason: "key_unparseable", detail: `found a ${keyBlock.label} block` });
  }

  const alg = await identifyPublicKey(issuing.parsed.spki);
  if (!alg.ok) return err({ reason: "unsupported_key", detail: `the ${n.what}'s public key is not ECDSA P-256/P-384/P-521, RSA or Ed25519` });
  const keyAlgorithm = alg.value;

  let signingKey: CryptoKey;
  try {
    signingKey = await importSigningKey(keyBlock.der, keyAlgorithm);
  } catch {
    return err({ reason: "key_unparseable", detail: `it is not a ${keyAlgorithm} key matching the ${n.what}` });
  }
  const signatureAlgorithm = signingParams(keyAlgorithm);

  // The key matches the certificate when a signature it makes verifies under the certificate's public key.
  const probe = new TextEncoder().encode("edgeca key check");
  const signature = await crypto.subtle.sign(signatureAlgorithm, signingKey, probe);
  const verifyKey = await importVerifyKey(issuing.parsed.spki, keyAlgorithm);
  if (!(await crypto.subtle.verify(signatureAlgorithm, verifyKey, signature, probe))) return err({ reason: "key_mismatch" });

  if (!isCa(issuing)) return err({ reason: "not_ca", subject: issuing.subject });
  const ku = issuing.parsed.extensions.keyUsage;
  // RFC 5280 §4.2.1.3: a CA certificate's key usage must assert keyCertSign to sign certificates.
  if (ku === undefined || (ku & KU.keyCertSign) === 0) return err({ reason: "no_key_cert_sign", subject: issuing.subject });

  for (let i = 0; i + 1 < chain.length; i++) {
    if (!(await signedBy(chain[i]!, chain[i + 1]!))) return err({ reason: "chain_broken", index: i });
  }
  return ok({ chain, issuing, signingKey, keyAlgorithm, signatureAlgorithm, lastIsRoot: await isSelfSigned(chain[chain.length - 1]!) });
}

/** The anchor the chain ends at: its top when that is an anchor, else an anchor that signed its top. */
async function anchorOf(chain: Cert[], anchors: Cert[]): Promise<Cert | undefined> {
  const top = chain[chain.length - 1]!;
  for (const a of anchors) if (bytesEqual(a.parsed.der, top.parsed.der)) return a;
  for (const a of anchors) if (await signedBy(top, a)) return a;
  return undefined;
}

/**
 * A CA's identity: SHA-256 over its subject DER and its key identifier, hex. What a leaf names its
 * issuer by (RFC 5280 §4.1.2.4 issuer, §4.2.1.1 authorityKeyIdentifier), so a leaf's issuer name and
 * AKI give the identity of the CA that signed it, whichever certificate of that CA is configured.
 */
export async function issuerIdentity(subjectDer: Uint8Array, keyIdentifier: Uint8Array): Promise<string> {
  const input = new Uint8Array(subjectDer.length + keyIdentifier.length);
  input.set(subjectDer, 0);
  input.set(keyIdentifier, subjectDer.length);
  return sha256Hex(input);
}

async function toAuthority(signer: Signer, trust: TrustBundle): Promise<CertificateAuthority> {
  const { issuing, chain } = signer;
  // RFC 5280 §4.2.1.2: without an SKI in the CA certificate, derive one (method 1, SHA-1 of the key bits).
  const ski = issuing.parsed.extensions.subjectKeyId ?? (await subjectKeyIdentifier(issuing.parsed.spki));
  // What goes into tls.crt: CA_CERT without a self-signed root.
  const intermediates = signer.lastIsRoot ? chain.slice(0, -1) : chain;
  return {
    der: issuing.parsed.der,
    parsed: issuing.parsed,
    subject: issuing.subject,
    subjectDer: issuing.parsed.subjectRaw,
    signingKey: signer.signingKey,
    keyAlgorithm: signer.keyAlgorithm,
    signatureAlgorithm: signer.signatureAlgorithm,
    subjectKeyIdentifier: ski,
    fingerprint: await sha256Hex(issuing.parsed.der),
    identity: await issuerIdentity(issuing.parsed.subjectRaw, ski),
    notBefore: new Date(issuing.parsed.notBefore),
    notAfter: new Date(issuing.parsed.notAfter),
    chainPem: intermediates.map((c) => encodePem("CERTIFICATE", c.parsed.der)).join(""),
    trust,
  };
}

/** The issuing CA with its anchors (CA_TRUST, else CA_CERT's self-signed last certificate), checked. */
async function loadIssuing(material: CaMaterial, now: Date): Promise<Result<{ ca: CertificateAuthority; signer: Signer; anchors: Cert[] }, CaProblem>> {
  const loaded = await loadSigner(material.certPem, material.keyPem, ISSUING);
  if (!loaded.ok) return loaded;
  const signer = loaded.value;
  const { issuing, chain } = signer;
  const notBefore = new Date(issuing.parsed.notBefore);
  const notAfter = new Date(issuing.parsed.notAfter);
  if (now < notBefore) return err({ reason: "not_yet_valid", notBefore: notBefore.toISOString() });
  if (now > notAfter) return err({ reason: "expired", notAfter: notAfter.toISOString() });

  let anchors: Cert[];
  if (material.trustPem?.trim()) {
    const trust = parseCertificates(material.trustPem, "CA_TRUST");
    if (!trust.ok) return err({ reason: "cert_unparseable", detail: trust.error });
    anchors = trust.value;
  } else if (signer.lastIsRoot) {
    anchors = [chain[chain.length - 1]!];
  } else {
    return err({ reason: "no_trust_anchor" });
  }
  for (const a of anchors) if (!isCa(a)) return err({ reason: "trust_not_ca", subject: a.subject });
  if (!(await anchorOf(chain, anchors))) return err({ reason: "untrusted_chain" });

  const trustPem = anchors.map((a) => encodePem("CERTIFICATE", a.parsed.der)).join("");
  const trust: TrustBundle = {
    pem: trustPem,
    certificates: await Promise.all(anchors.map(summarize)),
    etag: `"${(await sha256Hex(new TextEncoder().encode(trustPem))).slice(0, 32)}"`,
  };
  return ok({ ca: await toAuthority(signer, trust), signer, anchors });
}

/**
 * Loads and checks CA material: the key matches the issuing certificate,
 * which is a CA with keyCertSign, valid at `now`, chaining through CA_CERT
 * to a trust anchor (CA_TRUST, else CA_CERT's self-signed last certificate).
 */
export async function loadCertificateAuthority(material: CaMaterial, now: Date): Promise<Result<CertificateAuthority, CaProblem>> {
  const loaded = await loadIssuing(material, now);
  return loaded.ok ? ok(loaded.value.ca) : loaded;
}

/** Where a CA sits in the configuration; a certificate in several places takes the first of this order. */
export const CA_ROLES = ["issuing", "previous", "trust_anchor", "intermediate", "root", "unconfigured"] as const;
export type CaRole = (typeof CA_ROLES)[number];

/** A CA certificate edgeca knows from its configuration, for /v1/ca/status. */
export interface KnownCa {
  role: CaRole;
  subject: string | null;
  sha256_fingerprint: string;
  not_before: string | null;
  not_after: string | null;
  /** In the served bundle (ca.crt). */
  served: boolean;
  /** Fingerprints of the issuing CAs (CA_CERT, CA_PREVIOUS_CERT) whose chain passes through this CA: their leaves chain to it. */
  issuers: string[];
  /** For an issuing CA: its chain reaches a certificate of the served bundle. */
  anchored: boolean;
}

/** A finding about the configuration that does not stop the service. */
export interface CaWarning {
  code: string;
  message: string;
  sha256_fingerprint?: string;
}

/** Every CA the service uses, loaded and checked together once per isolate. */
export interface CaSet {
  issuing: CertificateAuthority;
  /** The issuing CA before the last switch (CA_PREVIOUS_CERT / CA_PREVIOUS_KEY), while configured. */
  previous: CertificateAuthority | null;
  /** Each CA certificate once: the issuing and previous chains and the trust anchors. */
  known: KnownCa[];
  warnings: CaWarning[];
}

/**
 * Loads the issuing CA (exactly as loadCertificateAuthority) and, when set,
 * the previous one: its key must match (it signs CRLs), it must be a CA with
 * keyCertSign and a well-ordered chain, and it must differ from the issuing
 * CA in subject or key. It may have expired, and its root may have left
 * CA_TRUST: both are reported by the status, not refused, so retiring stays
 * possible in any order of secret changes.
 */
export async function loadCaSet(material: CaMaterial, now: Date): Promise<Result<CaSet, CaProblem>> {
  const loaded = await loadIssuing(material, now);
  if (!loaded.ok) return loaded;
  const { ca: issuing, signer, anchors } = loaded.value;
  const warnings: CaWarning[] = [];

  let previous: { ca: CertificateAuthority; signer: Signer } | null = null;
  const hasCert = !!material.previousCertPem?.trim();
  const hasKey = !!material.previousKeyPem?.trim();
  if (hasCert !== hasKey) {
    // A half-removed previous CA is a moment of the retire phase (secrets change one at a time): ignored, reported.
    warnings.push({ code: "previous_incomplete", message: `${describeCaProblem({ reason: hasCert ? "missing_key" : "missing_cert" }, PREVIOUS)}; it is ignored until then` });
  } else if (hasCert) {
    const prev = await loadSigner(material.previousCertPem, material.previousKeyPem, PREVIOUS);
    if (!prev.ok) return err({ reason: "previous", problem: prev.error });
    const ca = await toAuthority(prev.value, issuing.trust);
    if (ca.subject === issuing.subject && bytesEqual(ca.subjectKeyIdentifier, issuing.subjectKeyIdentifier)) return err({ reason: "same_issuer", subject: ca.subject });
    previous = { ca, signer: prev.value };
  }

  // RFC 5280 §4.2.1.3: a CRL's signer needs cRLSign, and OpenSSL, Go's CheckCRLSignature and webpki refuse CRLs
  // of a CA without it. Every configured CA signs its CRL (the previous one does nothing else): say so, not fatal.
  for (const [ca, secret] of [[issuing, "CA_CERT"], ...(previous ? [[previous.ca, "CA_PREVIOUS_CERT"]] : [])] as [CertificateAuthority, string][]) {
    const ku = ca.parsed.extensions.keyUsage;
    if (ku !== undefined && (ku & KU.cRLSign) === 0) {
      warnings.push({
        code: "crl_sign_missing",
        message: `${secret} (${ca.subject}) lacks keyUsage cRLSign (RFC 5280 §4.2.1.3): the CRLs edgeca signs with it are refused by relying parties that check CRLs; certify its key again with cRLSign`,
        sha256_fingerprint: ca.fingerprint,
      });
    }
  }

  const known = new Map<string, KnownCa>();
  const note = async (cert: Cert, role: CaRole, issuer: string | null, anchored = false) => {
    const fp = await sha256Hex(cert.parsed.der);
    let k = known.get(fp);
    if (!k) {
      k = { ...(await summarize(cert)), role, sha256_fingerprint: fp, served: false, issuers: [], anchored };
      known.set(fp, k);
    }
    if (CA_ROLES.indexOf(role) < CA_ROLES.indexOf(k.role)) k.role = role;
    if (issuer !== null && !k.issuers.includes(issuer)) k.issuers.push(issuer);
    k.anchored ||= anchored;
  };
  for (const a of anchors) {
    await note(a, "trust_anchor", null);
    known.get(await sha256Hex(a.parsed.der))!.served = true;
  }
  for (const [s, role] of [[signer, "issuing"], ...(previous ? [[previous.signer, "previous"]] : [])] as [Signer, CaRole][]) {
    const fp = await sha256Hex(s.issuing.parsed.der);
    const anchor = await anchorOf(s.chain, anchors);
    for (const [i, c] of s.chain.entries()) await note(c, i === 0 ? role : s.lastIsRoot && i === s.chain.length - 1 ? "root" : "intermediate", fp, i === 0 && anchor !== undefined);
    if (anchor) await note(anchor, "trust_anchor", fp);
  }
  return ok({ issuing, previous: previous?.ca ?? null, known: [...known.values()], warnings });
}
