/**
 * The hand-written CRL writer (src/pki/crl.ts, RFC 5280 §5) against
 * @peculiar/x509's X509CrlGenerator, which it replaced, and two independent
 * readers: @peculiar/x509's X509Crl and `openssl crl -verify -text`, for CAs
 * of every key type, with and without revoked entries. The TBSCertList is
 * byte-for-byte the generator's, except that an entry without a reason has no
 * crlEntryExtensions at all where the generator wrote an empty SEQUENCE
 * (Extensions is SIZE (1..MAX), RFC 5280 §4.1).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/pki/bytes.ts";
import { createIntermediateCa, createRootCa } from "../../src/pki/ca-certificate.ts";
import { loadCertificateAuthority, type CertificateAuthority } from "../../src/pki/certificate-authority.ts";
import { buildCrl, REVOCATION_REASONS, type CrlEntry } from "../../src/pki/crl.ts";
import type { KeyAlgorithm } from "../../src/pki/keys.ts";
import { children, raw, readRoot, TAG } from "../../src/pki/path-validation/der.ts";
import { encodePem } from "../../src/pki/pem.ts";
import { x509 } from "../../src/pki/x509.ts";

const DAY = 86_400_000;
const ALGORITHMS: KeyAlgorithm[] = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "ed25519"];
const dir = mkdtempSync(join(tmpdir(), "edgeca-crl-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cas = new Map<KeyAlgorithm, CertificateAuthority>();
beforeAll(async () => {
  const now = Date.now();
  for (const alg of ALGORITHMS) {
    const root = await createRootCa({ subject: `CN=crl root ${alg},O=edgeca tests`, keyAlgorithm: alg, notBefore: new Date(now - DAY), notAfter: new Date(now + 3650 * DAY) });
    const issuing = await createIntermediateCa(
      { certificate: root.certificate, privateKey: root.keys.privateKey, keyAlgorithm: alg },
      { subject: `CN=crl issuing ${alg},O=edgeca tests,C=DE`, keyAlgorithm: alg, notBefore: new Date(now - DAY), notAfter: new Date(now + 1000 * DAY) },
    );
    const ca = await loadCertificateAuthority({ certPem: issuing.certificatePem + root.certificatePem, keyPem: issuing.privateKeyPem }, new Date(now));
    if (!ca.ok) throw new Error(JSON.stringify(ca.error));
    cas.set(alg, ca.value);
  }
});

const thisUpdate = new Date("2026-11-30T10:20:30.456Z");
const nextUpdate = new Date("2026-12-01T10:20:30.000Z");
const withReasons: CrlEntry[] = (Object.keys(REVOCATION_REASONS) as (keyof typeof REVOCATION_REASONS)[])
  .filter((r) => r !== "unspecified")
  .map((reason, i) => ({ serial: ["7f01", "80", "00ff", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "01", "ffffffffffffffff", "4000"][i]!, revokedAt: new Date(thisUpdate.getTime() - (i + 1) * 3_600_000), reason }));
const unspecified: CrlEntry[] = [{ serial: "1234", revokedAt: new Date("2026-11-29T00:00:00Z"), reason: "unspecified" }];

const cases: [string, CrlEntry[], Date][] = [
  ["no revoked certificates", [], nextUpdate],
  ["an entry for every reason", withReasons, nextUpdate],
  ["an unspecified reason", [...unspecified, ...withReasons.slice(0, 2)], nextUpdate],
  ["a nextUpdate after 2049 (GeneralizedTime, RFC 5280 §5.1.2.5)", withReasons.slice(0, 1), new Date("2051-01-02T03:04:05Z")],
];

const matrix = ALGORITHMS.flatMap((alg) => cases.map(([what, entries, next]) => [alg, what, entries, next] as const));

/** What the generator would have produced for the same CRL. */
async function generatorCrl(ca: CertificateAuthority, crlNumber: number, entries: readonly CrlEntry[], next: Date): Promise<Uint8Array> {
  const content = toHex(new Uint8Array([crlNumber]));
  const crl = await x509.X509CrlGenerator.create({
    issuer: new x509.Name(ca.subjectDer),
    thisUpdate,
    nextUpdate: next,
    signingKey: ca.signingKey,
    signingAlgorithm: ca.signatureAlgorithm,
    extensions: [new x509.AuthorityKeyIdentifierExtension(toHex(ca.subjectKeyIdentifier), false), new x509.Extension("2.5.29.20", false, Buffer.from(`0201${content}`, "hex"))],
    entries: entries.map((e) => ({ serialNumber: e.serial, revocationDate: e.revokedAt, ...(e.reason === "unspecified" ? {} : { reason: REVOCATION_REASONS[e.reason] as unknown as x509.X509CrlReason }) })),
  });
  return new Uint8Array(crl.rawData);
}

