/**
 * POST /v1/verify end to end: the verdicts an operator debugging a control
 * plane needs, on bundles this service issued, and 400s that name the
 * PEM block at fault.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createRootCa } from "../../src/pki/ca-certificate.ts";
import { decodePem, encodePem } from "../../src/pki/pem.ts";
import { x509 } from "../../src/pki/x509.ts";
import { call, expectProblem, tokens, type IssuedJson } from "./helpers.ts";

interface Report {
  valid: boolean;
  errors: { code: string; message: string; index: number | null; revoked_at?: string; revocation_reason?: string }[];
  warnings: { code: string; message: string; index: number | null }[];
  chain: { role: string; subject: string; serial_number: string; sha256_fingerprint: string; trust_anchor: boolean }[];
}

async function issue(hostnames: string[], usage = ["server"]): Promise<IssuedJson> {
  return (await (await call("/v1/certificates", { token: tokens.admin, body: { hostnames, usage } })).json()) as IssuedJson;
}

async function verify(body: Record<string, unknown>, token = tokens.admin): Promise<Report> {
  const res = await call("/v1/verify", { token, body });
  expect(res.status).toBe(200);
  return (await res.json()) as Report;
}

const codes = (r: Report) => r.errors.map((e) => e.code);

describe("POST /v1/verify", () => {
  it("accepts a bundle from POST /v1/certificates for its hostname, against the service's own ca.crt", async () => {
    const b = await issue(["cp.example.com", "10.0.0.5"]);
    const r = await verify({ chain: b.chain, hostname: "cp.example.com" });
    expect(r.valid).toBe(true);
    expect(r.errors).toEqual([]);
    expect(r.chain.map((c) => c.role)).toEqual(["leaf", "intermediate", "root"]);
    expect(r.chain[0]!.serial_number.padStart(32, "0")).toBe(b.serial_number);
    expect((await verify({ chain: b.chain, hostname: "10.0.0.5", roots: b.ca })).valid).toBe(true);
  });

  it.each([
    ["another hostname", { hostname: "other.example.com" }, "hostname_mismatch"],
    ["an expired validation time", { at: "2099-01-01T00:00:00Z" }, "expired"],
    ["a time before issuance", { at: "2001-01-01T00:00:00Z" }, "not_yet_valid"],
    ["client usage for a server certificate", { usage: "client" }, "eku_mismatch"],
  ])("rejects the bundle for %s", async (_what, extra, code) => {
    const b = await issue(["cp.example.com"]);
    const r = await verify({ chain: b.chain, hostname: "cp.example.com", ...extra });
    expect(r.valid).toBe(false);
    expect(codes(r)).toContain(code);
    expect(r.errors[0]!.message.length).toBeGreaterThan(20);
  });

  it("explains the wildcard rule on a mismatch only when a wildcard is involved", async () => {
    const plain = await issue(["cp.example.com"]);
    const noWildcard = (await verify({ chain: plain.chain, hostname: "other.example.com" })).errors.find((e) => e.code === "hostname_mismatch")!;
    expect(noWildcard.message).toBe('the leaf certificate is not valid for hostname "other.example.com": the certificate is valid for DNS:cp.example.com');
    const wild = await issue(["*.zone.example.com"]);
    const twoLabels = (await verify({ chain: wild.chain, hostname: "a.b.zone.example.com" })).errors.find((e) => e.code === "hostname_mismatch")!;
    expect(twoLabels.message).toMatch(/valid for DNS:\*\.zone\.example\.com \(RFC 6125 §6\.4: a wildcard matches exactly one whole left-most label\)$/);
  });

  it("passes an issued bundle under the strict profile with no profile finding (edgeca's leaves and CA conform to RFC 5280 §4)", async () => {
    const b = await issue(["cp.example.com"]);
    const r = await verify({ chain: b.chain, hostname: "cp.example.com", profile: "strict" });
    expect(r).toMatchObject({ valid: true, errors: [] });
    expect(r.warnings.filter((w) => !["expires_soon"].includes(w.code))).toEqual([]);
  });

  it("reports a profile defect Go accepts as a warning under go and as an error under strict", async () => {
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    // A self-signed CA used as its own trust anchor, with basicConstraints not critical (RFC 5280 §4.2.1.9: MUST be critical).
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: "CN=lax.example.com",
      keys,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      notBefore: new Date(Date.now() - 86_400_000),
      notAfter: new Date(Date.now() + 30 * 86_400_000),
      extensions: [new x509.BasicConstraintsExtension(true, undefined, false), new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "lax.example.com" }])],
    });
    const pem = cert.toString("pem");
    const go = await verify({ chain: pem, roots: pem, hostname: "lax.example.com" });
    expect(go.valid).toBe(true);
    expect(go.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(["basic_constraints_not_critical", "end_entity_is_ca"]));
    const strict = await verify({ chain: pem, roots: pem, hostname: "lax.example.com", profile: "strict" });
    expect(strict.valid).toBe(false);
    expect(codes(strict)).toEqual(expect.arrayContaining(["basic_constraints_not_critical", "end_entity_is_ca"]));
    expect(strict.errors.find((e) => e.code === "basic_constraints_not_critical")).toMatchObject({ index: 0, message: expect.stringContaining("RFC 5280 §4.2.1.9") });
    await expectProblem(await call("/v1/verify", { token: tokens.admin, body: { chain: pem, profile: "lenient" } }), 400, "validation_failed");
  });

  it("rejects a foreign CA with unknown_authority", async () => {
    const b = await issue(["cp.example.com"]);
    const foreign = await createRootCa({ subject: "CN=foreign", keyAlgorithm: "ecdsa-p256", notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000) });
    const r = await verify({ chain: b.chain, roots: foreign.certificatePem });
    expect(r.valid).toBe(false);
    expect(codes(r)).toContain("unknown_authority");
  });

  it("rejects a missing intermediate with unknown_authority and reports the partial path", async () => {
    const b = await issue(["cp.example.com"]);
    const r = await verify({ chain: b.certificate, hostname: "cp.example.com" });
    expect(r.valid).toBe(false);
    expect(codes(r)).toContain("unknown_authority");
    expect(r.chain[0]!.role).toBe("leaf");
  });

  it("rejects a tampered signature with bad_signature", async () => {
    const b = await issue(["cp.example.com"]);
    const blocks = decodePem(b.certificate);
    if (!blocks.ok) throw new Error();
    const der = blocks.value[0]!.der.slice();
    der[der.length - 3] = der[der.length - 3]! ^ 0x01;
    const r = await verify({ chain: encodePem("CERTIFICATE", der) + env.TEST_INTERMEDIATE_PEM });
    expect(r.valid).toBe(false);
    expect(codes(r)).toContain("bad_signature");
  });

  it("reports revoked, with date and reason, for a leaf this service revoked", async () => {
    const b = await issue(["cp.example.com"]);
    await call(`/v1/certificates/${b.serial_number}/revoke`, { token: tokens.admin, body: { reason: "keyCompromise" } });
    const r = await verify({ chain: b.chain, hostname: "cp.example.com" });
    expect(r.valid).toBe(false);
    const revoked = r.errors.find((e) => e.code === "revoked");
    expect(revoked).toMatchObject({ index: 0, revocation_reason: "keyCompromise" });
    expect(revoked!.revoked_at).toMatch(/^\d{4}-/);
  });

  it("sees a revocation at once even when this isolate verified the leaf just before (its revocation snapshot is dropped)", async () => {
    const b = await issue(["cp.example.com"]);
    expect((await verify({ chain: b.chain, hostname: "cp.example.com" })).valid).toBe(true);
    await call(`/v1/certificates/${b.serial_number}/revoke`, { token: tokens.admin, body: { reason: "superseded" } });
    const r = await verify({ chain: b.chain, hostname: "cp.example.com" });
    expect(r.valid).toBe(false);
    expect(r.errors.find((e) => e.code === "revoked")).toMatchObject({ index: 0, revocation_reason: "superseded" });
  });

  it("explains the kumactl self-signed server certificate used as its own ca.crt, as Go would accept it", async () => {
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "4a",
      name: new x509.Name([]),
      notBefore: new Date(Date.now() - 300_000),
      notAfter: new Date(Date.now() + 3650 * 86_400_000),
      keys,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyCertSign, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "cp.example.com" }], true),
      ],
    });
    const pem = cert.toString("pem");
    const ok = await verify({ chain: pem, roots: pem, hostname: "cp.example.com" });
    expect(ok.valid).toBe(true);
    expect(ok.warnings.map((w) => w.code)).toContain("leaf_is_trust_anchor");
    const wrongName = await verify({ chain: pem, roots: pem, hostname: "kds.example.com" });
    expect(codes(wrongName)).toContain("hostname_mismatch");
    // No wildcard anywhere: no wildcard note.
    expect(wrongName.errors.find((e) => e.code === "hostname_mismatch")!.message).not.toMatch(/wildcard/);
    const notTrusted = await verify({ chain: pem, hostname: "cp.example.com" });
    expect(notTrusted.valid).toBe(false);
  });

  it.each([
    ["text that is not PEM", "hello world", "invalid_pem", 0],
    ["a broken second block", "CERT+-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "invalid_pem", 1],
    ["a private key instead of a certificate", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "invalid_certificate", 0],
    ["a CERTIFICATE block that is not DER", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "invalid_certificate", 0],
  ])("rejects %s with 400 naming the block", async (_what, chain, code, block) => {
    const text = chain.replace("CERT+", env.TEST_INTERMEDIATE_PEM);
    const p = await expectProblem(await call("/v1/verify", { token: tokens.admin, body: { chain: text } }), 400, code);
    expect(p["block"]).toBe(block);
    expect(p.errors?.[0]?.pointer).toBe("/chain");
  });

  it.each([
    [{ chain: "x", at: "yesterday" }, "validation_failed"],
    [{ chain: "x", usage: "email" }, "validation_failed"],
    [{ hostname: "a" }, "validation_failed"],
  ])("rejects the body %j", async (body, code) => {
    await expectProblem(await call("/v1/verify", { token: tokens.admin, body }), 400, code);
  });

  it("requires the verify scope", async () => {
    await expectProblem(await call("/v1/verify", { token: tokens.reader, body: { chain: "x" } }), 403, "insufficient_scope");
  });
});
