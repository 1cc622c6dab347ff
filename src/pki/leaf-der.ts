/**
 * The fast path of the leaf profile: builds the TBSCertificate DER directly
 * for the one fixed profile edgeca issues (RFC 5280 §4.1), signs it with the
 * CA key through WebCrypto, and checks the result by parsing it back with the
 * path validator's strict DER reader (independent code from the writer) and
 * verifying the signature with the CA public key.
 *
 * Per CA, everything that does not change between certificates (signature
 * AlgorithmIdentifier and authorityKeyIdentifier extension) is computed once
 * and kept in a WeakMap keyed by the loaded CA, which already holds the issuer
 * Name and the parsed CA certificate (whose imported verify key is cached). Output is byte-for-byte what the general
 * @peculiar/x509 path produces for the same template (test/unit/leaf-fast-path.test.ts),
 * except that the CN is encoded verbatim (the general path's Name parser
 * un-escapes `\x`, quotes and a leading `#`).
 */
import type { CertificateAuthority } from "./certificate-authority.ts";
import { DER, DerWriter, contextConstructed, contextPrimitive, ecdsaSignatureToDer, encodeOid, encodeTimeContent, isPrintableString } from "./der-writer.ts";
import { isRsa, type PublicKeyAlgorithm } from "./keys.ts";
import type { LeafTemplate, Usage } from "./leaf-template.ts";
import { bytesEqual, OID, parseCertificateDer } from "./path-validation/certificate.ts";
import { DerError, TAG, children, readBitString, readBoolean, readOid, readRoot, readString, value, type Tlv } from "./path-validation/der.ts";
import { certificateProfileFindings } from "./path-validation/profile.ts";
import { verifyCertificateSignature } from "./path-validation/signature.ts";
import { subjectKeyIdentifier } from "./spki.ts";

const OID_TLV = {
  commonName: encodeOid(OID.commonName),
  basicConstraints: encodeOid(OID.basicConstraints),
  keyUsage: encodeOid(OID.keyUsage),
  extKeyUsage: encodeOid(OID.extKeyUsage),
  subjectAltName: encodeOid(OID.subjectAltName),
  subjectKeyIdentifier: encodeOid(OID.subjectKeyIdentifier),
  authorityKeyIdentifier: encodeOid(OID.authorityKeyIdentifier),
  crlDistributionPoints: encodeOid(OID.crlDistributionPoints),
  serverAuth: encodeOid(OID.serverAuth),
  clientAuth: encodeOid(OID.clientAuth),
};

/** [0] EXPLICIT Version v3 (RFC 5280 §4.1.2.1: value 2). */
const VERSION_V3 = new Uint8Array([0xa0, 0x03, 0x02, 0x01, 0x02]);

function extension(oid: Uint8Array, critical: boolean, write: (w: DerWriter) => void, w: DerWriter): void {
  const ext = w.start(DER.SEQUENCE);
  w.raw(oid);
  // X.690 §11.5: DEFAULT FALSE is omitted in DER.
  if (critical) w.boolean(true);
  const octets = w.start(DER.OCTET_STRING);
  write(w);
  w.end(octets).end(ext);
}

function encodeExtension(oid: Uint8Array, critical: boolean, write: (w: DerWriter) => void): Uint8Array {
  const w = new DerWriter(64);
  extension(oid, critical, write, w);
  return w.finish().slice();
}

/** basicConstraints CA:FALSE, critical (RFC 5280 §4.2.1.9): the cA DEFAULT FALSE is omitted, so an empty SEQUENCE. */
const BASIC_CONSTRAINTS = encodeExtension(OID_TLV.basicConstraints, true, (w) => w.byte(DER.SEQUENCE).byte(0));

/** keyUsage bits (RFC 5280 §4.2.1.3) as a mask, bit i = 1 << i. */
export const KEY_USAGE_DIGITAL_SIGNATURE = 1 << 0;
export const KEY_USAGE_KEY_ENCIPHERMENT = 1 << 2;

/** The profile's keyUsage: digitalSignature, plus keyEncipherment for RSA (TLS 1.2 RSA key transport). */
export function leafKeyUsage(alg: PublicKeyAlgorithm): number {
  return KEY_USAGE_DIGITAL_SIGNATURE | (isRsa(alg) ? KEY_USAGE_KEY_ENCIPHERMENT : 0);
}