const tbsOf = (der: Uint8Array) => raw(der, children(der, readRoot(der, TAG.SEQUENCE))[0]!);

type Tree = string | { tag: number; items: Tree[] };

/** The element tree of DER (constructed elements opened, primitives as hex), so length octets drop out of comparisons. */
function tree(bytes: Uint8Array, tlv = readRoot(bytes, bytes[0]!)): Tree {
  return tlv.tag & 0x20 ? { tag: tlv.tag, items: children(bytes, tlv).map((c) => tree(bytes, c)) } : toHex(raw(bytes, tlv));
}

/** The generator's TBSCertList without the empty crlEntryExtensions (30 00) it wrote for entries without a reason. */
function withoutEmptyEntryExtensions(t: Tree): Tree {
  if (typeof t === "string") return t;
  const revoked = t.items[5];
  if (typeof revoked === "string" || revoked?.tag !== 0x30) return t;
  const entries = revoked.items.map((e) => (typeof e !== "string" && e.items.length === 3 && typeof e.items[2] !== "string" && e.items[2]!.items.length === 0 ? { ...e, items: e.items.slice(0, 2) } : e));
  return { ...t, items: [...t.items.slice(0, 5), { ...revoked, items: entries }, ...t.items.slice(6)] };
}

/** A serial as readers print it: the magnitude without leading zero octets. */
const magnitude = (serial: string) => serial.replace(/^(00)+(?=..)/, "");

describe("CRLs (RFC 5280 §5) from the DER writer", () => {
  it.each(matrix)("accepts a %s CA's CRL with %s: the same TBSCertList as @peculiar/x509's generator", async (alg, _what, entries, next) => {
    const ca = cas.get(alg)!;
    const mine = await buildCrl(ca, { crlNumber: 7, thisUpdate, nextUpdate: next, entries });
    const theirs = await generatorCrl(ca, 7, entries, next);
    if (entries.some((e) => e.reason === "unspecified")) {
      const empty = { tag: 0x30, items: [] };
      expect(JSON.stringify(tree(tbsOf(theirs)))).toContain(JSON.stringify(empty));
      expect(JSON.stringify(tree(tbsOf(mine)))).not.toContain(JSON.stringify(empty));
      expect(tree(tbsOf(mine))).toEqual(withoutEmptyEntryExtensions(tree(tbsOf(theirs))));
    } else {
      expect(toHex(tbsOf(mine))).toBe(toHex(tbsOf(theirs)));
      // Ed25519 and RSA PKCS#1 v1.5 signatures are deterministic: the whole CRL is the same.
      if (alg === "ed25519" || alg === "rsa-2048") expect(toHex(mine)).toBe(toHex(theirs));
    }
  });

  it.each(matrix)("accepts a %s CA's CRL with %s as @peculiar/x509 reads it", async (alg, _what, entries, next) => {
    const ca = cas.get(alg)!;
    const crl = new x509.X509Crl(await buildCrl(ca, { crlNumber: 300, thisUpdate, nextUpdate: next, entries }));
    expect(crl.issuer).toBe(new x509.Name(ca.subjectDer).toString());
    expect(crl.thisUpdate.toISOString()).toBe("2026-11-30T10:20:30.000Z");
    expect(crl.nextUpdate!.toISOString()).toBe(next.toISOString());
    expect(await crl.verify({ publicKey: new x509.PublicKey(ca.parsed.spki) })).toBe(true);
    expect(crl.entries.map((e) => [e.serialNumber, e.revocationDate.toISOString(), e.reason ?? null, e.extensions.length])).toEqual(
      entries.map((e) => [magnitude(e.serial), new Date(Math.floor(e.revokedAt.getTime() / 1000) * 1000).toISOString(), e.reason === "unspecified" ? null : REVOCATION_REASONS[e.reason], e.reason === "unspecified" ? 0 : 1]),
    );
    const aki = crl.getExtension(x509.AuthorityKeyIdentifierExtension);
    expect(aki?.keyId).toBe(toHex(ca.subjectKeyIdentifier));
    expect(aki?.critical).toBe(false);
    const number = crl.extensions.find((e) => e.type === "2.5.29.20")!;
    expect([number.critical, toHex(new Uint8Array(number.value))]).toEqual([false, "0202012c"]);
  });
});

