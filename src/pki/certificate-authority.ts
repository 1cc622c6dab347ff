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
  | { reason: "untrusted_chain" };

/** How to fix a CA problem, in words safe to return on the wire (no key material). */
export function describeCaProblem(p: CaProblem): string {
  switch (p.reason) {
    case "missing_cert":
      return "no CA certificate is configured: set the CA_CERT secret (PEM) — `npm run ca:init` creates or imports one";
    case "missing_key":
      return "no CA private key is configured: set the CA_KEY secret (PKCS#8 PEM) — `npm run ca:init` creates or imports one";
    case "cert_unparseable":
      return `CA_CERT cannot be parsed: ${p.detail}`;
    case "key_unparseable":
      return `CA_KEY cannot be parsed as a PKCS#8 private key (-----BEGIN PRIVATE KEY-----): ${p.detail}; convert with \`openssl pkcs8 -topk8 -nocrypt\``;
    case "unsupported_key":
      return `the CA key type is not supported: ${p.detail}`;
    case "key_mismatch":
      return "CA_KEY does not belong to the first certificate in CA_CERT: the issuing certificate must come first";
    case "not_ca":
      return `the issuing certificate (${p.subject}) is not a CA: basicConstraints CA:TRUE is required (RFC 5280 §4.2.1.9)`;
    case "no_key_cert_sign":
      return `the issuing certificate (${p.subject}) lacks keyUsage keyCertSign (RFC 5280 §4.2.1.3)`;
    case "not_yet_valid":
      return `the issuing certificate is not valid before ${p.notBefore}`;
    case "expired":
      return `the issuing certificate expired at ${p.notAfter}: create or import a new CA with \`npm run ca:init\``;
    case "chain_broken":
      return `CA_CERT certificate ${p.index} is not signed by certificate ${p.index + 1}: list the issuing certificate first, then each issuer in order`;
    case "no_trust_anchor":
      return "no trust anchor: CA_CERT does not end with a self-signed root, so set CA_TRUST to the root certificate(s)";
    case "trust_not_ca":
      return `CA_TRUST contains a certificate that is not a CA (${p.subject}); kuma-dp refuses a CA file whose certificates are not CAs`;
    case "untrusted_chain":
      return "the CA chain in CA_CERT does not lead to any certificate in CA_TRUST";
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
}

/**
 * Loads and checks CA material: the key matches the issuing certificate,
 * which is a CA with keyCertSign, valid at `now`, chaining through CA_CERT
 * to a trust anchor (CA_TRUST, else CA_CERT's self-signed last certificate).
 */
export async function loadCertificateAuthority(material: CaMaterial, now: Date): Promise<Result<CertificateAuthority, CaProblem>> {
  if (!material.certPem?.trim()) return err({ reason: "missing_cert" });
  if (!material.keyPem?.trim()) return err({ reason: "missing_key" });

  const parsed = parseCertificates(material.certPem, "CA_CERT");
  if (!parsed.ok) return err({ reason: "cert_unparseable", detail: parsed.error });
  const chain = parsed.value;
  const issuing = chain[0]!;

  const keyBlocks = decodePem(material.keyPem);
  if (!keyBlocks.ok) return err({ reason: "key_unparseable", detail: describePemProblem(keyBlocks.error) });
  const keyBlock = keyBlocks.value[0]!;
  if (keyBlock.label !== "PRIVATE KEY") {
    return err({ reason: "key_unparseable", detail: `found a ${keyBlock.label} block` });
  }

  const alg = await identifyPublicKey(issuing.parsed.spki);
  if (!alg.ok) return err({ reason: "unsupported_key", detail: "the issuing certificate's public key is not ECDSA P-256/P-384/P-521, RSA or Ed25519" });
  const keyAlgorithm = alg.value;

  let signingKey: CryptoKey;
  try {
    signingKey = await importSigningKey(keyBlock.der, keyAlgorithm);
  } catch {
    return err({ reason: "key_unparseable", detail: `it is not a ${keyAlgorithm} key matching the issuing certificate` });
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
  const notBefore = new Date(issuing.parsed.notBefore);
  const notAfter = new Date(issuing.parsed.notAfter);
  if (now < notBefore) return err({ reason: "not_yet_valid", notBefore: notBefore.toISOString() });
  if (now > notAfter) return err({ reason: "expired", notAfter: notAfter.toISOString() });

  for (let i = 0; i + 1 < chain.length; i++) {
    if (!(await signedBy(chain[i]!, chain[i + 1]!))) return err({ reason: "chain_broken", index: i });
  }

  // Split CA_CERT into what goes into tls.crt (not self-signed) and a self-signed root.
  const last = chain[chain.length - 1]!;
  const lastIsRoot = await isSelfSigned(last);
  const intermediates = lastIsRoot ? chain.slice(0, -1) : chain;

  let anchors: Cert[];
  if (material.trustPem?.trim()) {
    const trust = parseCertificates(material.trustPem, "CA_TRUST");
    if (!trust.ok) return err({ reason: "cert_unparseable", detail: trust.error });
    anchors = trust.value;
  } else if (lastIsRoot) {
    anchors = [last];
  } else {
    return err({ reason: "no_trust_anchor" });
  }
  for (const a of anchors) if (!isCa(a)) return err({ reason: "trust_not_ca", subject: a.subject });

  // The chain must end at an anchor: its top is an anchor, or is signed by one.
  const top = chain[chain.length - 1]!;
  let anchored = false;
  for (const a of anchors) {
    if (bytesEqual(a.parsed.der, top.parsed.der) || (await signedBy(top, a))) {
      anchored = true;
      break;
    }
  }
  if (!anchored) return err({ reason: "untrusted_chain" });

  // RFC 5280 §4.2.1.2: without an SKI in the CA certificate, derive one (method 1, SHA-1 of the key bits).
  const ski = issuing.parsed.extensions.subjectKeyId ?? (await subjectKeyIdentifier(issuing.parsed.spki));

  const trustPem = anchors.map((a) => encodePem("CERTIFICATE", a.parsed.der)).join("");
  return ok({
    der: issuing.parsed.der,
    parsed: issuing.parsed,
    subject: issuing.subject,
    subjectDer: issuing.parsed.subjectRaw,
    signingKey,
    keyAlgorithm,
    signatureAlgorithm,
    subjectKeyIdentifier: ski,
    fingerprint: await sha256Hex(issuing.parsed.der),
    notBefore,
    notAfter,
    chainPem: intermediates.map((c) => encodePem("CERTIFICATE", c.parsed.der)).join(""),
    trust: {
      pem: trustPem,
      certificates: await Promise.all(anchors.map(summarize)),
      etag: `"${(await sha256Hex(new TextEncoder().encode(trustPem))).slice(0, 32)}"`,
    },
  });
}
