/**
 * Parses one DER certificate (RFC 5280 §4.1) into the fields path
 * validation needs, once. Structural damage makes the parse fail (the block
 * is "not a certificate"); problems a validator must report but that still
 * leave a readable certificate (malformed, duplicate or unknown critical
 * extensions, a negative serial) are collected in `problems`.
 */
import { toHex } from "../bytes.ts";
import { formatNameAt } from "../name-text.ts";
import { parseIpAddress } from "../names.ts";
import { err, ok, type Result } from "../result.ts";
import {
  DerError,
  TAG,
  children,
  childrenOf,
  expectTag,
  raw,
  readBitString,
  readBoolean,
  readIntegerBytes,
  readOid,
  readRoot,
  readSmallInteger,
  readString,
  readTime,
  readTlv,
  value,
  type Tlv,
} from "./der.ts";

export const OID = {
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  issuerAltName: "2.5.29.18",
  nameConstraints: "2.5.29.30",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  certificatePolicies: "2.5.29.32",
  crlDistributionPoints: "2.5.29.31",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
  ctPrecertificateScts: "1.3.6.1.4.1.11129.2.4.2",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  anyExtendedKeyUsage: "2.5.29.37.0",
  rsaEncryption: "1.2.840.113549.1.1.1",
  rsassaPss: "1.2.840.113549.1.1.10",
  ecPublicKey: "1.2.840.10045.2.1",
  ed25519: "1.3.101.112",
  ed448: "1.3.101.113",
  commonName: "2.5.4.3",
} as const;

/** keyUsage bits (RFC 5280 §4.2.1.3), bit i of the BIT STRING as 1 << i. */
export const KU = {
  digitalSignature: 1 << 0,
  nonRepudiation: 1 << 1,
  keyEncipherment: 1 << 2,
  dataEncipherment: 1 << 3,
  keyAgreement: 1 << 4,
  keyCertSign: 1 << 5,
  cRLSign: 1 << 6,
  encipherOnly: 1 << 7,
  decipherOnly: 1 << 8,
} as const;

export type PublicKeyInfo =
  | { kind: "rsa"; bits: number; pss: boolean }
  | { kind: "ec"; curve: string }
  | { kind: "ed25519" }
  | { kind: "ed448" }
  | { kind: "unknown"; oid: string };

export interface AlgorithmIdentifier {
  oid: string;
  /** The DER of the parameters element, or null when absent. */
  params: Uint8Array | null;
  /** The DER of the whole AlgorithmIdentifier, for comparing the two copies in a certificate. */
  der: Uint8Array;
}

export interface IpSubtree {
  address: Uint8Array;
  mask: Uint8Array;
}

export interface NameConstraints {
  permittedDns: string[];
  excludedDns: string[];
  permittedIp: IpSubtree[];
  excludedIp: IpSubtree[];
  /** rfc822Name subtrees: a mailbox ("a@example.com") or a domain (".example.com"). */
  permittedEmail: string[];
  excludedEmail: string[];
  /** URI subtrees: a host domain (".example.com" for subdomains only). */
  permittedUri: string[];
  excludedUri: string[];
  /** directoryName, otherName and other subtrees: Go ignores them, and refuses the certificate when the extension is critical. */
  unhandledForms: number;
  critical: boolean;
}

export interface CertificateExtensions {
  basicConstraints?: { ca: boolean; pathLen: number | null; critical: boolean };
  keyUsage?: number;
  extKeyUsage?: string[];
  /** `other`: the forms Go does not read (otherName, directoryName, …). */
  subjectAltName?: { dns: string[]; ip: Uint8Array[]; email: string[]; uri: string[]; other: number; critical: boolean };
  nameConstraints?: NameConstraints;
  subjectKeyId?: Uint8Array;
  subjectKeyIdCritical?: boolean;
  authorityKeyId?: Uint8Array;
  /** The authorityKeyIdentifier extension as a whole: present even without a keyIdentifier. */
  authorityKey?: { critical: boolean; issuerOrSerial: boolean };
}

