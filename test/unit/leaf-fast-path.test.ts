/**
 * Differential tests of the leaf fast path (src/pki/leaf-der.ts) against the
 * general @peculiar/x509 path (signLeafCertificateGeneral): over randomized
 * templates (DNS names incl. wildcards and IDN A-labels, IPv4/IPv6, leaf keys
 * RSA/ECDSA/Ed25519, issuing CAs P-256/P-384/RSA/Ed25519, validity across the
 * 2050 UTCTime/GeneralizedTime switch, long first names → empty subject and
 * critical SAN, CRL distribution points) both produce the same TBSCertificate
 * bytes, and OpenSSL, Node's X509Certificate and @peculiar/x509 read the same
 * fields from both. Each path's self-check accepts the other's output, and the
 * fast self-check rejects tampered certificates.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/pki/bytes.ts";
import { createIntermediateCa, createRootCa } from "../../src/pki/ca-certificate.ts";
import { loadCertificateAuthority, type CertificateAuthority } from "../../src/pki/certificate-authority.ts";
import { exportSpki, generateKeyPair, type KeyAlgorithm } from "../../src/pki/keys.ts";
import { checkLeafCertificate, signLeafCertificate, type LeafTemplate, type Usage } from "../../src/pki/leaf-profile.ts";
import { checkLeafCertificateGeneral, signLeafCertificateGeneral } from "../../src/pki/leaf-reference.ts";
import { normalizeName, type SubjectName } from "../../src/pki/names.ts";
import { children, raw, readRoot, TAG } from "../../src/pki/path-validation/der.ts";
import { encodePem } from "../../src/pki/pem.ts";
import { x509 } from "../../src/pki/x509.ts";
import { rng } from "../helpers/rng.ts";

const YEAR = 365.25 * 86_400_000;
const CA_ALGORITHMS: KeyAlgorithm[] = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "ed25519"];
const LEAF_ALGORITHMS: KeyAlgorithm[] = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "ed25519"];
const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"]);
    return true;
  } catch {
    return false;
  }
})();


const cas = new Map<KeyAlgorithm, CertificateAuthority>();
const spkis = new Map<KeyAlgorithm, Uint8Array[]>();
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "edgeca-fast-path-"));
  const notBefore = new Date(Date.parse("2020-01-01T00:00:00Z"));
  // Valid until 2090, so leaves can carry GeneralizedTime dates (≥ 2050) without outliving the CA.
  const notAfter = new Date(Date.parse("2090-01-01T00:00:00Z"));
  await Promise.all(
    CA_ALGORITHMS.map(async (alg) => {
      const root = await createRootCa({ subject: `CN=fast path root ${alg},O=edgeca tests`, keyAlgorithm: alg, notBefore, notAfter });
      const issuing = await createIntermediateCa(
        { certificate: root.certificate, privateKey: root.keys.privateKey, keyAlgorithm: alg },
        { subject: `CN=Fast path issuing CA ${alg},O=edgeca tests,C=DE`, keyAlgorithm: alg, notBefore, notAfter },
      );
      const loaded = await loadCertificateAuthority({ certPem: issuing.certificatePem + root.certificatePem, keyPem: issuing.privateKeyPem }, new Date());
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
      cas.set(alg, loaded.value);
    }),
  );
  for (const alg of LEAF_ALGORITHMS) {
    const count = alg.startsWith("rsa") ? 2 : 6;
    spkis.set(alg, await Promise.all(Array.from({ length: count }, async () => exportSpki((await generateKeyPair(alg)).publicKey))));
  }
}, 120_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function name(text: string): SubjectName {
  const n = normalizeName(text);
  if (!n.ok) throw new Error(`${text}: ${n.error.reason}`);
  return n.value;
}

function randomLabel(random: () => number, max = 12): string {
  const chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  const len = 1 + Math.floor(random() * max);
  let s = "";
  for (let i = 0; i < len; i++) s += chars[Math.floor(random() * (i === 0 || i === len - 1 ? 26 : chars.length))];
  return s;
}

const IDN = ["bücher.example", "münchen.mesh.example.com", "xn--nxasmq6b.example.org", "δοκιμή.example.net", "例え.テスト.example"];

function randomName(random: () => number): SubjectName {
  const r = random();
  if (r < 0.35) return name(Array.from({ length: 2 + Math.floor(random() * 3) }, () => randomLabel(random)).join(".") + ".example.com");
  if (r < 0.45) return name(`*.${randomLabel(random)}.mesh.example.com`);
  if (r < 0.55) return name(IDN[Math.floor(random() * IDN.length)]!);
  if (r < 0.62) return name(Array.from({ length: 6 }, () => randomLabel(random, 14)).join(".") + ".example.com");
  if (r < 0.8) return name(Array.from({ length: 4 }, () => Math.floor(random() * 256)).join("."));
  const groups = Array.from({ length: 8 }, () => (random() < 0.4 ? "0" : Math.floor(random() * 65536).toString(16)));
  return name(groups.join(":"));
}

interface Case {
  ca: KeyAlgorithm;
  template: LeafTemplate;
}

function randomCase(seed: number): Case {
  const random = rng(seed);
  const ca = CA_ALGORITHMS[seed % CA_ALGORITHMS.length]!;
  const leaf = LEAF_ALGORITHMS[Math.floor(random() * LEAF_ALGORITHMS.length)]!;
  const keys = spkis.get(leaf)!;
  const names: SubjectName[] = [];
  const seen = new Set<string>();
  const count = 1 + Math.floor(random() ** 2 * 12);
  // Sometimes the first name is longer than 64 characters: empty subject, critical SAN (RFC 5280 §4.2.1.6).
  if (random() < 0.15) names.push(name(`${randomLabel(random, 30)}-${"a".repeat(30)}.${randomLabel(random, 20)}.example.com`));
  while (names.length < count) {
    const n = randomName(random);
    if (!seen.has(n.value)) (seen.add(n.value), names.push(n));
  }
  const usagesChoice: Usage[][] = [["server"], ["client"], ["server", "client"]];
  const usages = usagesChoice[Math.floor(random() * 3)]!;
  let commonName: string | undefined;
  if (random() < 0.2) {
    const dns = names.filter((n) => n.kind === "dns");
    if (usages.includes("server") && dns.length > 0) commonName = dns[Math.floor(random() * dns.length)]!.value.slice(0, 64);
    else if (!usages.includes("server")) commonName = ["zone-a pipeline", "Zürich CP", "kumactl (ops)", "a=b/c?d", "ünïcødé ✓"][Math.floor(random() * 5)];
  }
  // Validity from 2020 to 2089, across the 2050 switch from UTCTime to GeneralizedTime.
  const start = Date.parse("2020-01-01T00:00:00Z") + Math.floor(random() * 60 * YEAR);
  const notBefore = new Date(Math.floor(start / 1000) * 1000 + (random() < 0.2 ? 0 : Math.floor(random() * 1000)));
  const notAfter = new Date(notBefore.getTime() + Math.floor(random() * 9 * YEAR));
  const serial = crypto.getRandomValues(new Uint8Array(16));
  if (serial[0] === 0) serial[0] = 1;
  if (random() < 0.3) serial[0] = serial[0]! | 0x80;
  return {
    ca,
    template: {
      serialNumber: serial,
      names,
      commonName,
      usages,
      publicKey: keys[Math.floor(random() * keys.length)]!,
      publicKeyAlgorithm: leaf,
      notBefore,
      notAfter,
      crlDistributionPoint: random() < 0.4 ? `https://edgeca-${randomLabel(random)}.example.workers.dev/v1/crl` : undefined,
    },
  };
}

function tbsOf(der: Uint8Array): Uint8Array {
  const [tbs] = children(der, readRoot(der, TAG.SEQUENCE));
  return raw(der, tbs!);
}

/** The fields Node's X509Certificate exposes, with the signature-dependent ones left out. */
function nodeFields(der: Uint8Array, ca: CertificateAuthority) {
  const c = new X509Certificate(der);
  return {
    subject: c.subject,
    issuer: c.issuer,
    subjectAltName: c.subjectAltName,
    serialNumber: c.serialNumber,
    validFrom: c.validFrom,
    validTo: c.validTo,
    keyUsage: c.keyUsage,
    ca: c.ca,
    publicKey: c.publicKey.export({ type: "spki", format: "der" }).toString("hex"),
    infoAccess: c.infoAccess,
    verifies: c.verify(new X509Certificate(ca.der).publicKey),
  };
}

