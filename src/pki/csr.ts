/**
 * PKCS#10 certificate signing requests (RFC 2986): parsing, proof of
 * possession (the CSR's self-signature), key policy, and the requested
 * names. Nothing else a CSR asks for is ever copied into a certificate.
 * Read with the strict DER reader (X.690 §10): trailing data, indefinite or
 * non-minimal lengths are refused, as Go's ParseCertificateRequest does.
 */
import { identifyPublicKey, type PublicKeyAlgorithm } from "./keys.ts";
import { decodePem, describePemProblem } from "./pem.ts";
import { err, ok, type Result } from "./result.ts";
import { formatIpAddress } from "./names.ts";
import { DerError, TAG, children, childrenOf, expectTag, raw, readBitString, readBoolean, readOid, readRoot, readSmallInteger, readString, value, type Tlv } from "./path-validation/der.ts";
import { readAlgorithmAt, verifySignedData, type SignatureAlgorithm } from "./signed-data.ts";
import { readSpkiAt, type Spki } from "./spki.ts";

export interface ParsedCsr {
  publicKey: Uint8Array;
  publicKeyAlgorithm: PublicKeyAlgorithm;
  /** dNSName and iPAddress entries of the requested subjectAltName, as text. */
  requestedNames: string[];
  /** The subject's commonName values (never certified as such; ACME checks them against the SANs, RFC 8555 §7.4). */
  commonNames: string[];
}

export type CsrProblem =
  | { reason: "malformed"; detail: string }
  | { reason: "bad_signature" }
  | { reason: "unsupported_key"; detail: string };

export function describeCsrProblem(p: CsrProblem): string {
  switch (p.reason) {
    case "malformed":
      return `the CSR cannot be parsed: ${p.detail}`;
    case "bad_signature":
      return "the CSR's signature does not verify with its own public key, so it does not prove possession of the private key (RFC 2986 §3)";
    case "unsupported_key":
      return `the CSR's key is not accepted: ${p.detail}; use RSA 2048 or larger, ECDSA P-256 or P-384, or Ed25519`;
  }
}

const ACCEPTED = new Set<PublicKeyAlgorithm>(["ecdsa-p256", "ecdsa-p384", "ed25519"]);

const EXTENSION_REQUEST = "1.2.840.113549.1.9.14";
const SUBJECT_ALT_NAME = "2.5.29.17";

/** The parts of a CertificationRequest (RFC 2986 §4) this CA looks at; byte fields are views into the DER. */
interface CsrParts {
  /** The DER of certificationRequestInfo: what the signature covers (RFC 2986 §4.2). */
  info: Uint8Array;
  spki: Spki;
  signatureAlgorithm: SignatureAlgorithm;
  signature: Uint8Array;
  /** The attributes (RFC 2986 §4.1): type OID and values. */
  attributes: { oid: string; values: Tlv[] }[];
  commonNames: string[];
  der: Uint8Array;
}

const COMMON_NAME = "2.5.4.3";

/** Walks a Name (RFC 5280 §4.1.2.4) for structure; returns its commonName values, the only part ever looked at. */
function checkName(der: Uint8Array, name: Tlv | undefined): string[] {
  const commonNames: string[] = [];
  for (const rdn of childrenOf(der, expectTag(name, TAG.SEQUENCE, "subject"), TAG.SEQUENCE)) {
    const atvs = childrenOf(der, rdn, TAG.SET);
    if (atvs.length === 0) throw new DerError("empty relative distinguished name");
    for (const atv of atvs) {
      const [type, val, extra] = childrenOf(der, atv, TAG.SEQUENCE);
      if (!val || extra) throw new DerError("malformed attribute in the subject");
      if (readOid(der, expectTag(type, TAG.OID, "attribute type")) === COMMON_NAME) commonNames.push(readString(der, val));
    }
  }
  return commonNames;
}

/** Strict DER (X.690 §10): one CertificationRequest filling the block, nothing after it, as Go's ParseCertificateRequest requires. */
function readCsr(der: Uint8Array): CsrParts {
  const [infoTlv, algTlv, sigTlv, extra] = children(der, readRoot(der, TAG.SEQUENCE));
  if (extra) throw new DerError("trailing element in CertificationRequest");
  const [versionTlv, subjectTlv, spkiTlv, attributesTlv, extraInfo] = children(der, expectTag(infoTlv, TAG.SEQUENCE, "certificationRequestInfo"));
  // RFC 2986 §4.1: version is v1(0) for this version of the standard.
  if (readSmallInteger(der, expectTag(versionTlv, TAG.INTEGER, "version")) !== 0) throw new DerError("unknown CertificationRequest version");
  const commonNames = checkName(der, subjectTlv);
  const spki = readSpkiAt(der, expectTag(spkiTlv, TAG.SEQUENCE, "subjectPKInfo"));
  // RFC 2986 §4.1: attributes [0] IMPLICIT SET OF Attribute; Attribute ::= SEQUENCE { type, values SET SIZE(1..MAX) }.
  // The field is not OPTIONAL, but CSRs without it were always accepted (it then holds no extensionRequest).
  const attributes: CsrParts["attributes"] = [];
  for (const attribute of attributesTlv ? childrenOf(der, attributesTlv, 0xa0) : []) {
    const [type, values, extraAttr] = childrenOf(der, attribute, TAG.SEQUENCE);
    if (extraAttr) throw new DerError("trailing element in an attribute");
    const oid = readOid(der, expectTag(type, TAG.OID, "attribute type"));
    const items = childrenOf(der, expectTag(values, TAG.SET, "attribute values"), TAG.SET);
    if (items.length === 0) throw new DerError("attribute without values");
    attributes.push({ oid, values: items });
  }
  if (extraInfo) throw new DerError("trailing element in certificationRequestInfo");
  const signatureAlgorithm = readAlgorithmAt(der, algTlv, "signatureAlgorithm");
  const sig = readBitString(der, expectTag(sigTlv, TAG.BIT_STRING, "signature"));
  if (sig.unused !== 0) throw new DerError("signature BIT STRING with unused bits");
  return { info: raw(der, infoTlv!), spki, signatureAlgorithm, signature: sig.bits, attributes, commonNames, der };
}