/** A defect Go's parser tolerates (RFC 5280 §4 profile); path validation reports it as a profile finding. */
export interface CertificateFinding {
  code: "extension_body_invalid" | "empty_san" | "extensions_require_v3" | "unique_ids_require_v2";
  message: string;
}

export type CertificateProblemCode =
  | "invalid_certificate"
  | "malformed_extension"
  | "duplicate_extension"
  | "unhandled_critical_extension";

export interface CertificateProblem {
  code: CertificateProblemCode;
  message: string;
}

/** A certificate parsed once; byte fields are views into `der`. */
export interface ParsedCertificate {
  der: Uint8Array;
  tbs: Uint8Array;
  version: 1 | 2 | 3;
  serialHex: string;
  serialNegative: boolean;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Uint8Array;
  issuerRaw: Uint8Array;
  subjectRaw: Uint8Array;
  issuer: string;
  subject: string;
  /** The most specific subject commonName, if any. */
  commonName: string | null;
  notBefore: number;
  notAfter: number;
  spki: Uint8Array;
  publicKey: PublicKeyInfo;
  extensions: CertificateExtensions;
  /** Issuer name equals subject name (RFC 5280 §6.1: "self-issued"). */
  selfIssued: boolean;
  problems: CertificateProblem[];
  findings: CertificateFinding[];
}

export interface CertificateParseError {
  reason: "not_a_certificate";
  message: string;
}

const CURVES: Record<string, string> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
  "1.2.840.10045.3.1.1": "P-192",
  "1.3.132.0.33": "P-224",
  "1.3.132.0.10": "secp256k1",
};

const EXTENSION_NAMES: Record<string, string> = {
  [OID.basicConstraints]: "basicConstraints",
  [OID.keyUsage]: "keyUsage",
  [OID.extKeyUsage]: "extendedKeyUsage",
  [OID.subjectAltName]: "subjectAltName",
  [OID.nameConstraints]: "nameConstraints",
  [OID.subjectKeyIdentifier]: "subjectKeyIdentifier",
  [OID.authorityKeyIdentifier]: "authorityKeyIdentifier",
  [OID.certificatePolicies]: "certificatePolicies",
  [OID.crlDistributionPoints]: "cRLDistributionPoints",
  [OID.authorityInfoAccess]: "authorityInfoAccess",
  [OID.issuerAltName]: "issuerAltName",
  "2.5.29.33": "policyMappings",
  "2.5.29.36": "policyConstraints",
  "2.5.29.54": "inhibitAnyPolicy",
};

/** The display name of an extension OID. */
export function extensionName(oid: string): string {
  return EXTENSION_NAMES[oid] ?? oid;
}

function parseName(bytes: Uint8Array, name: Tlv): { text: string; commonName: string | null } {
  const rdns = childrenOf(bytes, name, TAG.SEQUENCE);
  let commonName: string | null = null;
  for (const rdn of rdns) {
    const atvs = childrenOf(bytes, rdn, TAG.SET);
    if (atvs.length === 0) throw new DerError("empty relative distinguished name");
    for (const atv of atvs) {
      const [typeTlv, valueTlv, extra] = childrenOf(bytes, atv, TAG.SEQUENCE);
      if (!typeTlv || !valueTlv || extra) throw new DerError("malformed attribute in a name");
      const oid = readOid(bytes, typeTlv);
      // Read (and so checked, as before) even when only the common name is kept.
      const text = readString(bytes, valueTlv);
      if (oid === OID.commonName) commonName = text;
    }
  }
  // One DN text everywhere (name-text.ts: RFC 4514, as openssl -nameopt RFC2253 prints it).
  return { text: formatNameAt(bytes, name), commonName };
}

function parseAlgorithm(bytes: Uint8Array, tlv: Tlv | undefined, what: string): AlgorithmIdentifier {
  const seq = expectTag(tlv, TAG.SEQUENCE, what);
  const [oidTlv, paramsTlv, extra] = children(bytes, seq);
  if (!oidTlv || extra) throw new DerError(`${what} is malformed`);
  return { oid: readOid(bytes, oidTlv), params: paramsTlv ? raw(bytes, paramsTlv) : null, der: raw(bytes, seq) };
}