// X.690 §11.2.2: a named BIT STRING drops trailing zero bits: digitalSignature alone is 07 80, with keyEncipherment 05 a0.
const KEY_USAGE_SIGNATURE = encodeExtension(OID_TLV.keyUsage, true, (w) => w.bitString(new Uint8Array([0x80]), 7));
const KEY_USAGE_RSA = encodeExtension(OID_TLV.keyUsage, true, (w) => w.bitString(new Uint8Array([0xa0]), 5));

export function leafExtKeyUsages(usages: readonly Usage[]): string[] {
  const oids: string[] = [];
  if (usages.includes("server")) oids.push(OID.serverAuth);
  if (usages.includes("client")) oids.push(OID.clientAuth);
  return oids;
}

function extKeyUsage(usages: readonly Usage[]): (w: DerWriter) => void {
  return (w) => {
    const seq = w.start(DER.SEQUENCE);
    if (usages.includes("server")) w.raw(OID_TLV.serverAuth);
    if (usages.includes("client")) w.raw(OID_TLV.clientAuth);
    w.end(seq);
  };
}

/** What stays the same for every leaf a CA issues. */
interface LeafIssuer {
  /** AlgorithmIdentifier of the CA's signatures (RFC 5280 §4.1.1.2), for both copies in a certificate. */
  signatureAlgorithm: Uint8Array;
  /** authorityKeyIdentifier = the issuer's SKI (RFC 5280 §4.2.1.1), the whole Extension element. */
  authorityKeyIdentifier: Uint8Array;
  ecdsa: boolean;
}

const issuers = new WeakMap<CertificateAuthority, LeafIssuer>();

/** The signature AlgorithmIdentifier for a CA key: RFC 5758 §3.2 (ECDSA, no parameters), RFC 4055 §5 (RSA, NULL), RFC 8410 §3 (Ed25519, absent). */
export function signatureAlgorithmIdentifier(keyAlgorithm: PublicKeyAlgorithm, hash: string | undefined): Uint8Array {
  const w = new DerWriter(32);
  const seq = w.start(DER.SEQUENCE);
  if (keyAlgorithm.startsWith("ecdsa-")) {
    const oid = { "SHA-256": "1.2.840.10045.4.3.2", "SHA-384": "1.2.840.10045.4.3.3", "SHA-512": "1.2.840.10045.4.3.4" }[hash ?? ""];
    if (!oid) throw new Error(`no ECDSA signature algorithm for hash ${hash}`);
    w.raw(encodeOid(oid));
  } else if (keyAlgorithm === "ed25519") {
    w.raw(encodeOid(OID.ed25519));
  } else if (isRsa(keyAlgorithm)) {
    if (hash !== "SHA-256") throw new Error(`RSA CA keys sign with SHA-256 only, not ${hash}`);
    w.raw(encodeOid("1.2.840.113549.1.1.11")).byte(DER.NULL).byte(0);
  } else {
    throw new Error(`unsupported CA key ${keyAlgorithm}`);
  }
  return w.end(seq).finish().slice();
}

function leafIssuer(ca: CertificateAuthority): LeafIssuer {
  let issuer = issuers.get(ca);
  if (issuer) return issuer;
  issuer = {
    signatureAlgorithm: signatureAlgorithmIdentifier(ca.keyAlgorithm, ca.signatureAlgorithm.hash),
    // RFC 5280 §4.2.1.1: AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }.
    authorityKeyIdentifier: encodeExtension(OID_TLV.authorityKeyIdentifier, false, (w) => {
      const seq = w.start(DER.SEQUENCE);
      w.tlv(contextPrimitive(0), ca.subjectKeyIdentifier).end(seq);
    }),
    ecdsa: ca.signatureAlgorithm.name === "ECDSA",
  };
  issuers.set(ca, issuer);
  return issuer;
}

/** The subject's CN, or undefined for an empty subject (RFC 5280 §4.2.1.6). */
export function leafCommonName(template: LeafTemplate): string | undefined {
  if (template.commonName !== undefined) return template.commonName;
  const first = template.names.find((n) => n.kind === "dns");
  return first && first.value.length <= 64 ? first.value : undefined;
}

/** SKIs computed while signing, so the self-check of the same template does not hash again. */
const skiOfTemplate = new WeakMap<LeafTemplate, Uint8Array>();