/** What @peculiar/x509 reads, including every extension's criticality and bytes. */
async function peculiarFields(der: Uint8Array, ca: CertificateAuthority) {
  const c = new x509.X509Certificate(der);
  return {
    subject: c.subject,
    issuer: c.issuer,
    serialNumber: c.serialNumber,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    signatureAlgorithm: JSON.stringify(c.signatureAlgorithm),
    publicKey: toHex(new Uint8Array(c.publicKey.rawData)),
    extensions: c.extensions.map((e) => `${e.type}:${e.critical}:${toHex(new Uint8Array(e.value))}`),
    san: c.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON(),
    verifies: await c.verify({ publicKey: new x509.PublicKey(ca.parsed.spki), signatureOnly: true }),
  };
}

let opensslFile = 0;
function opensslText(der: Uint8Array): string {
  const file = join(scratch, `c${opensslFile++}.pem`);
  writeFileSync(file, encodePem("CERTIFICATE", der));
  return execFileSync("openssl", ["x509", "-in", file, "-noout", "-text", "-certopt", "no_sigdump"], { encoding: "utf8" });
}

function opensslExtensions(der: Uint8Array): string {
  const file = join(scratch, `e${opensslFile++}.pem`);
  writeFileSync(file, encodePem("CERTIFICATE", der));
  return execFileSync(
    "openssl",
    ["x509", "-in", file, "-noout", "-nameopt", "RFC2253", "-subject", "-issuer", "-serial", "-dates", "-ext", "basicConstraints,keyUsage,extendedKeyUsage,subjectAltName,subjectKeyIdentifier,authorityKeyIdentifier,crlDistributionPoints"],
    { encoding: "utf8" },
  );
}