function parsePublicKey(bytes: Uint8Array, spki: Tlv): PublicKeyInfo {
  const [algTlv, keyTlv, extra] = childrenOf(bytes, spki, TAG.SEQUENCE);
  if (extra) throw new DerError("trailing data in subjectPublicKeyInfo");
  const alg = parseAlgorithm(bytes, algTlv, "subjectPublicKeyInfo algorithm");
  const key = readBitString(bytes, expectTag(keyTlv, TAG.BIT_STRING, "subjectPublicKey"));
  switch (alg.oid) {
    case OID.rsaEncryption:
    case OID.rsassaPss: {
      const rsaKey = readRoot(key.bits, TAG.SEQUENCE);
      const [modulus] = children(key.bits, rsaKey);
      const n = readIntegerBytes(key.bits, expectTag(modulus, TAG.INTEGER, "RSA modulus"));
      let i = 0;
      while (i < n.length - 1 && n[i] === 0) i++;
      const top = n[i]!;
      const bits = (n.length - i - 1) * 8 + (top === 0 ? 0 : 32 - Math.clz32(top));
      return { kind: "rsa", bits, pss: alg.oid === OID.rsassaPss };
    }
    case OID.ecPublicKey: {
      if (!alg.params) return { kind: "ec", curve: "unnamed" };
      const p = readRoot(alg.params, alg.params[0]!);
      // RFC 5480 §2.1.1: only namedCurve is allowed; explicit parameters are rejected.
      if (p.tag !== TAG.OID) return { kind: "ec", curve: "explicit parameters" };
      const curveOid = readOid(alg.params, p);
      return { kind: "ec", curve: CURVES[curveOid] ?? curveOid };
    }
    case OID.ed25519:
      return { kind: "ed25519" };
    case OID.ed448:
      return { kind: "ed448" };
    default:
      return { kind: "unknown", oid: alg.oid };
  }
}

function parseGeneralNames(bytes: Uint8Array, seq: Tlv): { dns: string[]; ip: Uint8Array[]; email: string[]; uri: string[]; other: number } {
  const out = { dns: [] as string[], ip: [] as Uint8Array[], email: [] as string[], uri: [] as string[], other: 0 };
  for (const gn of childrenOf(bytes, seq, TAG.SEQUENCE)) {
    if (gn.tag === 0x82) {
      // RFC 5280 §4.2.1.6: dNSName is an IA5String.
      const v = value(bytes, gn);
      if (v.some((b) => b > 0x7f)) throw new DerError("dNSName is not IA5String");
      out.dns.push(readString(bytes, gn));
    } else if (gn.tag === 0x87) {
      const v = value(bytes, gn);
      // RFC 5280 §4.2.1.6: four octets for IPv4, sixteen for IPv6.
      if (v.length !== 4 && v.length !== 16) throw new DerError(`iPAddress of ${v.length} octets`);
      out.ip.push(v);
    } else if (gn.tag === 0x81 || gn.tag === 0x86) {
      // RFC 5280 §4.2.1.6: rfc822Name and URI are IA5String; Go also refuses a URI whose host is not a domain it can parse.
      if (!isIa5(value(bytes, gn))) throw new DerError(`${gn.tag === 0x81 ? "rfc822Name" : "URI"} is not IA5String`);
      const text = readString(bytes, gn);
      if (gn.tag === 0x81) out.email.push(text);
      else {
        const host = uriHost(text);
        if (host && !goParsesDomain(host)) throw new DerError(`URI "${text}" has a host that is not a domain`);
        out.uri.push(text);
      }
    } else {
      out.other++;
    }
  }
  return out;
}

/**
 * Go's domainToReverseLabels: a name of non-empty labels of printable
 * ASCII (33–126), no trailing dot. Go refuses a certificate whose DNS name
 * or constraint fails it wherever name constraints are checked.
 */