const OPENSSL_REASONS: Record<string, string> = {
  keyCompromise: "Key Compromise",
  cACompromise: "CA Compromise",
  affiliationChanged: "Affiliation Changed",
  superseded: "Superseded",
  cessationOfOperation: "Cessation Of Operation",
  privilegeWithdrawn: "Privilege Withdrawn",
  aACompromise: "AA Compromise",
};

describe("CRLs as OpenSSL reads them", () => {
  it.each(ALGORITHMS)("accepts a %s CA's CRL: `openssl crl -verify` says verify OK and -text lists every field", async (alg) => {
    const ca = cas.get(alg)!;
    const entries = [...unspecified, ...withReasons];
    writeFileSync(join(dir, `${alg}.crl`), encodePem("X509 CRL", await buildCrl(ca, { crlNumber: 65_537, thisUpdate, nextUpdate, entries })));
    writeFileSync(join(dir, `${alg}-ca.pem`), encodePem("CERTIFICATE", ca.der));
    const verify = spawnSync("openssl", ["crl", "-in", `${alg}.crl`, "-CAfile", `${alg}-ca.pem`, "-verify", "-noout"], { cwd: dir, encoding: "utf8" });
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr.trim()).toBe("verify OK");

    const text = execFileSync("openssl", ["crl", "-in", `${alg}.crl`, "-noout", "-text"], { cwd: dir, encoding: "utf8" });
    expect(text).toContain("Version 2 (0x1)");
    expect(text).toContain("Last Update: Nov 30 10:20:30 2026 GMT");
    expect(text).toContain("Next Update: Dec  1 10:20:30 2026 GMT");
    expect(text).toMatch(/X509v3 CRL Number: \n\s+65537\n/);
    expect(text.replace(/:/g, "").toLowerCase()).toContain(toHex(ca.subjectKeyIdentifier));
    const listed = [...text.matchAll(/Serial Number: ([0-9A-F]+)\n\s+Revocation Date: ([^\n]+)\n(?:\s+CRL entry extensions:\n\s+X509v3 CRL Reason Code: \n\s+([^\n]+)\n)?/g)].map((m) => [m[1], m[3]?.trim() ?? null]);
    expect(listed).toEqual(entries.map((e) => [magnitude(e.serial).toUpperCase(), e.reason === "unspecified" ? null : OPENSSL_REASONS[e.reason]]));
  });

  it("rejects a CRL whose TBSCertList was altered: `openssl crl -verify` fails (the check can fail)", async () => {
    const ca = cas.get("ecdsa-p256")!;
    const der = await buildCrl(ca, { crlNumber: 1, thisUpdate, nextUpdate, entries: withReasons });
    const at = toHex(der).indexOf("7f01") / 2;
    der[at] = 0x7e;
    writeFileSync(join(dir, "tampered.crl"), encodePem("X509 CRL", der));
    writeFileSync(join(dir, "tampered-ca.pem"), encodePem("CERTIFICATE", ca.der));
    const verify = spawnSync("openssl", ["crl", "-in", "tampered.crl", "-CAfile", "tampered-ca.pem", "-verify", "-noout"], { cwd: dir, encoding: "utf8" });
    expect(verify.stderr).toMatch(/verify fail/);
  });

  it("refuses to list one serial twice, as the generator did", async () => {
    const ca = cas.get("ed25519")!;
    await expect(buildCrl(ca, { crlNumber: 1, thisUpdate, nextUpdate, entries: [withReasons[0]!, { ...withReasons[0]!, serial: "007f01" }] })).rejects.toThrow(/twice/);
  });
});
