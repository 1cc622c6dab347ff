/**
 * A CA re-certified with the same key and subject (a new certificate, a new
 * fingerprint) keeps the leaves its earlier certificate issued: they are
 * listed in its CRL when revoked, found revoked by POST /v1/verify, and
 * counted under it in /v1/ca/status rather than under an unconfigured CA
 * (matched by identity: subject and key identifier, migrations/0009).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createIntermediateCa, createRootCa, type CaKeyAndCertificate } from "../../src/pki/ca-certificate.ts";
import type { CaStatusReport } from "../../src/pki/ca-status.ts";
import { x509 } from "../../src/pki/x509.ts";
import { callWithEnv, tokens, type IssuedJson } from "./helpers.ts";

const DAY = 86_400_000;
let root: CaKeyAndCertificate;
let before: CaKeyAndCertificate;
let after: CaKeyAndCertificate;

const envOf = (ca: CaKeyAndCertificate) => ({ CA_CERT: ca.certificatePem + root.certificatePem, CA_KEY: ca.privateKeyPem, CA_TRUST: root.certificatePem });

beforeAll(async () => {
  const now = Date.now();
  root = await createRootCa({ subject: "CN=recert root,O=edgeca tests", keyAlgorithm: "ecdsa-p256", notBefore: new Date(now - DAY), notAfter: new Date(now + 3650 * DAY) });
  const issuer = { certificate: root.certificate, privateKey: root.keys.privateKey, keyAlgorithm: "ecdsa-p256" as const };
  before = await createIntermediateCa(issuer, { subject: "CN=recert issuing CA,O=edgeca tests", keyAlgorithm: "ecdsa-p256", notBefore: new Date(now - DAY), notAfter: new Date(now + 400 * DAY) });
  // Re-certified: same key, same subject, another validity (what an operator does before the first certificate expires).
  after = await createIntermediateCa(issuer, { subject: "CN=recert issuing CA,O=edgeca tests", keyAlgorithm: "ecdsa-p256", keys: before.keys, notBefore: new Date(now - DAY), notAfter: new Date(now + 1000 * DAY) });
});

async function issue(ca: CaKeyAndCertificate, hostname: string): Promise<IssuedJson> {
  const res = await callWithEnv(envOf(ca), "/v1/certificates", { token: tokens.admin, body: { hostnames: [hostname], ttl: "30d" } });
  expect(res.status).toBe(201);
  return (await res.json()) as IssuedJson;
}

describe("a CA re-certified with the same key and subject", () => {
  it("lists its earlier certificate's revoked leaves in its CRL, finds them revoked, and counts them as its own", async () => {
    expect(new x509.X509Certificate(before.certificatePem).subject).toBe(new x509.X509Certificate(after.certificatePem).subject);
    expect(before.certificatePem).not.toBe(after.certificatePem);
    const old = await issue(before, "old-leaf.recert.example.com");
    const kept = await issue(before, "kept-leaf.recert.example.com");
    // The new certificate's CRL exists before the revocation: the revocation must rebuild it.
    expect((await callWithEnv(envOf(after), "/v1/crl")).status).toBe(200);

    const revoke = await callWithEnv(envOf(after), `/v1/certificates/${old.serial_number}/revoke`, { token: tokens.admin, body: { reason: "keyCompromise" } });
    expect(revoke.status).toBe(200);

    const crlRes = await callWithEnv(envOf(after), "/v1/crl");
    const crl = new x509.X509Crl(new Uint8Array(await crlRes.arrayBuffer()));
    expect(await crl.verify({ publicKey: new x509.X509Certificate(after.certificatePem).publicKey })).toBe(true);
    expect(crl.findRevoked(old.serial_number)?.reason).toBe(x509.X509CrlReason.keyCompromise);
    expect(crl.findRevoked(kept.serial_number)).toBeNull();

    // The old leaf, verified through the new CA certificate.
    const leafPem = old.certificate;
    const verify = await callWithEnv(envOf(after), "/v1/verify", { token: tokens.admin, body: { chain: leafPem + after.certificatePem, roots: root.certificatePem } });
    const report = (await verify.json()) as { valid: boolean; errors: { code: string }[]; chain: { sha256_fingerprint: string }[] };
    expect(report.errors.map((e) => e.code)).toEqual(["revoked"]);
    expect(report.valid).toBe(false);

    const status = (await (await callWithEnv(envOf(after), "/v1/ca/status", { token: tokens.reader })).json()) as CaStatusReport;
    expect(status.cas.filter((c) => c.role === "unconfigured")).toEqual([]);
    const issuing = status.cas.find((c) => c.role === "issuing")!;
    expect(issuing.active_certificates).toBeGreaterThanOrEqual(1);
  });
});