async function templateSki(template: LeafTemplate): Promise<Uint8Array> {
  let ski = skiOfTemplate.get(template);
  if (!ski) {
    ski = await subjectKeyIdentifier(template.publicKey);
    skiOfTemplate.set(template, ski);
  }
  return ski;
}

/** Writes the TBSCertificate (RFC 5280 §4.1) for a checked template. */
export function encodeLeafTbs(ca: CertificateAuthority, template: LeafTemplate, ski: Uint8Array): Uint8Array {
  const issuer = leafIssuer(ca);
  const w = new DerWriter(640 + template.publicKey.length + template.names.length * 48);
  const tbs = w.start(DER.SEQUENCE);
  w.raw(VERSION_V3);
  // RFC 5280 §4.1.2.2: a positive INTEGER.
  w.unsignedInteger(template.serialNumber);
  w.raw(issuer.signatureAlgorithm);
  // RFC 5280 §4.1.2.4: the issuer field is the CA's subject, copied verbatim (§7.1 name matching is then byte equality).
  w.raw(ca.subjectDer);
  const validity = w.start(DER.SEQUENCE);
  w.time(template.notBefore.getTime()).time(template.notAfter.getTime());
  w.end(validity);

  const cn = leafCommonName(template);
  const subject = w.start(DER.SEQUENCE);
  if (cn !== undefined) {
    // RDNSequence with one RDN holding one AttributeTypeAndValue (RFC 5280 §4.1.2.6, X.520 commonName).
    const rdn = w.start(DER.SET);
    const atv = w.start(DER.SEQUENCE);
    w.raw(OID_TLV.commonName).directoryString(cn);
    w.end(atv).end(rdn);
  }
  w.end(subject);
  w.raw(template.publicKey);

  const explicit = w.start(contextConstructed(3));
  const extensions = w.start(DER.SEQUENCE);
  w.raw(BASIC_CONSTRAINTS);
  w.raw(isRsa(template.publicKeyAlgorithm) ? KEY_USAGE_RSA : KEY_USAGE_SIGNATURE);
  extension(OID_TLV.extKeyUsage, false, extKeyUsage(template.usages), w);
  // RFC 5280 §4.2.1.6: with an empty subject the SAN extension MUST be critical.
  extension(OID_TLV.subjectAltName, cn === undefined, (w) => {
    const names = w.start(DER.SEQUENCE);
    for (const n of template.names) {
      // GeneralName dNSName [2] IA5String, iPAddress [7] OCTET STRING (4 or 16 octets).
      if (n.kind === "dns") w.ascii(contextPrimitive(2), n.value);
      else w.tlv(contextPrimitive(7), n.bytes);
    }
    w.end(names);
  }, w);
  extension(OID_TLV.subjectKeyIdentifier, false, (w) => w.octetString(ski), w);
  w.raw(issuer.authorityKeyIdentifier);
  if (template.crlDistributionPoint) {
    const url = template.crlDistributionPoint;
    // RFC 5280 §4.2.1.13: SEQUENCE OF DistributionPoint { distributionPoint [0] { fullName [0] { uniformResourceIdentifier [6] } } }.
    extension(OID_TLV.crlDistributionPoints, false, (w) => {
      const points = w.start(DER.SEQUENCE);
      const point = w.start(DER.SEQUENCE);
      const dpName = w.start(contextConstructed(0));
      const fullName = w.start(contextConstructed(0));
      w.ascii(contextPrimitive(6), url);
      w.end(fullName).end(dpName).end(point).end(points);
    }, w);
  }
  w.end(extensions).end(explicit);
  return w.end(tbs).finish();
}

/** Builds and signs a leaf: TBSCertificate, CA signature (DER ECDSA-Sig-Value for ECDSA), Certificate (RFC 5280 §4.1.1). */
export async function signLeafDer(ca: CertificateAuthority, template: LeafTemplate): Promise<Uint8Array> {
  const issuer = leafIssuer(ca);
  const tbs = encodeLeafTbs(ca, template, await templateSki(template));
  let signature: Uint8Array = new Uint8Array(await crypto.subtle.sign(ca.signatureAlgorithm, ca.signingKey, tbs));
  if (issuer.ecdsa) signature = ecdsaSignatureToDer(signature);
  const w = new DerWriter(tbs.length + issuer.signatureAlgorithm.length + signature.length + 16);
  const cert = w.start(DER.SEQUENCE);
  w.raw(tbs).raw(issuer.signatureAlgorithm).bitString(signature);
  return w.end(cert).finish();
}

