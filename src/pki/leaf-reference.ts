/**
 * The leaf profile of leaf-profile.ts built and checked with @peculiar/x509:
 * the independent reference the fast path (leaf-der.ts) is differentially
 * tested against (test/unit/leaf-fast-path.test.ts) and the `general` case of
 * the bench. Not imported by the worker, so @peculiar/x509 stays out of its bundle.
 */
import { toHex } from "./bytes.ts";
import type { CertificateAuthority } from "./certificate-authority.ts";
import { isRsa, type PublicKeyAlgorithm } from "./keys.ts";
import { defaultCommonName, type LeafTemplate, type Usage } from "./leaf-profile.ts";
import { x509 } from "./x509.ts";

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
    issuer: new x509.Name(ca.subjectDer),
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
  expect(await cert.verify({ publicKey: new x509.PublicKey(ca.parsed.spki), signatureOnly: true }), "signature does not verify with the CA key");
  expect(cert.issuer === new x509.Name(ca.subjectDer).toString(), "issuer differs from the CA subject");
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
