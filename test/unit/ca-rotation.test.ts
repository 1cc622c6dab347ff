/**
 * The CA set of a rotation (loadCaSet) and its status (caStatus, a pure
 * function of the set, the ledger's counts and now). CAs are made at test time.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createIntermediateCa, createRootCa, type CaKeyAndCertificate } from "../../src/pki/ca-certificate.ts";
import { describeCaProblem, loadCaSet, type CaMaterial, type KnownCa } from "../../src/pki/certificate-authority.ts";
import { caStatus, type CaSetView, type IssuerCount } from "../../src/pki/ca-status.ts";
import { exportPrivateKeyPem } from "../../src/pki/keys.ts";
import { encodePem } from "../../src/pki/pem.ts";
import { x509 } from "../../src/pki/x509.ts";

const DAY = 86_400_000;
const now = new Date();
const window = { keyAlgorithm: "ecdsa-p256" as const, notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + 3650 * DAY) };

let rootA: CaKeyAndCertificate;
let intA: CaKeyAndCertificate;
let intA2: CaKeyAndCertificate;
let rootB: CaKeyAndCertificate;
let intB: CaKeyAndCertificate;

const under = (root: CaKeyAndCertificate, subject: string, keys?: CryptoKeyPair) =>
  createIntermediateCa({ certificate: root.certificate, privateKey: root.keys.privateKey, keyAlgorithm: "ecdsa-p256" }, { ...window, subject, ...(keys ? { keys } : {}) });

beforeAll(async () => {
  rootA = await createRootCa({ ...window, subject: "CN=root A" });
  intA = await under(rootA, "CN=issuing A");
  intA2 = await under(rootA, "CN=issuing A2");
  rootB = await createRootCa({ ...window, subject: "CN=root B" });
  intB = await under(rootB, "CN=issuing B");
});

const switched = (): CaMaterial => ({
  certPem: intB.certificatePem,
  keyPem: intB.privateKeyPem,
  trustPem: rootA.certificatePem + rootB.certificatePem,
  previousCertPem: intA.certificatePem + rootA.certificatePem,
  previousKeyPem: intA.privateKeyPem,
});

describe("loadCaSet", () => {
  it("accepts the switch phase: issuing B, previous A, both roots served; each root knows which issuer chains to it", async () => {
    const set = await loadCaSet(switched(), now);
    if (!set.ok) throw new Error(describeCaProblem(set.error));
    expect(set.value.previous?.subject).toBe("CN=issuing A");
    const bySubject = Object.fromEntries(set.value.known.map((k) => [k.subject, k]));
    expect(bySubject["CN=issuing B"]).toMatchObject({ role: "issuing", served: false, anchored: true });
    expect(bySubject["CN=issuing A"]).toMatchObject({ role: "previous", anchored: true });
    expect(bySubject["CN=root A"]).toMatchObject({ role: "trust_anchor", served: true, issuers: [set.value.previous!.fingerprint] });
    expect(bySubject["CN=root B"]).toMatchObject({ role: "trust_anchor", served: true, issuers: [set.value.issuing.fingerprint] });
    expect(set.value.warnings).toEqual([]);
  });

  it("accepts an intermediate-only rotation: one root, both issuers chain to it", async () => {
    const set = await loadCaSet(
      { certPem: intA2.certificatePem + rootA.certificatePem, keyPem: intA2.privateKeyPem, previousCertPem: intA.certificatePem, previousKeyPem: intA.privateKeyPem },
      now,
    );
    if (!set.ok) throw new Error(describeCaProblem(set.error));
    const root = set.value.known.find((k) => k.subject === "CN=root A")!;
    expect(root.issuers.sort()).toEqual([set.value.issuing.fingerprint, set.value.previous!.fingerprint].sort());
  });

  it("rejects CA_PREVIOUS_KEY that does not belong to CA_PREVIOUS_CERT, naming those secrets", async () => {
    const set = await loadCaSet({ ...switched(), previousKeyPem: intA2.privateKeyPem }, now);
    expect(set.ok).toBe(false);
    if (set.ok) return;
    expect(set.error).toEqual({ reason: "previous", problem: { reason: "key_mismatch" } });
    expect(describeCaProblem(set.error)).toMatch(/^CA_PREVIOUS_KEY does not belong to the first certificate in CA_PREVIOUS_CERT/);
  });

  it("rejects a bundle that does not hold the issuing CA's root (switching before publishing)", async () => {
    const set = await loadCaSet({ ...switched(), trustPem: rootA.certificatePem }, now);
    expect(set.ok || set.error).toEqual({ reason: "untrusted_chain" });
    if (!set.ok) expect(describeCaProblem(set.error)).toMatch(/publish the next root before switching/);
  });

  it("rejects two issuing CAs with the same subject and key identifier (RFC 5280 §4.2.1.1: indistinguishable)", async () => {
    const again = await under(rootA, "CN=issuing A", intA.keys);
    const set = await loadCaSet({ certPem: again.certificatePem + rootA.certificatePem, keyPem: again.privateKeyPem, previousCertPem: intA.certificatePem, previousKeyPem: intA.privateKeyPem }, now);
    expect(set.ok || set.error).toEqual({ reason: "same_issuer", subject: "CN=issuing A" });
  });

  it("warns and ignores a half-removed previous CA (a moment of the retire phase)", async () => {
    const set = await loadCaSet({ ...switched(), previousKeyPem: undefined }, now);
    if (!set.ok) throw new Error(describeCaProblem(set.error));
    expect(set.value.previous).toBeNull();
    expect(set.value.warnings.map((w) => w.code)).toEqual(["previous_incomplete"]);
  });

  it("warns when a CA that signs CRLs lacks cRLSign (the previous CA signs nothing else)", async () => {
    // An imported root whose keyUsage is keyCertSign alone: it may issue, but its CRLs are refused (RFC 5280 §4.2.1.3).
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "0badc0de",
      name: "CN=root without cRLSign",
      ...window,
      keys,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true), ski],
    });
    const certPem = encodePem("CERTIFICATE", new Uint8Array(cert.rawData));
    const material = { certPem: intB.certificatePem, keyPem: intB.privateKeyPem, trustPem: rootB.certificatePem + certPem, previousCertPem: certPem, previousKeyPem: await exportPrivateKeyPem(keys.privateKey) };
    const set = await loadCaSet(material, now);
    if (!set.ok) throw new Error(describeCaProblem(set.error));
    expect(set.value.warnings).toEqual([{ code: "crl_sign_missing", message: expect.stringMatching(/^CA_PREVIOUS_CERT \(CN=root without cRLSign\) lacks keyUsage cRLSign/), sha256_fingerprint: set.value.previous!.fingerprint }]);
  });

  it("accepts a previous CA whose root left CA_TRUST, marking it not anchored", async () => {
    const set = await loadCaSet({ ...switched(), trustPem: rootB.certificatePem }, now);
    if (!set.ok) throw new Error(describeCaProblem(set.error));
    expect(set.value.known.find((k) => k.role === "previous")).toMatchObject({ anchored: false });
    expect(set.value.known.find((k) => k.subject === "CN=root A")).toMatchObject({ role: "root", served: false });
  });
});

describe("caStatus", () => {
  const fp = (c: string) => c.repeat(64);
  const ca = (over: Partial<KnownCa> & Pick<KnownCa, "role" | "sha256_fingerprint" | "issuers">): KnownCa => ({
    subject: `CN=${over.role}`,
    not_before: "2026-01-01T00:00:00.000Z",
    not_after: "2036-01-01T00:00:00.000Z",
    served: false,
    anchored: true,
    ...over,
  });
  const B = fp("b");
  const A = fp("a");
  const view = (known: KnownCa[], previous = true): CaSetView => ({
    issuing: { fingerprint: B, notAfter: new Date("2031-01-01T00:00:00Z") },
    previous: previous ? { fingerprint: A } : null,
    known,
    warnings: [],
  });
  const switchedView = view([
    ca({ role: "issuing", sha256_fingerprint: B, issuers: [B] }),
    ca({ role: "previous", sha256_fingerprint: A, issuers: [A] }),
    ca({ role: "trust_anchor", sha256_fingerprint: fp("1"), issuers: [A], served: true, subject: "CN=root A" }),
    ca({ role: "trust_anchor", sha256_fingerprint: fp("2"), issuers: [B], served: true, subject: "CN=root B" }),
  ]);
  const at = new Date("2027-01-01T00:00:00Z");
  const count = (issuer: string, active: number, renewed = 0, latest = "2027-03-01T00:00:00.000Z"): IssuerCount => ({ issuer_fingerprint: issuer, active, renewed, latest_not_after: latest });

  it("rejects retiring A while its certificates are active, and says until when", () => {
    const s = caStatus(switchedView, [count(A, 3, 1), count(B, 5)], at, 397 * 86400);
    const byFp = Object.fromEntries(s.cas.map((c) => [c.sha256_fingerprint, c]));
    expect(byFp[A]).toMatchObject({ active_certificates: 3, renewed_certificates: 1, latest_not_after: "2027-03-01T00:00:00.000Z", safe_to_retire: false });
    expect(byFp[A]!.reason).toMatch(/4 active certificates chain to it, the last expiring at 2027-03-01.*1 of them renewed/);
    expect(byFp[fp("1")]).toMatchObject({ active_certificates: 3, safe_to_retire: false });
    expect(byFp[B]).toMatchObject({ safe_to_retire: false, reason: "it is the issuing CA (CA_CERT)" });
    expect(byFp[fp("2")]).toMatchObject({ safe_to_retire: false, reason: "the issuing CA chains to it" });
    expect(s.retire.safe).toBe(false);
    expect(s.retire.blocking).toHaveLength(2);
    expect(s.warnings).toEqual([]);
  });

  it("accepts retiring once nothing issued by A is active, and warns that the previous CA is unused", () => {
    const s = caStatus(switchedView, [count(B, 5)], at, 397 * 86400);
    expect(s.retire).toEqual({ safe: true, blocking: [] });
    expect(s.cas.find((c) => c.sha256_fingerprint === A)).toMatchObject({ active_certificates: 0, latest_not_after: null, safe_to_retire: true, reason: null });
    expect(s.warnings.map((w) => w.code)).toEqual(["previous_unused"]);
  });

  it("warns when active certificates chain to a root that is not served", () => {
    const known = switchedView.known.map((k) => (k.role === "previous" ? { ...k, anchored: false } : k));
    const s = caStatus(view(known), [count(A, 1)], at, 397 * 86400);
    expect(s.warnings).toEqual([expect.objectContaining({ code: "chain_not_served", sha256_fingerprint: A })]);
  });

  it("reports an issuer known only from the ledger, and warns about it", () => {
    const s = caStatus(view(switchedView.known.filter((k) => k.role !== "previous"), false), [count(fp("c"), 2)], at, 397 * 86400);
    expect(s.cas.find((c) => c.sha256_fingerprint === fp("c"))).toMatchObject({ role: "unconfigured", subject: null, active_certificates: 2, safe_to_retire: false });
    expect(s.warnings.map((w) => w.code)).toEqual(["issuer_not_configured"]);
  });

  it("warns when the issuing CA expires within MAX_TTL, saying such requests are refused", () => {
    const s = caStatus(switchedView, [count(A, 1), count(B, 1)], new Date("2030-06-01T00:00:00Z"), 397 * 86400);
    expect(s.validity_limit).toBe("refuse");
    expect(s.warnings).toEqual([expect.objectContaining({ code: "issuing_ca_expires_soon", sha256_fingerprint: B })]);
    expect(s.warnings[0]!.message).toMatch(/refused with ca_validity_exceeded/);
  });
});