describe("the leaf fast path is the general path, byte for byte (RFC 5280 §4.1)", () => {
  const cases = Array.from({ length: 240 }, (_, i) => i + 1);

  it.each(cases)("accepts random template %i: same TBSCertificate, both self-checks pass on both outputs, same fields in Node and @peculiar", async (seed) => {
    const { ca: caAlg, template } = randomCase(seed);
    const ca = cas.get(caAlg)!;
    const fast = await signLeafCertificate(ca, template);
    const general = await signLeafCertificateGeneral(ca, template);
    expect(toHex(tbsOf(fast))).toBe(toHex(tbsOf(general)));
    // Ed25519 and RSA PKCS#1 v1.5 signatures are deterministic, so there the whole certificate is identical.
    if (caAlg === "ed25519" || caAlg === "rsa-2048") expect(toHex(fast)).toBe(toHex(general));
    expect(await checkLeafCertificate(fast, ca, template)).toEqual([]);
    expect(await checkLeafCertificate(general, ca, template)).toEqual([]);
    expect(await checkLeafCertificateGeneral(fast, ca, template)).toEqual([]);
    expect(nodeFields(fast, ca)).toEqual(nodeFields(general, ca));
    expect(nodeFields(fast, ca).verifies).toBe(true);
    const p = await peculiarFields(fast, ca);
    expect(p).toEqual(await peculiarFields(general, ca));
    expect(p.verifies).toBe(true);
  });

  it.runIf(hasOpenssl).each(cases.filter((s) => s % 6 === 0))("OpenSSL prints the same certificate for random template %i from both paths", async (seed) => {
    const { ca: caAlg, template } = randomCase(seed);
    const ca = cas.get(caAlg)!;
    const fast = await signLeafCertificate(ca, template);
    const general = await signLeafCertificateGeneral(ca, template);
    expect(opensslText(fast)).toBe(opensslText(general));
    expect(opensslExtensions(fast)).toBe(opensslExtensions(general));
  });

  it("covers what it claims: every CA and leaf key type, both time encodings, empty subjects, CRL DPs, IPv4, IPv6, wildcards, IDNs", () => {
    const all = cases.map(randomCase);
    const t = (pred: (c: Case) => boolean) => all.filter(pred).length;
    for (const alg of CA_ALGORITHMS) expect(t((c) => c.ca === alg)).toBeGreaterThan(10);
    for (const alg of LEAF_ALGORITHMS) expect(t((c) => c.template.publicKeyAlgorithm === alg)).toBeGreaterThan(10);
    expect(t((c) => c.template.notAfter.getUTCFullYear() >= 2050)).toBeGreaterThan(20);
    expect(t((c) => c.template.notBefore.getUTCFullYear() >= 2050)).toBeGreaterThan(10);
    expect(t((c) => c.template.notAfter.getUTCFullYear() < 2050)).toBeGreaterThan(20);
    expect(t((c) => c.template.commonName === undefined && c.template.names[0]!.value.length > 64)).toBeGreaterThan(5);
    expect(t((c) => c.template.crlDistributionPoint !== undefined)).toBeGreaterThan(20);
    expect(t((c) => c.template.commonName !== undefined && !/^[ -~]*$/.test(c.template.commonName))).toBeGreaterThan(0);
    const names = all.flatMap((c) => c.template.names);
    expect(names.filter((n) => n.kind === "ip" && n.bytes.length === 4).length).toBeGreaterThan(20);
    expect(names.filter((n) => n.kind === "ip" && n.bytes.length === 16).length).toBeGreaterThan(20);
    expect(names.filter((n) => n.value.startsWith("*.")).length).toBeGreaterThan(20);
    expect(names.filter((n) => n.value.includes("xn--")).length).toBeGreaterThan(20);
  });
});