export function goParsesDomain(name: string): boolean {
  if (name.length === 0) return true;
  for (const label of name.split(".")) {
    if (label.length === 0) return false;
    for (let i = 0; i < label.length; i++) {
      const c = label.charCodeAt(i);
      if (c < 33 || c > 126) return false;
    }
  }
  return true;
}

/**
 * The host of a URI (RFC 3986 §3.2.2) as Go's url.Parse gives it: the
 * authority after "//" without userinfo; "" when there is none.
 */
export function uriHost(uri: string): string {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(uri);
  if (!m) return "";
  const authority = m[1]!;
  return authority.slice(authority.lastIndexOf("@") + 1);
}

function isIa5(v: Uint8Array): boolean {
  return !v.some((b) => b > 0x7f);
}

/** Go's isValidIPMask: ones, then zeros. */
function contiguousMask(mask: Uint8Array): boolean {
  let zero = false;
  for (const b of mask) {
    if (zero ? b !== 0 : b !== 0xff && ![0x00, 0x80, 0xc0, 0xe0, 0xf0, 0xf8, 0xfc, 0xfe].includes(b)) return false;
    if (b !== 0xff) zero = true;
  }
  return true;
}

/** Go's parser refuses an rfc822Name or URI constraint it cannot read (parseNameConstraintsExtension). */
function checkEmailUriConstraint(text: string, uri: boolean): void {
  if (uri && parseIpAddress(text)) throw new DerError(`URI constraint "${text}" is an IP address`);
  const at = text.lastIndexOf("@");
  let domain = !uri && at >= 0 ? text.slice(at + 1) : text;
  if (!uri && at === 0) throw new DerError(`rfc822Name constraint "${text}" has an empty local part`);
  if (domain.startsWith(".") && (uri || at < 0)) domain = domain.slice(1);
  if (!goParsesDomain(domain) || (at >= 0 && domain.length === 0)) throw new DerError(`${uri ? "URI" : "rfc822Name"} constraint "${text}" is not a domain`);
}

function parseNameConstraints(ext: Uint8Array, critical: boolean, findings: CertificateFinding[]): NameConstraints {
  const nc: NameConstraints = { permittedDns: [], excludedDns: [], permittedIp: [], excludedIp: [], permittedEmail: [], excludedEmail: [], permittedUri: [], excludedUri: [], unhandledForms: 0, critical };
  const seq = readRoot(ext, TAG.SEQUENCE);
  const parts = children(ext, seq);
  if (parts.length === 0 || parts.every((p) => p.end === p.valueStart)) throw new DerError("nameConstraints with neither permitted nor excluded subtrees (RFC 5280 §4.2.1.10)");
  let last = -1;
  for (const part of parts) {
    const order = part.tag === 0xa0 ? 0 : part.tag === 0xa1 ? 1 : 2;
    if (order <= last || order === 2) throw new DerError("unexpected element in nameConstraints");
    last = order;
    const permitted = part.tag === 0xa0;
    const subtrees = children(ext, part);
    // RFC 5280 §4.2.1.10: GeneralSubtrees is SIZE (1..MAX); Go accepts an empty one beside a non-empty one.
    if (subtrees.length === 0) findings.push({ code: "extension_body_invalid", message: "nameConstraints has an empty GeneralSubtrees (SIZE (1..MAX), RFC 5280 §4.2.1.10)" });
    for (const subtree of subtrees) {
      const [base, ...rest] = childrenOf(ext, subtree, TAG.SEQUENCE);
      if (!base) throw new DerError("GeneralSubtree without a base");
      // RFC 5280 §4.2.1.10: minimum MUST be zero and maximum MUST be absent; Go ignores both.
      if (rest.some((r) => !(r.tag === 0x80 && value(ext, r).length === 1 && value(ext, r)[0] === 0))) {
        findings.push({ code: "extension_body_invalid", message: "a nameConstraints GeneralSubtree has a minimum other than 0 or a maximum (RFC 5280 §4.2.1.10)" });
      }
      if (base.tag === 0x82) {
        const v = value(ext, base);
        const name = readString(ext, base).toLowerCase();
        if (!isIa5(v) || !goParsesDomain(name.startsWith(".") ? name.slice(1) : name)) throw new DerError(`dNSName constraint "${name}" is not a domain name`);
        (permitted ? nc.permittedDns : nc.excludedDns).push(name);
      } else if (base.tag === 0x87) {
        const v = value(ext, base);
        if (v.length !== 8 && v.length !== 32) throw new DerError(`iPAddress constraint of ${v.length} octets`);
        const half = v.length / 2;
        const subtreeIp = { address: v.subarray(0, half), mask: v.subarray(half) };
        if (!contiguousMask(subtreeIp.mask)) throw new DerError("iPAddress constraint with a non-contiguous mask");
        (permitted ? nc.permittedIp : nc.excludedIp).push(subtreeIp);
      } else if (base.tag === 0x81 || base.tag === 0x86) {
        if (!isIa5(value(ext, base))) throw new DerError("rfc822Name or URI constraint is not IA5String");
        const text = readString(ext, base);
        checkEmailUriConstraint(text, base.tag === 0x86);
        if (base.tag === 0x81) (permitted ? nc.permittedEmail : nc.excludedEmail).push(text);
        else (permitted ? nc.permittedUri : nc.excludedUri).push(text);
      } else {
        nc.unhandledForms++;
      }
    }
  }
  return nc;
}

