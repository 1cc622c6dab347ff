import { describe, expect, it } from "vitest";
import { loadCertificateAuthority } from "../../src/pki/certificate-authority.ts";
import { generateLeafKey } from "../../src/pki/leaf-key.ts";
import { signLeafCertificate } from "../../src/pki/leaf-profile.ts";
import { validatePath } from "../../src/pki/path-validation.ts";
import { parseCertificateDerCached } from "../../src/pki/path-validation/certificate.ts";
import { decodePem } from "../../src/pki/pem.ts";
import { randomSerialNumber } from "../../src/pki/validity.ts";
import { createTestAuthority } from "../helpers/test-authority.ts";

/** The isolate's cache of verified signatures must never turn a bad signature into a good one. */
describe("verified-signature cache (path validation)", async () => {
  const authority = await createTestAuthority();
  const loaded = await loadCertificateAuthority({ certPem: authority.bindings.CA_CERT, keyPem: authority.bindings.CA_KEY }, new Date());
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  const ca = loaded.value;
  const blocks = decodePem(authority.bindings.CA_CERT);
  if (!blocks.ok) throw new Error("CA_CERT");
  const [intermediate, root] = blocks.value.map((b) => b.der);
  const now = Date.now();
  const key = await generateLeafKey("ecdsa-p256");
  const leaf = await signLeafCertificate(ca, {
    serialNumber: randomSerialNumber(),
    names: [{ kind: "dns", value: "cp.example.com" }],
    commonName: undefined,
    usages: ["server"],
    publicKey: key.spki,
    publicKeyAlgorithm: "ecdsa-p256",
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 86_400_000),
    crlDistributionPoint: undefined,
  });
  const verify = (der: Uint8Array) => validatePath({ leaf: der, intermediates: [intermediate!], roots: [root!], at: new Date(now), hostname: "cp.example.com" });

  it("gives the same verdict the second time (answered from the cache)", async () => {
    const first = await verify(leaf);
    const second = await verify(leaf);
    expect(first.valid).toBe(true);
    expect(second).toEqual(first);
  });

  it("still rejects a copy of a verified leaf with one signature bit flipped (the key is the whole DER)", async () => {
    expect((await verify(leaf)).valid).toBe(true);
    const tampered = leaf.slice();
    tampered[tampered.length - 3]! ^= 0x01;
    const report = await verify(tampered);
    expect(report.valid).toBe(false);
    expect(report.errors.map((e) => e.code)).toContain("bad_signature");
  });

  it("does not cache failures: a tampered leaf fails every time", async () => {
    const tampered = leaf.slice();
    tampered[tampered.length - 5]! ^= 0x80;
    for (let i = 0; i < 3; i++) expect((await verify(tampered)).valid).toBe(false);
  });

  it("keeps its own copy of a parsed DER: a caller reusing its buffer cannot change a cached entry", async () => {
    const buffer = leaf.slice();
    const first = parseCertificateDerCached(buffer);
    buffer.fill(0);
    const again = parseCertificateDerCached(leaf.slice());
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(again.value).not.toBe(first.value);
    expect(Buffer.from(again.value.der).equals(Buffer.from(leaf))).toBe(true);
    expect((await verify(leaf)).valid).toBe(true);
  });
});
