/**
 * The leaf certificate profile edgeca issues, and the self-check every issued
 * certificate passes before it leaves (standing in for zlint/pkilint, which
 * cannot be installed here).
 *
 * Profile (RFC 5280 §4.1, CA/B Forum BR §7.1): v3; positive random serial;
 * subject CN = the first DNS name when it fits in 64 characters, otherwise an
 * empty subject and a critical SAN (RFC 5280 §4.2.1.6); basicConstraints
 * CA:FALSE critical; keyUsage digitalSignature (+ keyEncipherment for RSA)
 * critical; extKeyUsage serverAuth and/or clientAuth; SKI; AKI = issuer SKI.
 *
 * Two implementations of the same profile: `signLeafCertificate` /
 * `checkLeafCertificate` are the fast path (leaf-der.ts: DER written directly,
 * checked with the strict path-validation reader), used for every issuance;
 * the `…General` functions build and check with @peculiar/x509 and are kept as
 * the reference the fast path is differentially tested against.
 */
import { toHex } from "./bytes.ts";
import type { CertificateAuthority } from "./certificate-authority.ts";
import { isRsa, type PublicKeyAlgorithm } from "./keys.ts";
import type { SubjectName } from "./names.ts";
import { checkLeafDer, signLeafDer } from "./leaf-der.ts";
import { x509 } from "./x509.ts";

export type Usage = "server" | "client";

export interface LeafTemplate {
  serialNumber: Uint8Array;
  names: SubjectName[];
  /** CN to use; when undefined the first DNS name (≤ 64 chars) is used. */
  commonName?: string | undefined;
  usages: Usage[];
  /** DER SubjectPublicKeyInfo of the subject's key. */
  publicKey: Uint8Array;
  publicKeyAlgorithm: PublicKeyAlgorithm;
  notBefore: Date;
  notAfter: Date;
  /** URL of the CRL, placed in a CRL distribution point (RFC 5280 §4.2.1.13). */
  crlDistributionPoint?: string | undefined;
}

/** RFC 5280 upper bound ub-common-name. */
export const MAX_COMMON_NAME = 64;

export function defaultCommonName(names: readonly SubjectName[]): string | undefined {
  const first = names.find((n) => n.kind === "dns");
  return first && first.value.length <= MAX_COMMON_NAME ? first.value : undefined;
}

function subjectName(template: LeafTemplate) {
  const cn = template.commonName ?? defaultCommonName(template.names);
  return new x509.Name(cn === undefined ? [] : [{ CN: [cn] }]);
}

function keyUsageFlags(alg: PublicKeyAlgorithm): number {
  // RFC 5246 / RFC 8446: an RSA key may be used for key transport in TLS 1.2, so it also needs keyEncipherment.
  return x509.KeyUsageFlags.digitalSignature | (isRsa(alg) ? x509.KeyUsageFlags.keyEncipherment : 0);
}

function ekuOids(usages: readonly Usage[]): string[] {
  const oids: string[] = [];
  if (usages.includes("server")) oids.push(x509.ExtendedKeyUsage.serverAuth);
  if (usages.includes("client")) oids.push(x509.ExtendedKeyUsage.clientAuth);
  return oids;
}

/** Builds and signs a leaf certificate from a checked template; returns its DER. */
export function signLeafCertificate(ca: CertificateAuthority, template: LeafTemplate): Promise<Uint8Array> {
  return signLeafDer(ca, template);
}

/**
 * Parses an issued certificate back and checks it against the template and
 * the CA: signature, issuer, serial, validity, key, every extension and its
 * criticality, and nothing unexpected. Returns the list of deviations.
 */
export function checkLeafCertificate(der: Uint8Array, ca: CertificateAuthority, template: LeafTemplate): Promise<string[]> {
  return checkLeafDer(der, ca, template);
}