/**
 * The single element an extension value holds. Go reads the first element
 * and ignores what follows, so trailing bytes are a finding, not an error.
 */
function readExtensionRoot(ext: Uint8Array, tag: number, name: string, findings: CertificateFinding[]): Tlv {
  const tlv = readTlv(ext, 0, ext.length);
  if (tlv.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}`);
  if (tlv.end !== ext.length) findings.push({ code: "extension_body_invalid", message: `the ${name} extension has bytes after its value (RFC 5280 §4.2, X.690 DER)` });
  return tlv;
}

function parseExtension(oid: string, ext: Uint8Array, critical: boolean, out: CertificateExtensions, findings: CertificateFinding[]): boolean {
  const name = extensionName(oid);
  switch (oid) {
    case OID.basicConstraints: {
      // RFC 5280 §4.2.1.9: SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }
      const seq = readExtensionRoot(ext, TAG.SEQUENCE, name, findings);
      const items = children(ext, seq);
      let i = 0;
      let ca = false;
      if (items[i]?.tag === TAG.BOOLEAN) ca = readBoolean(ext, items[i++]!);
      let pathLen: number | null = null;
      if (items[i]?.tag === TAG.INTEGER) pathLen = readSmallInteger(ext, items[i++]!);
      // Go reads the two optional fields and ignores anything after them.
      if (i !== items.length) findings.push({ code: "extension_body_invalid", message: "basicConstraints has an element after cA and pathLenConstraint (RFC 5280 §4.2.1.9)" });
      out.basicConstraints = { ca, pathLen, critical };
      return true;
    }
    case OID.keyUsage: {
      const tlv = readExtensionRoot(ext, TAG.BIT_STRING, name, findings);
      const { bits, unused } = readBitString(ext, tlv);
      // X.690 §11.2.1: the unused bits of a DER BIT STRING are zero (Go's ReadASN1BitString checks it).
      if (bits.length > 0 && (bits[bits.length - 1]! & ((1 << unused) - 1)) !== 0) throw new DerError("keyUsage BIT STRING with non-zero padding bits");
      let mask = 0;
      for (let i = 0; i < bits.length && i < 2; i++) {
        for (let b = 0; b < 8; b++) if (bits[i]! & (0x80 >> b)) mask |= 1 << (i * 8 + b);
      }
      // RFC 5280 §4.2.1.3: when the extension is present, at least one bit MUST be set (Go does not check).
      if (mask === 0) findings.push({ code: "extension_body_invalid", message: "keyUsage has no bit set (RFC 5280 §4.2.1.3)" });
      out.keyUsage = mask & 0x1ff; // Go reads the nine named bits only
      return true;
    }
    case OID.extKeyUsage: {
      const seq = readExtensionRoot(ext, TAG.SEQUENCE, name, findings);
      const oids = children(ext, seq).map((t) => readOid(ext, t));
      // RFC 5280 §4.2.1.12: KeyPurposeId SEQUENCE SIZE (1..MAX); Go reads an empty one as "no EKU".
      if (oids.length === 0) findings.push({ code: "extension_body_invalid", message: "extendedKeyUsage is an empty SEQUENCE (SIZE (1..MAX), RFC 5280 §4.2.1.12)" });
      else out.extKeyUsage = oids;
      return true;
    }
    case OID.subjectAltName: {
      const seq = readExtensionRoot(ext, TAG.SEQUENCE, name, findings);
      const names = parseGeneralNames(ext, seq);
      // RFC 5280 §4.2.1.6: GeneralNames is SIZE (1..MAX).
      if (names.dns.length + names.ip.length + names.email.length + names.uri.length + names.other === 0) findings.push({ code: "empty_san", message: "the subjectAltName extension holds no name (GeneralNames SIZE (1..MAX), RFC 5280 §4.2.1.6)" });
      out.subjectAltName = { ...names, critical };
      // Go: a SAN without a DNS, email, IP or URI name is "not understood", so a critical one is an unhandled critical extension.
      return names.dns.length + names.ip.length + names.email.length + names.uri.length > 0;
    }
    case OID.nameConstraints:
      out.nameConstraints = parseNameConstraints(ext, critical, findings);
      // Go: constraints on directoryName and other forms are not handled; critical, the certificate is refused.
      return out.nameConstraints.unhandledForms === 0;
    case OID.subjectKeyIdentifier:
      out.subjectKeyId = value(ext, readExtensionRoot(ext, TAG.OCTET_STRING, name, findings));
      out.subjectKeyIdCritical = critical;
      return true;
    case OID.authorityKeyIdentifier: {
      const seq = readExtensionRoot(ext, TAG.SEQUENCE, name, findings);
      let issuerOrSerial = false;
      for (const item of children(ext, seq)) {
        if (item.tag === 0x80) out.authorityKeyId = value(ext, item);
        else if (item.tag === 0xa1 || item.tag === 0x82) issuerOrSerial = true;
      }
      out.authorityKey = { critical, issuerOrSerial };
      return true;
    }
    case OID.certificatePolicies:
    case OID.crlDistributionPoints:
    case OID.authorityInfoAccess:
      // Go parses these three (reading past trailing bytes); no path-validation effect without an initial policy set or revocation checking.
      readExtensionRoot(ext, TAG.SEQUENCE, name, findings);
      return true;
    default:
      // Go's processExtensions handles nothing else (issuerAltName, SCTs and policy mappings included): critical, they are refused.
      return false;
  }
}

function parseExtensions(bytes: Uint8Array, container: Tlv, out: CertificateExtensions, problems: CertificateProblem[], findings: CertificateFinding[]): void {
  const seqs = children(bytes, container);
  const seq = expectTag(seqs[0], TAG.SEQUENCE, "extensions");
  if (seqs.length !== 1) throw new DerError("trailing data after extensions");
  const items = children(bytes, seq);
  // RFC 5280 §4.1: Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension; Go accepts an empty one.
  if (items.length === 0) findings.push({ code: "extension_body_invalid", message: "the extensions field is present but empty (SIZE (1..MAX), RFC 5280 §4.1)" });
  const seen = new Set<string>();
  for (const item of items) {
    const parts = childrenOf(bytes, item, TAG.SEQUENCE);
    const oid = readOid(bytes, expectTag(parts[0], TAG.OID, "extnID"));
    let critical = false;
    let idx = 1;
    if (parts[idx]?.tag === TAG.BOOLEAN) critical = readBoolean(bytes, parts[idx++]!);
    const valueTlv = expectTag(parts[idx++], TAG.OCTET_STRING, "extnValue");
    if (idx !== parts.length) throw new DerError("unexpected element in an extension");
    const name = extensionName(oid);
    // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of a particular extension.
    if (seen.has(oid)) {
      problems.push({ code: "duplicate_extension", message: `the ${name} extension appears more than once; RFC 5280 §4.2 allows one instance of each extension` });
      continue;
    }
    seen.add(oid);
    let understood: boolean;
    try {
      understood = parseExtension(oid, value(bytes, valueTlv), critical, out, findings);
    } catch (e) {
      const detail = e instanceof DerError ? e.message : String(e);
      problems.push({ code: "malformed_extension", message: `the ${name} extension cannot be decoded (${detail})` });
      continue;
    }
    // RFC 5280 §4.2: a system MUST reject a certificate with a critical extension it does not recognize.
    if (!understood && critical) {
      problems.push({
        code: "unhandled_critical_extension",
        message: `the certificate has a critical extension Go's crypto/x509 does not process (${name}); RFC 5280 §4.2 requires rejecting it, as Go and OpenSSL do`,
      });
    }
  }
}

