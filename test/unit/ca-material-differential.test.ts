/**
 * Loading CA material without @peculiar/x509 (src/pki/certificate-authority.ts
 * on the strict DER reader, name-text.ts, signed-data.ts) against
 * @peculiar/x509 reading the same certificates: subject text as it was always
 * shown (health, GET /v1/ca, CA error messages), the subject DER copied into
 * leaves, the key identifier, the validity, signature checks of CA_CERT
 * chains, and every CaProblem. Certificates are made at test time with the
 * OpenSSL CLI (all key types and digests) and with the CLI's own ca-certificate.ts.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/pki/bytes.ts";
import { createIntermediateCa, createRootCa } from "../../src/pki/ca-certificate.ts";
import { loadCertificateAuthority, type CaMaterial } from "../../src/pki/certificate-authority.ts";
import { formatName } from "../../src/pki/name-text.ts";
import { parseCertificateDer } from "../../src/pki/path-validation/certificate.ts";
import { decodePem, encodePem } from "../../src/pki/pem.ts";
import { verifySignedData } from "../../src/pki/signed-data.ts";
import { x509 } from "../../src/pki/x509.ts";

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), "edgeca-ca-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
const read = (file: string) => readFileSync(join(dir, file), "utf8");
const derOf = (pem: string) => {
  const b = decodePem(pem);
  if (!b.ok) throw new Error("not PEM");
  return b.value[0]!.der;
};

/**
 * @peculiar/x509's Name.toString() writes RDNs in encoded order joined by ", "; edgeca writes RFC 4514
 * (§2.1: the last RDN first) joined by ",", with the same per-RDN text. Its separators are unescaped ", ".
 */
const rfc4514 = (peculiar: string) => (peculiar === "" ? "" : peculiar.split(/(?<!\\), /).reverse().join(","));