/** The general path: the same profile built with @peculiar/x509 (the differential tests' reference). */
export async function signLeafCertificateGeneral(ca: CertificateAuthority, template: LeafTemplate): Promise<Uint8Array> {
  const subject = subjectName(template);
  const emptySubject = subject.toJSON().length === 0;
  const extensions: InstanceType<typeof x509.Extension>[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(keyUsageFlags(template.publicKeyAlgorithm), true),
    new x509.ExtendedKeyUsageExtension(ekuOids(template.usages), false),
    new x509.SubjectAlternativeNameExtension(
      template.names.map((n) => ({ type: n.kind, value: n.value })),
      emptySubject,
    ),
    await x509.SubjectKeyIdentifierExtension.create(template.publicKey),
    new x509.AuthorityKeyIdentifierExtension(toHex(ca.subjectKeyIdentifier), false),
  ];
  if (template.crlDistributionPoint) {
    extensions.push(new x509.CRLDistributionPointsExtension([template.crlDistributionPoint]));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: toHex(template.serialNumber),
    subject,
    issuer: ca.certificate.subjectName,
    notBefore: template.notBefore,
    notAfter: template.notAfter,
    publicKey: template.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: ca.signatureAlgorithm,
    extensions,
  });
  return new Uint8Array(cert.rawData);
}

/** The general path's self-check, with @peculiar/x509 (the differential tests' reference). */
export async function checkLeafCertificateGeneral(der: Uint8Array, ca: CertificateAuthority, template: LeafTemplate): Promise<string[]> {
  const problems: string[] = [];
  const expect = (cond: boolean, what: string) => {
    if (!cond) problems.push(what);
  };
  let cert: InstanceType<typeof x509.X509Certificate>;
  try {
    cert = new x509.X509Certificate(der);
  } catch (e) {
    return [`does not parse: ${(e as Error).message}`];
  }
  expect(await cert.verify({ publicKey: ca.certificate.publicKey, signatureOnly: true }), "signature does not verify with the CA key");
  expect(cert.issuer === ca.certificate.subject, "issuer differs from the CA subject");
  expect(toHex(new Uint8Array(cert.issuerName.toArrayBuffer())) === toHex(ca.subjectDer), "issuer DER differs from the CA subject DER");
  const serial = toHex(template.serialNumber).replace(/^00/, "");
  expect(cert.serialNumber === serial, "serial number differs");
  expect(cert.notBefore.getTime() === Math.floor(template.notBefore.getTime() / 1000) * 1000, "notBefore differs");
  expect(cert.notAfter.getTime() === Math.floor(template.notAfter.getTime() / 1000) * 1000, "notAfter differs");
  expect(cert.notAfter <= ca.notAfter, "notAfter is later than the CA's");
  expect(toHex(new Uint8Array(cert.publicKey.rawData)) === toHex(template.publicKey), "public key differs");
  expect(cert.subject === subjectName(template).toString(), "subject differs");

  const seen = new Set<string>();
  for (const ext of cert.extensions) {
    expect(!seen.has(ext.type), `duplicate extension ${ext.type}`);
    seen.add(ext.type);
  }
  const expected = ["2.5.29.19", "2.5.29.15", "2.5.29.37", "2.5.29.17", "2.5.29.14", "2.5.29.35"];
  if (template.crlDistributionPoint) expected.push("2.5.29.31");
  expect(seen.size === expected.length && expected.every((o) => seen.has(o)), `extensions are ${[...seen].join(",")}`);

  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  expect(bc?.ca === false && bc.critical && bc.pathLength === undefined, "basicConstraints is not critical CA:FALSE");
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  expect(ku?.critical === true && ku.usages === keyUsageFlags(template.publicKeyAlgorithm), "keyUsage differs from the profile");
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  expect(eku !== null && JSON.stringify([...eku.usages].map(String).sort()) === JSON.stringify(ekuOids(template.usages).sort()), "extKeyUsage differs");
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const sanNames = san?.names.toJSON().map((n) => `${n.type}:${n.value}`) ?? [];
  expect(JSON.stringify(sanNames) === JSON.stringify(template.names.map((n) => `${n.kind}:${n.value}`)), "subjectAltName differs");
  // RFC 5280 §4.2.1.6: with an empty subject the SAN extension must be critical.
  expect(san !== null && san.critical === (cert.subject === ""), "subjectAltName criticality is wrong");
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const expectedSki = await x509.SubjectKeyIdentifierExtension.create(template.publicKey);
  expect(ski?.keyId === expectedSki.keyId, "subjectKeyIdentifier differs");
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension);
  expect(aki?.keyId === toHex(ca.subjectKeyIdentifier), "authorityKeyIdentifier differs from the issuer SKI");
  return problems;
}