interface RawExtension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

function extensionList(der: Uint8Array, tbsFields: Tlv[]): RawExtension[] {
  const last = tbsFields[tbsFields.length - 1];
  if (!last || last.tag !== contextConstructed(3)) return [];
  const [seq] = children(der, last);
  if (!seq) return [];
  return children(der, seq).map((ext) => {
    const parts = children(der, ext);
    let i = 1;
    const critical = parts[i]?.tag === TAG.BOOLEAN ? readBoolean(der, parts[i++]!) : false;
    return { oid: readOid(der, parts[0]!), critical, value: value(der, parts[i]!) };
  });
}

function textOfSingle(der: Uint8Array, tlv: Tlv | undefined, tag: number): Tlv[] {
  if (!tlv || tlv.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}`);
  return children(der, tlv);
}

/** The RDNSequence of a subject as [oid, string tag, text] triples. */
function subjectAttributes(raw: Uint8Array): { oid: string; tag: number; text: string }[] {
  const out: { oid: string; tag: number; text: string }[] = [];
  for (const rdn of children(raw, readRoot(raw, TAG.SEQUENCE))) {
    for (const atv of textOfSingle(raw, rdn, TAG.SET)) {
      const [type, v] = textOfSingle(raw, atv, TAG.SEQUENCE);
      out.push({ oid: readOid(raw, type!), tag: v!.tag, text: readString(raw, v!) });
    }
  }
  return out;
}

/**
 * The self-check: parses the certificate back with the path validator's
 * strict reader and compares every field with the template and the CA
 * (version, serial, both algorithm identifiers, issuer DER, validity values
 * and their RFC 5280 §4.1.2.5 encodings, subject, key, the exact extension
 * list, order, criticality and content), then verifies the signature with the
 * CA public key. Returns the deviations.
 */
export async function checkLeafDer(der: Uint8Array, ca: CertificateAuthority, template: LeafTemplate): Promise<string[]> {
  const problems: string[] = [];
  const expect = (cond: boolean, what: string) => {
    if (!cond) problems.push(what);
  };
  const issuer = leafIssuer(ca);
  const parsed = parseCertificateDer(der);
  if (!parsed.ok) return [`does not parse: ${parsed.error.message}`];
  const cert = parsed.value;
  try {
    for (const p of cert.problems) problems.push(`${p.code}: ${p.message}`);
    // The RFC 5280 §4 profile rules /v1/verify reports: what edgeca issues must pass its own strict profile.
    for (const f of certificateProfileFindings(cert, "end_entity")) problems.push(`${f.code}: ${f.message}`);
    expect(cert.version === 3, "not a version 3 certificate");
    let serial = 0;
    while (serial < template.serialNumber.length - 1 && template.serialNumber[serial] === 0) serial++;
    let serialHex = "";
    for (const b of template.serialNumber.subarray(serial)) serialHex += (b < 16 ? "0" : "") + b.toString(16);
    expect(!cert.serialNegative && cert.serialHex === serialHex, "serial number differs");
    expect(bytesEqual(cert.signatureAlgorithm.der, issuer.signatureAlgorithm), "signature algorithm differs from the CA's");
    expect(bytesEqual(cert.issuerRaw, ca.subjectDer), "issuer DER differs from the CA subject DER");
    const notBefore = Math.floor(template.notBefore.getTime() / 1000) * 1000;
    const notAfter = Math.floor(template.notAfter.getTime() / 1000) * 1000;
    expect(cert.notBefore === notBefore, "notBefore differs");
    expect(cert.notAfter === notAfter, "notAfter differs");
    expect(cert.notAfter <= ca.notAfter.getTime(), "notAfter is later than the CA's");
    expect(bytesEqual(cert.spki, template.publicKey), "public key differs");

    const tbs = readRoot(cert.tbs, TAG.SEQUENCE);
    const fields = children(cert.tbs, tbs);
    const validity = children(cert.tbs, fields[4]!);
    // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
    expect(validity[0]?.tag === encodeTimeContent(notBefore).tag && validity[1]?.tag === encodeTimeContent(notAfter).tag, "validity time types do not follow RFC 5280 §4.1.2.5");

    const cn = leafCommonName(template);
    const attributes = subjectAttributes(cert.subjectRaw);
    if (cn === undefined) expect(attributes.length === 0 && cert.subjectRaw.length === 2, "subject is not empty");
    else {
      const a = attributes[0];
      const tag = isPrintableString(cn) ? TAG.PRINTABLE_STRING : TAG.UTF8_STRING;
      expect(attributes.length === 1 && a?.oid === OID.commonName && a.tag === tag && a.text === cn, "subject differs from CN=" + cn);
    }

    const expected: string[] = [OID.basicConstraints, OID.keyUsage, OID.extKeyUsage, OID.subjectAltName, OID.subjectKeyIdentifier, OID.authorityKeyIdentifier];
    if (template.crlDistributionPoint) expected.push(OID.crlDistributionPoints);
    const exts = extensionList(cert.tbs, fields);
    expect(exts.map((e) => e.oid).join() === expected.join(), `extensions are ${exts.map((e) => e.oid).join(",")}`);
    const crit = new Map(exts.map((e) => [e.oid, e.critical]));
    const x = cert.extensions;
    expect(crit.get(OID.basicConstraints) === true && x.basicConstraints?.ca === false && x.basicConstraints.pathLen === null, "basicConstraints is not critical CA:FALSE");
    expect(crit.get(OID.keyUsage) === true && x.keyUsage === leafKeyUsage(template.publicKeyAlgorithm), "keyUsage differs from the profile");
    expect(crit.get(OID.extKeyUsage) === false && x.extKeyUsage?.join() === leafExtKeyUsages(template.usages).join(), "extKeyUsage differs");
    // RFC 5280 §4.2.1.6: with an empty subject the SAN extension must be critical.
    expect(crit.get(OID.subjectAltName) === (cn === undefined), "subjectAltName criticality is wrong");
    const san = exts.find((e) => e.oid === OID.subjectAltName);
    const sanNames = san ? children(san.value, readRoot(san.value, TAG.SEQUENCE)) : [];
    expect(
      sanNames.length === template.names.length &&
        template.names.every((n, i) => {
          const g = sanNames[i]!;
          return n.kind === "dns" ? g.tag === 0x82 && readString(san!.value, g) === n.value : g.tag === 0x87 && bytesEqual(value(san!.value, g), n.bytes);
        }),
      "subjectAltName differs",
    );
    expect(crit.get(OID.subjectKeyIdentifier) === false && x.subjectKeyId !== undefined && bytesEqual(x.subjectKeyId, await templateSki(template)), "subjectKeyIdentifier differs");
    const aki = exts.find((e) => e.oid === OID.authorityKeyIdentifier);
    expect(
      crit.get(OID.authorityKeyIdentifier) === false && aki !== undefined && children(aki.value, readRoot(aki.value, TAG.SEQUENCE)).length === 1 && x.authorityKeyId !== undefined && bytesEqual(x.authorityKeyId, ca.subjectKeyIdentifier),
      "authorityKeyIdentifier differs from the issuer SKI",
    );
    if (template.crlDistributionPoint) {
      const dp = exts.find((e) => e.oid === OID.crlDistributionPoints);
      let url: string | undefined;
      if (dp) {
        const [point] = children(dp.value, readRoot(dp.value, TAG.SEQUENCE));
        const [name] = textOfSingle(dp.value, point, TAG.SEQUENCE);
        const [full] = textOfSingle(dp.value, name, contextConstructed(0));
        const [uri] = textOfSingle(dp.value, full, contextConstructed(0));
        url = uri?.tag === contextPrimitive(6) ? readString(dp.value, uri) : undefined;
      }
      expect(crit.get(OID.crlDistributionPoints) === false && url === template.crlDistributionPoint, "cRLDistributionPoints differs");
    }
  } catch (e) {
    if (!(e instanceof DerError)) throw e;
    problems.push(`malformed: ${e.message}`);
  }
  const signature = await verifyCertificateSignature(cert, ca.parsed);
  expect(signature.ok, `signature does not verify with the CA key${signature.ok ? "" : `: ${signature.message}`}`);
  return problems;
}