describe("distinguished names as text: @peculiar/x509's Name.toString() per RDN, in RFC 4514 order", () => {
  const tlv = (tag: number, content: number[]) => (content.length < 128 ? [tag, content.length, ...content] : [tag, 0x81, content.length, ...content]);
  const oid = (...arcs: number[]) => tlv(0x06, arcs);
  const CN = oid(0x55, 4, 3);
  const atv = (value: number[], type = CN) => tlv(0x30, [...type, ...value]);
  const rdn = (...atvs: number[][]) => tlv(0x31, atvs.flat());
  const name = (...rdns: number[][]) => new Uint8Array(tlv(0x30, rdns.flat()));
  const latin1 = (t: string) => [...Buffer.from(t, "latin1")];
  const utf8 = (t: string) => [...Buffer.from(t, "utf8")];

  const cases: [string, Uint8Array][] = [
    ["a PrintableString", name(rdn(atv(tlv(0x13, latin1("edgeca dev root")))))],
    ["an empty name", name()],
    ["two RDNs in encoded order", name(rdn(atv(tlv(0x13, latin1("a")))), rdn(atv(tlv(0x13, latin1("b")), oid(0x55, 4, 10))))],
    ["a multi-valued RDN", name(rdn(atv(tlv(0x13, latin1("a"))), atv(tlv(0x13, latin1("b")), oid(0x55, 4, 11))), rdn(atv(tlv(0x13, latin1("DE")), oid(0x55, 4, 6))))],
    ["UTF8String with non-ASCII", name(rdn(atv(tlv(0x0c, utf8("Grüße, Zoë + 東京")))))],
    ["UTF8String that is not UTF-8", name(rdn(atv(tlv(0x0c, [0xff, 0x41]))))],
    ["BMPString", name(rdn(atv(tlv(0x1e, [0, 0x41, 0x30, 0x42]))))],
    ["UniversalString in the BMP", name(rdn(atv(tlv(0x1c, [0, 0, 0, 0x41, 0, 0, 0x30, 0x42]))))],
    ["TeletexString with a high octet", name(rdn(atv(tlv(0x14, [0x41, 0xe9]))))],
    ["IA5String", name(rdn(atv(tlv(0x16, latin1("ops@example.com")), oid(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 9, 1))))],
    ["empty strings", name(rdn(atv(tlv(0x13, []))), rdn(atv(tlv(0x16, []))))],
    ["a NumericString (not a directory string: #hex)", name(rdn(atv(tlv(0x12, latin1("123")))))],
    ["an OCTET STRING value", name(rdn(atv(tlv(0x04, [0xde, 0xad]))))],
    ["a constructed value", name(rdn(atv(tlv(0x30, [2, 1, 5]))))],
    ["every character RFC 4514 §2.4 escapes", name(rdn(atv(tlv(0x0c, latin1('#a,b+c"d\\e<f>g;h\r\n\t ')))))],
    ["leading and trailing spaces", name(rdn(atv(tlv(0x0c, latin1(" a ")))))],
    ["a value that is one space", name(rdn(atv(tlv(0x0c, latin1(" ")))))],
    ["attribute types with and without short names", name(...["2.5.4.7", "2.5.4.8", "2.5.4.9", "2.5.4.5", "2.5.4.4", "2.5.4.42", "2.5.4.43", "2.5.4.12", "2.5.4.99"].map((o) => rdn(atv(tlv(0x13, latin1("v")), oid(0x55, 4, Number(o.split(".")[3]))))))],
    ["domainComponent", name(rdn(atv(tlv(0x16, latin1("example")), oid(0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19))))],
  ];

  it.each(cases)("formats %s like the reference", (_what, der) => {
    expect(formatName(der)).toBe(rfc4514(new x509.Name(der).toString()));
  });

  it("reads a CA subject as RFC 4514 (O then CN encoded) and prints it back as written, as openssl -nameopt RFC2253 does", async () => {
    const root = await createRootCa({ subject: "CN=edgeca test root,O=edgeca tests,C=DE", keyAlgorithm: "ecdsa-p256", notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + DAY) });
    const cert = parseCertificateDer(derOf(root.certificatePem));
    expect(cert.ok && formatName(cert.value.subjectRaw)).toBe("CN=edgeca test root,O=edgeca tests,C=DE");
    writeFileSync(join(dir, "rfc4514-root.pem"), root.certificatePem);
    expect(ssl("x509", "-in", "rfc4514-root.pem", "-noout", "-subject", "-nameopt", "RFC2253").toString().trim()).toBe("subject=CN=edgeca test root,O=edgeca tests,C=DE");
    // Encoded conventionally, most general first (X.501): C, O, CN.
    expect(ssl("x509", "-in", "rfc4514-root.pem", "-noout", "-subject", "-nameopt", "oneline").toString().trim()).toBe("subject=C = DE, O = edgeca tests, CN = edgeca test root");
  });

  it.each([
    ["-utf8", "/CN=Grüße\\, Zoë/O=a+b/OU=#1"],
    ["-multivalue-rdn", "/CN=cp.example.com+OU=zone a/O=Example/C=DE"],
    ["-utf8", "/DC=com/DC=example/CN=東京 root/emailAddress=ops@example.com"],
  ])("formats OpenSSL subjects made with %s %s like the reference", (flag, subj) => {
    ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "n.key", flag, "-subj", subj, "-days", "1", "-out", "n.pem");
    const der = derOf(read("n.pem"));
    const cert = parseCertificateDer(der);
    expect(cert.ok).toBe(true);
    if (!cert.ok) return;
    const ref = new x509.X509Certificate(der);
    expect(formatName(cert.value.subjectRaw)).toBe(rfc4514(ref.subject));
    expect(formatName(cert.value.issuerRaw)).toBe(rfc4514(ref.issuer));
  });
});

