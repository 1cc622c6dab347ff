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
import { formatCertId } from "../../src/pki/ari.ts";
import { fromHex } from "../../src/pki/bytes.ts";
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

/** The certID an ARI client computes from the leaf itself (RFC 9773 §4.1). */
function certIdOf(pem: string): string {
  const cert = new x509.X509Certificate(pem);
  return formatCertId(fromHex(cert.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId!), cert.serialNumber);
}

const unique = () => `l${crypto.randomUUID().slice(0, 8)}.recert.example.com`;

describe("the earlier certificate's leaves, after the re-certification", () => {
  it("have renewal information (RFC 9773): the certID names the same key identifier, so it is not unknown", async () => {
    const old = await issue(before, unique());
    const res = await callWithEnv(envOf(after), `/acme/renewal-info/${certIdOf(old.certificate)}`);
    expect(res.status).toBe(200);
    const { suggestedWindow } = (await res.json()) as { suggestedWindow: { start: string; end: string } };
    // The default window (last third), not a rotation's: the leaf's CA is still the issuing one.
    expect(Date.parse(suggestedWindow.end)).toBe(new Date(old.not_after).getTime());
  });

  it("keep the CRL their distribution point names (the earlier certificate's fingerprint), with their revocation in it", async () => {
    const withUrl = { ...envOf(before), PUBLIC_URL: "https://ca.example.com" };
    const res = await callWithEnv(withUrl, "/v1/certificates", { token: tokens.admin, body: { hostnames: [unique()], ttl: "30d" } });
    const old = (await res.json()) as IssuedJson;
    const cdp = new x509.X509Certificate(old.certificate).getExtension(x509.CRLDistributionPointsExtension)!;
    const crlUrl = new URL(cdp.distributionPoints[0]!.distributionPoint!.fullName![0]!.uniformResourceIdentifier!);
    const beforeFingerprint = [...new Uint8Array(await new x509.X509Certificate(before.certificatePem).getThumbprint("SHA-256"))].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(crlUrl.searchParams.get("issuer")).toBe(beforeFingerprint);
    expect((await callWithEnv(envOf(after), `/v1/certificates/${old.serial_number}/revoke`, { token: tokens.admin, body: { reason: "superseded" } })).status).toBe(200);

    const crlRes = await callWithEnv(envOf(after), `${crlUrl.pathname}${crlUrl.search}`);
    expect(crlRes.status).toBe(200);
    const crl = new x509.X509Crl(new Uint8Array(await crlRes.arrayBuffer()));
    expect(await crl.verify({ publicKey: new x509.X509Certificate(after.certificatePem).publicKey })).toBe(true);
    expect(crl.findRevoked(old.serial_number)?.reason).toBe(x509.X509CrlReason.superseded);
  });

  it("are replayed for their Idempotency-Key, with the configured certificate of their CA in the chain", async () => {
    const key = crypto.randomUUID();
    const body = { hostnames: [unique()], ttl: "30d" };
    const first = await callWithEnv(envOf(before), "/v1/certificates", { token: tokens.admin, body, headers: { "Idempotency-Key": key } });
    expect(first.status).toBe(201);
    const issued = (await first.json()) as IssuedJson;
    const again = await callWithEnv(envOf(after), "/v1/certificates", { token: tokens.admin, body, headers: { "Idempotency-Key": key } });
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    const replayed = (await again.json()) as IssuedJson;
    expect(replayed.serial_number).toBe(issued.serial_number);
    expect(replayed.private_key).toBe(issued.private_key);
    expect(replayed.chain).toBe(issued.certificate + after.certificatePem);
  });

  it("are the previous CA's during a rotation whose CA_PREVIOUS_CERT is the re-certified one: windows pulled to now, as awaiting_renewal counts them", async () => {
    const now = Date.now();
    const next = await createRootCa({ subject: "CN=recert next CA,O=edgeca tests", keyAlgorithm: "ecdsa-p256", notBefore: new Date(now - DAY), notAfter: new Date(now + 3650 * DAY) });
    const switched = {
      CA_CERT: next.certificatePem,
      CA_KEY: next.privateKeyPem,
      CA_PREVIOUS_CERT: after.certificatePem + root.certificatePem,
      CA_PREVIOUS_KEY: after.privateKeyPem,
      CA_TRUST: root.certificatePem + next.certificatePem,
    };
    const old = await issue(before, unique());
    const status = (await (await callWithEnv(switched, "/v1/ca/status", { token: tokens.reader })).json()) as CaStatusReport;
    expect(status.awaiting_renewal).toBeGreaterThanOrEqual(1);

    const res = await callWithEnv(switched, `/acme/renewal-info/${certIdOf(old.certificate)}`);
    expect(res.status).toBe(200);
    const { suggestedWindow } = (await res.json()) as { suggestedWindow: { start: string; end: string } };
    expect(Date.parse(suggestedWindow.end)).toBeLessThan(Date.now());
    const record = (await (await callWithEnv(switched, `/v1/certificates/${old.serial_number}`, { token: tokens.reader })).json()) as { renewal_window: { end: string } };
    expect(record.renewal_window).toEqual(suggestedWindow);
  });
});