/**
 * Parses a DER certificate. Fails only when the bytes are not an X.509
 * certificate at all; conditions a validator reports (negative serial,
 * malformed or duplicate extensions) are listed in `problems`.
 */
/**
 * Certificates parsed before in this isolate, keyed by their DER (as latin1
 * text): the same CA chains come back on every verification. The entry holds
 * a private copy of the DER, so a caller that later reuses its buffer cannot
 * change what the entry describes; each hit returns a fresh shallow copy, so
 * object identity within one validation is as without the cache. Bounded,
 * oldest out; parse failures are not kept.
 */
const PARSED_LIMIT = 512;
/** Larger certificates are parsed afresh each time: with this cap the cache holds at most ~4 MB of keys and copies. */
const PARSED_MAX_DER = 4096;
const parsedByDer = new Map<string, ParsedCertificate>();

/** parseCertificateDer through the isolate's cache (for path validation; the issuance self-check parses afresh). */
export function parseCertificateDerCached(der: Uint8Array): Result<ParsedCertificate, CertificateParseError> {
  if (der.length > PARSED_MAX_DER) return parseCertificateDer(der);
  const key = String.fromCharCode.apply(null, der as unknown as number[]);
  const hit = parsedByDer.get(key);
  if (hit) return ok({ ...hit });
  const parsed = parseCertificateDer(der.slice());
  if (parsed.ok) {
    if (parsedByDer.size >= PARSED_LIMIT) parsedByDer.delete(parsedByDer.keys().next().value!);
    parsedByDer.set(key, parsed.value);
    return ok({ ...parsed.value });
  }
  return parsed;
}