/**
 * The dNSName and iPAddress entries of the subjectAltName in the extensionRequest
 * attribute (RFC 2985 §5.4.2, RFC 5280 §4.2.1.6), as text; [] without one.
 */
function requestedSubjectAltNames(csr: CsrParts): string[] {
  const der = csr.der;
  const requests = csr.attributes.filter((a) => a.oid === EXTENSION_REQUEST);
  if (requests.length === 0) return [];
  // RFC 2985 §5.4.2: extensionRequest is single-valued; its value is Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension.
  if (requests.length > 1 || requests[0]!.values.length !== 1) throw new DerError("more than one extensionRequest");
  let san: Tlv | undefined;
  for (const ext of childrenOf(der, requests[0]!.values[0]!, TAG.SEQUENCE)) {
    const parts = childrenOf(der, ext, TAG.SEQUENCE);
    const oid = readOid(der, expectTag(parts[0], TAG.OID, "extnID"));
    let i = 1;
    if (parts[i]?.tag === TAG.BOOLEAN) readBoolean(der, parts[i++]!);
    const extnValue = expectTag(parts[i++], TAG.OCTET_STRING, "extnValue");
    if (i !== parts.length) throw new DerError("unexpected element in an extension");
    if (oid !== SUBJECT_ALT_NAME) continue;
    // RFC 5280 §4.2: one instance of an extension; two requested SANs would be ambiguous.
    if (san) throw new DerError("subjectAltName requested twice");
    san = extnValue;
  }
  if (!san) return [];
  const ext = value(der, san);
  const names: string[] = [];
  // RFC 5280 §4.2.1.6: GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName.
  const generalNames = childrenOf(ext, readRoot(ext, TAG.SEQUENCE), TAG.SEQUENCE);
  if (generalNames.length === 0) throw new DerError("empty subjectAltName");
  for (const gn of generalNames) {
    const v = value(ext, gn);
    if (gn.tag === 0x82) {
      // dNSName [2] IA5String.
      if (v.some((b) => b > 0x7f)) throw new DerError("dNSName is not IA5String");
      names.push(readString(ext, gn));
    } else if (gn.tag === 0x87) {
      // iPAddress [7] OCTET STRING: four octets for IPv4, sixteen for IPv6.
      if (v.length !== 4 && v.length !== 16) throw new DerError(`iPAddress of ${v.length} octets`);
      names.push(formatIpAddress(v));
    }
    // Other name forms (email, URI, …) are never certified, so they are not read.
  }
  return names;
}

/** Parses and checks a PEM CSR: the signature verifies and the key is one we certify. */
export async function parseCsr(pem: string): Promise<Result<ParsedCsr, CsrProblem>> {
  const blocks = decodePem(pem, 1);
  if (!blocks.ok) return err({ reason: "malformed", detail: describePemProblem(blocks.error) });
  const block = blocks.value[0]!;
  if (block.label !== "CERTIFICATE REQUEST" && block.label !== "NEW CERTIFICATE REQUEST") {
    return err({ reason: "malformed", detail: `expected a CERTIFICATE REQUEST block, found ${block.label}` });
  }
  let csr: CsrParts;
  try {
    csr = readCsr(block.der);
  } catch (e) {
    if (!(e instanceof DerError)) throw e;
    return err({ reason: "malformed", detail: "the block is not a DER PKCS#10 CertificationRequest" });
  }
  const publicKey = csr.spki.der.slice();
  const alg = await identifyPublicKey(publicKey);
  if (!alg.ok) return err({ reason: "unsupported_key", detail: "unknown or malformed public key algorithm" });
  const bits = alg.value.startsWith("rsa-") ? Number(alg.value.slice(4)) : 0;
  if (!(ACCEPTED.has(alg.value) || (bits >= 2048 && bits <= 8192))) {
    return err({ reason: "unsupported_key", detail: `${alg.value} is not accepted` });
  }
  // RFC 2986 §3: the signature over certificationRequestInfo, with the requested key, is the proof of possession.
  if (!(await verifySignedData(csr.info, csr.signatureAlgorithm, csr.signature, csr.spki))) return err({ reason: "bad_signature" });

  let requestedNames: string[];
  try {
    requestedNames = requestedSubjectAltNames(csr);
  } catch (e) {
    if (!(e instanceof DerError)) throw e;
    return err({ reason: "malformed", detail: "the requested subjectAltName extension is malformed" });
  }
  return ok({ publicKey, publicKeyAlgorithm: alg.value, requestedNames, commonNames: csr.commonNames });
}