/** OpenSSL self-signed certificates: key name → genpkey arguments, with the digests to sign with. */
const SIGNERS: [string, string[], string[]][] = [
  ["rsa-2048", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], ["sha1", "sha256", "sha384", "sha512", "pss-sha256", "pss-sha384"]],
  ["ec-p256", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], ["sha1", "sha256", "sha384", "sha512"]],
  ["ec-p384", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"], ["sha256", "sha384"]],
  ["ec-p521", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"], ["sha512"]],
  ["ed25519", ["-algorithm", "ED25519"], [""]],
];

describe("certificate signatures (RFC 5280 §4.1.1.3): verifySignedData agrees with X509Certificate.verify", () => {
  const certs: { name: string; der: Uint8Array }[] = [];
  beforeAll(() => {
    for (const [key, args, digests] of SIGNERS) {
      ssl("genpkey", ...args, "-out", `${key}.key`);
      for (const d of digests) {
        const digest = d.replace("pss-", "");
        const opts = [...(digest ? [`-${digest}`] : []), ...(d.startsWith("pss-") ? ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"] : [])];
        ssl("req", "-x509", "-key", `${key}.key`, "-subj", `/CN=${key} ${d}`, "-days", "1", ...opts, "-out", "s.pem");
        const der = derOf(read("s.pem"));
        certs.push({ name: `${key} ${d || "pure"}`, der });
        const tampered = der.slice();
        const at = toHex(tampered).indexOf(toHex(new TextEncoder().encode(`${key} ${d}`))) / 2;
        tampered[at] = tampered[at]! ^ 0x01;
        certs.push({ name: `${key} ${d || "pure"} with a tampered subject`, der: tampered });
      }
    }
  });

  it("gives the same answer for every certificate, valid and tampered", async () => {
    expect(certs.length).toBe(2 * SIGNERS.reduce((n, s) => n + s[2].length, 0));
    for (const { name, der } of certs) {
      const parsed = parseCertificateDer(der);
      if (!parsed.ok) throw new Error(name);
      const mine = await verifySignedData(parsed.value.tbs, parsed.value.signatureAlgorithm, parsed.value.signature, parsed.value.spki);
      const ref = await new x509.X509Certificate(der).verify({ signatureOnly: true });
      expect([name, mine], name).toEqual([name, ref]);
      expect(mine, name).toBe(!name.endsWith("tampered subject"));
    }
  });

  it("rejects a signature checked against another key of the same type", async () => {
    const a = parseCertificateDer(certs.find((c) => c.name === "ec-p256 sha256")!.der);
    const b = parseCertificateDer(certs.find((c) => c.name === "ec-p384 sha256")!.der);
    const r = parseCertificateDer(certs.find((c) => c.name === "rsa-2048 sha256")!.der);
    if (!a.ok || !b.ok || !r.ok) throw new Error("parse");
    expect(await verifySignedData(a.value.tbs, a.value.signatureAlgorithm, a.value.signature, b.value.spki)).toBe(false);
    expect(await verifySignedData(a.value.tbs, a.value.signatureAlgorithm, a.value.signature, r.value.spki)).toBe(false);
    expect(await verifySignedData(r.value.tbs, { oid: "1.2.840.113549.1.1.14", params: null }, r.value.signature, r.value.spki)).toBe(false);
  });
});

describe("loadCertificateAuthority reads CA material as @peculiar/x509 did", () => {
  // The certificates are made by OpenSSL during the tests, valid from the second they are made: judge them later than that.
  const now = () => new Date(Date.now() + 5_000);

  function opensslCa(name: string, ext: string, issuer?: string): { pem: string; key: string } {
    writeFileSync(join(dir, `${name}.cnf`), `[req]\ndistinguished_name=dn\n[dn]\n[ext]\n${ext}\n`);
    if (issuer) {
      ssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-utf8", "-subj", `/O=Edge Ünit/CN=${name}`, "-out", `${name}.csr`);
      ssl("x509", "-req", "-in", `${name}.csr`, "-CA", `${issuer}.pem`, "-CAkey", `${issuer}.key`, "-CAcreateserial", "-days", "30", "-extfile", `${name}.cnf`, "-extensions", "ext", "-out", `${name}.pem`);
    } else {
      ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-utf8", "-subj", `/O=Edge Ünit/CN=${name}`, "-days", "60", "-config", `${name}.cnf`, "-extensions", "ext", "-out", `${name}.pem`);
    }
    ssl("pkcs8", "-topk8", "-nocrypt", "-in", `${name}.key`, "-out", `${name}.p8`);
    return { pem: read(`${name}.pem`), key: read(`${name}.p8`) };
  }

  it("takes subject text, subject DER, SKI, validity and fingerprint from an OpenSSL root without an SKI extension (RFC 5280 §4.2.1.2 method 1)", async () => {
    const root = opensslCa("no-ski-root", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=none\nauthorityKeyIdentifier=none");
    const ca = await loadCertificateAuthority({ certPem: root.pem, keyPem: root.key }, now());
    expect(ca.ok).toBe(true);
    if (!ca.ok) return;
    const ref = new x509.X509Certificate(derOf(root.pem));
    expect(ref.getExtension(x509.SubjectKeyIdentifierExtension)).toBeNull();
    expect(ca.value.subject).toBe(rfc4514(ref.subject));
    expect(ca.value.subject).toBe("CN=no-ski-root,O=Edge Ünit");
    expect(toHex(ca.value.subjectDer)).toBe(toHex(new Uint8Array(ref.subjectName.toArrayBuffer())));
    expect(toHex(ca.value.subjectKeyIdentifier)).toBe((await x509.SubjectKeyIdentifierExtension.create(ref.publicKey)).keyId);
    expect([ca.value.notBefore, ca.value.notAfter]).toEqual([ref.notBefore, ref.notAfter]);
    expect(ca.value.fingerprint).toBe(toHex(new Uint8Array(await ref.getThumbprint("SHA-256"))));
    expect(ca.value.keyAlgorithm).toBe("ecdsa-p256");
    expect(ca.value.chainPem).toBe("");
    expect(ca.value.trust.certificates).toEqual([{ subject: rfc4514(ref.subject), sha256_fingerprint: ca.value.fingerprint, not_before: ref.notBefore.toISOString(), not_after: ref.notAfter.toISOString() }]);
  });

  it("takes the SKI from the extension when there is one, and puts only the intermediate in the chain", async () => {
    const root = opensslCa("ski-root", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash");
    const inter = opensslCa("ski-inter", "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid", "ski-root");
    const ca = await loadCertificateAuthority({ certPem: inter.pem + root.pem, keyPem: inter.key }, now());
    if (!ca.ok) throw new Error(JSON.stringify(ca.error));
    const ref = new x509.X509Certificate(derOf(inter.pem));
    expect(toHex(ca.value.subjectKeyIdentifier)).toBe(ref.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId);
    expect(ca.value.chainPem).toBe(encodePem("CERTIFICATE", derOf(inter.pem)));
    expect(ca.value.trust.pem).toBe(encodePem("CERTIFICATE", derOf(root.pem)));
    expect(ca.value.trust.certificates.map((c) => c.subject)).toEqual([rfc4514(new x509.X509Certificate(derOf(root.pem)).subject)]);
  });

  it("accepts a root self-signed with SHA-1 as the trust anchor, as before (its self-signature is not what anyone trusts)", async () => {
    writeFileSync(join(dir, "sha1.cnf"), "[req]\ndistinguished_name=dn\n[dn]\n[ext]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n");
    ssl("req", "-x509", "-newkey", "rsa:2048", "-sha1", "-nodes", "-keyout", "sha1.key", "-subj", "/CN=sha1 root", "-days", "30", "-config", "sha1.cnf", "-extensions", "ext", "-out", "sha1.pem");
    ssl("pkcs8", "-topk8", "-nocrypt", "-in", "sha1.key", "-out", "sha1.p8");
    const ca = await loadCertificateAuthority({ certPem: read("sha1.pem"), keyPem: read("sha1.p8") }, now());
    expect(ca.ok && [ca.value.keyAlgorithm, ca.value.chainPem, ca.value.trust.certificates.length]).toEqual(["rsa-2048", "", 1]);
  });

  describe("every CaProblem, with the subject text of the reference", () => {
    let root: Awaited<ReturnType<typeof createRootCa>>;
    let inter: Awaited<ReturnType<typeof createRootCa>>;
    let other: Awaited<ReturnType<typeof createRootCa>>;
    beforeAll(async () => {
      const t = Date.now();
      root = await createRootCa({ subject: "CN=problem root,O=edgeca tests", keyAlgorithm: "ecdsa-p256", notBefore: new Date(t - DAY), notAfter: new Date(t + 30 * DAY) });
      inter = await createIntermediateCa({ certificate: root.certificate, privateKey: root.keys.privateKey, keyAlgorithm: "ecdsa-p256" }, { subject: "CN=problem issuing,O=edgeca tests", keyAlgorithm: "ecdsa-p256", notBefore: new Date(t - DAY), notAfter: new Date(t + 20 * DAY) });
      other = await createRootCa({ subject: "CN=other root", keyAlgorithm: "ecdsa-p256", notBefore: new Date(t - DAY), notAfter: new Date(t + 30 * DAY) });
    });
    const subjectOf = (pem: string) => rfc4514(new x509.X509Certificate(derOf(pem)).subject);

    it("reports not_ca, no_key_cert_sign and trust_not_ca with the certificate's subject", async () => {
      const leaf = opensslCa("not-ca", "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyCertSign");
      expect(await loadCertificateAuthority({ certPem: leaf.pem, keyPem: leaf.key }, now())).toEqual({ ok: false, error: { reason: "not_ca", subject: subjectOf(leaf.pem) } });
      const noKcs = opensslCa("no-kcs", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature");
      expect(await loadCertificateAuthority({ certPem: noKcs.pem, keyPem: noKcs.key }, now())).toEqual({ ok: false, error: { reason: "no_key_cert_sign", subject: subjectOf(noKcs.pem) } });
      expect(await loadCertificateAuthority({ certPem: inter.certificatePem + root.certificatePem, keyPem: inter.privateKeyPem, trustPem: root.certificatePem + leaf.pem }, now())).toEqual({
        ok: false,
        error: { reason: "trust_not_ca", subject: subjectOf(leaf.pem) },
      });
    });

    it.each<[string, () => CaMaterial, unknown]>([
      ["missing_cert", () => ({ keyPem: root.privateKeyPem }), { reason: "missing_cert" }],
      ["cert_unparseable (not DER)", () => ({ certPem: encodePem("CERTIFICATE", new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])), keyPem: root.privateKeyPem }), { reason: "cert_unparseable", detail: "CA_CERT: PEM block 0 is not a valid X.509 certificate" }],
      ["cert_unparseable (trailing data)", () => ({ certPem: encodePem("CERTIFICATE", new Uint8Array([...derOf(root.certificatePem), 0])), keyPem: root.privateKeyPem }), { reason: "cert_unparseable", detail: "CA_CERT: PEM block 0 is not a valid X.509 certificate" }],
      ["key_mismatch", () => ({ certPem: root.certificatePem, keyPem: other.privateKeyPem }), { reason: "key_mismatch" }],
      ["chain_broken", () => ({ certPem: inter.certificatePem + other.certificatePem, keyPem: inter.privateKeyPem }), { reason: "chain_broken", index: 0 }],
      ["no_trust_anchor", () => ({ certPem: inter.certificatePem, keyPem: inter.privateKeyPem }), { reason: "no_trust_anchor" }],
      ["untrusted_chain", () => ({ certPem: inter.certificatePem, keyPem: inter.privateKeyPem, trustPem: other.certificatePem }), { reason: "untrusted_chain" }],
      ["cert_unparseable in CA_TRUST", () => ({ certPem: inter.certificatePem, keyPem: inter.privateKeyPem, trustPem: encodePem("CERTIFICATE", new Uint8Array([1, 2, 3])) }), { reason: "cert_unparseable", detail: "CA_TRUST: PEM block 0 is not a valid X.509 certificate" }],
    ])("reports %s", async (_what, material, error) => {
      expect(await loadCertificateAuthority(material(), now())).toEqual({ ok: false, error });
    });

    it("accepts an intermediate anchored by CA_TRUST, and reports expired and not_yet_valid with the reference's times", async () => {
      const ok = await loadCertificateAuthority({ certPem: inter.certificatePem, keyPem: inter.privateKeyPem, trustPem: root.certificatePem }, now());
      expect(ok.ok && [ok.value.subject, ok.value.chainPem.length > 0]).toEqual([subjectOf(inter.certificatePem), true]);
      const ref = new x509.X509Certificate(derOf(inter.certificatePem));
      expect(await loadCertificateAuthority({ certPem: inter.certificatePem + root.certificatePem, keyPem: inter.privateKeyPem }, new Date(ref.notAfter.getTime() + 1000))).toEqual({ ok: false, error: { reason: "expired", notAfter: ref.notAfter.toISOString() } });
      expect(await loadCertificateAuthority({ certPem: inter.certificatePem + root.certificatePem, keyPem: inter.privateKeyPem }, new Date(ref.notBefore.getTime() - 1000))).toEqual({ ok: false, error: { reason: "not_yet_valid", notBefore: ref.notBefore.toISOString() } });
    });
  });
});