export function parseCertificateDer(der: Uint8Array): Result<ParsedCertificate, CertificateParseError> {
  try {
    return ok(parseUnchecked(der));
  } catch (e) {
    if (e instanceof DerError) return err({ reason: "not_a_certificate", message: `not a valid DER X.509 certificate: ${e.message}` });
    throw e;
  }
}

function parseUnchecked(der: Uint8Array): ParsedCertificate {
  const problems: CertificateProblem[] = [];
  const findings: CertificateFinding[] = [];
  const cert = readRoot(der, TAG.SEQUENCE);
  const [tbsTlv, sigAlgTlv, sigTlv, extra] = children(der, cert);
  if (extra) throw new DerError("trailing element in Certificate");
  const tbs = expectTag(tbsTlv, TAG.SEQUENCE, "tbsCertificate");
  const signatureAlgorithm = parseAlgorithm(der, sigAlgTlv, "signatureAlgorithm");
  const sig = readBitString(der, expectTag(sigTlv, TAG.BIT_STRING, "signatureValue"));
  if (sig.unused !== 0) throw new DerError("signature BIT STRING with unused bits");

  const f = children(der, tbs);
  let i = 0;
  let version: 1 | 2 | 3 = 1;
  if (f[i]?.tag === 0xa0) {
    const [vTlv] = children(der, f[i++]!);
    const v = readSmallInteger(der, expectTag(vTlv, TAG.INTEGER, "version"));
    if (v > 2) throw new DerError(`unknown certificate version ${v + 1}`);
    version = (v + 1) as 1 | 2 | 3;
  }
  const serialBytes = readIntegerBytes(der, expectTag(f[i++], TAG.INTEGER, "serialNumber"));
  const serialNegative = (serialBytes[0]! & 0x80) !== 0;
  // RFC 5280 §4.1.2.2: the serial number MUST be a positive integer; Go rejects negative serials since 1.23.
  if (serialNegative) problems.push({ code: "invalid_certificate", message: "the serial number is negative; RFC 5280 §4.1.2.2 requires a positive integer and Go's crypto/x509 refuses to parse such certificates" });
  const innerAlg = parseAlgorithm(der, f[i++], "tbsCertificate signature");
  // RFC 5280 §4.1.1.2: the signatureAlgorithm field MUST equal the signature field in tbsCertificate.
  if (toHex(innerAlg.der) !== toHex(signatureAlgorithm.der)) {
    problems.push({ code: "invalid_certificate", message: "the signature algorithm inside the signed part differs from the outer one (RFC 5280 §4.1.1.2)" });
  }
  const issuerTlv = expectTag(f[i++], TAG.SEQUENCE, "issuer");
  const issuer = parseName(der, issuerTlv);
  const validity = childrenOf(der, expectTag(f[i++], TAG.SEQUENCE, "validity"), TAG.SEQUENCE);
  if (validity.length !== 2) throw new DerError("validity must have notBefore and notAfter");
  const notBefore = readTime(der, validity[0]!);
  const notAfter = readTime(der, validity[1]!);
  const subjectTlv = expectTag(f[i++], TAG.SEQUENCE, "subject");
  const subject = parseName(der, subjectTlv);
  const spkiTlv = expectTag(f[i++], TAG.SEQUENCE, "subjectPublicKeyInfo");
  const publicKey = parsePublicKey(der, spkiTlv);
  const extensions: CertificateExtensions = {};
  while (i < f.length) {
    const t = f[i++]!;
    if (t.tag === 0x81 || t.tag === 0xa1 || t.tag === 0x82 || t.tag === 0xa2) {
      // RFC 5280 §4.1.2.8: unique identifiers need version 2 or 3; Go does not read them in a version 1 certificate.
      if (version === 1) findings.push({ code: "unique_ids_require_v2", message: "a version 1 certificate carries unique identifiers (RFC 5280 §4.1.2.8)" });
      continue;
    }
    if (t.tag === 0xa3 && i === f.length) {
      // RFC 5280 §4.1.2.9: extensions only in version 3 certificates; Go ignores them in earlier versions, and so does this reader.
      if (version !== 3) findings.push({ code: "extensions_require_v3", message: `a version ${version} certificate carries extensions, which are ignored; RFC 5280 §4.1.2.9 allows them only in version 3` });
      else parseExtensions(der, t, extensions, problems, findings);
      continue;
    }
    throw new DerError("unexpected element in tbsCertificate");
  }
  const issuerRaw = raw(der, issuerTlv);
  const subjectRaw = raw(der, subjectTlv);
  return {
    der,
    tbs: raw(der, tbs),
    version,
    serialHex: toHex(serialBytes[0] === 0 && serialBytes.length > 1 ? serialBytes.subarray(1) : serialBytes),
    serialNegative,
    signatureAlgorithm,
    signature: sig.bits,
    issuerRaw,
    subjectRaw,
    issuer: issuer.text,
    subject: subject.text,
    commonName: subject.commonName,
    notBefore,
    notAfter,
    spki: raw(der, spkiTlv),
    publicKey,
    extensions,
    selfIssued: bytesEqual(issuerRaw, subjectRaw),
    problems,
    findings,
  };
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