describe("the fast path's own guarantees", () => {
  it("encodes a client CN verbatim, where the general path's name parser would rewrite it (\\, quotes, a leading #)", async () => {
    const ca = cas.get("ecdsa-p256")!;
    for (const cn of ["#0a", 'say "hi"', "a\\,b", "back\\slash"]) {
      const template = { ...randomCase(1).template, usages: ["client"] as Usage[], commonName: cn };
      const der = await signLeafCertificate(ca, template);
      expect(await checkLeafCertificate(der, ca, template)).toEqual([]);
      expect((new X509Certificate(der).toLegacyObject().subject as unknown as Record<string, string>)["CN"]).toBe(cn);
    }
  });

  it("rejects, in the self-check, a certificate that differs from its template or is altered anywhere", async () => {
    const ca = cas.get("ecdsa-p256")!;
    const { template } = randomCase(4);
    const der = await signLeafCertificate(ca, { ...template, crlDistributionPoint: "https://x.example/v1/crl" });
    const t = { ...template, crlDistributionPoint: "https://x.example/v1/crl" };
    expect(await checkLeafCertificate(der, ca, t)).toEqual([]);
    const variants: LeafTemplate[] = [
      { ...t, serialNumber: crypto.getRandomValues(new Uint8Array(16)) },
      { ...t, names: [...t.names, name("other.example.com")] },
      { ...t, usages: t.usages.length === 2 ? ["server"] : ["server", "client"] },
      { ...t, notAfter: new Date(t.notAfter.getTime() + 1000) },
      { ...t, notBefore: new Date(t.notBefore.getTime() - 1000) },
      { ...t, publicKey: spkis.get("ed25519")![0]! },
      { ...t, publicKeyAlgorithm: t.publicKeyAlgorithm.startsWith("rsa") ? "ecdsa-p256" : "rsa-2048" },
      { ...t, crlDistributionPoint: undefined },
      { ...t, commonName: "someone-else.example.com" },
    ];
    for (const v of variants) expect((await checkLeafCertificate(der, ca, v)).length).toBeGreaterThan(0);
    // Flip one bit in every octet position in turn: each must either fail to parse or fail a check.
    for (let i = 0; i < der.length; i++) {
      const bad = der.slice();
      bad[i]! ^= 0x01;
      expect((await checkLeafCertificate(bad, ca, t)).length, `octet ${i}`).toBeGreaterThan(0);
    }
    // Signed by another CA with the same template: the signature check and algorithm/issuer checks catch it.
    const other = await signLeafCertificate(cas.get("ecdsa-p384")!, t);
    expect((await checkLeafCertificate(other, ca, t)).length).toBeGreaterThan(0);
  }, 60_000);
});
