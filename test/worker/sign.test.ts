/**
 * POST /v1/certificates/sign inside workerd: proof of possession, key
 * policy, names from the request or the CSR, and nothing else copied.
 */
import { describe, expect, it } from "vitest";
import { encodePem, decodePem } from "../../src/pki/pem.ts";
import { x509 } from "../../src/pki/x509.ts";
import { call, expectProblem, tokens, type IssuedJson } from "./helpers.ts";

async function makeCsr(alg: { name: string; namedCurve?: string; modulusLength?: number; hash?: string; publicExponent?: Uint8Array }, extensions: InstanceType<typeof x509.Extension>[] = []) {
  const keys = (await crypto.subtle.generateKey(alg as never, true, ["sign", "verify"])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: "CN=ignored.example.com",
    keys,
    signingAlgorithm: alg.name === "ECDSA" ? { name: "ECDSA", hash: "SHA-256" } : alg,
    extensions,
  });
  return { keys, pem: csr.toString("pem"), der: new Uint8Array(csr.rawData) };
}

const P256 = { name: "ECDSA", namedCurve: "P-256" };

describe("POST /v1/certificates/sign", () => {
  it("accepts a CSR and certifies its key for the requested names, without a private key in the answer", async () => {
    const csr = await makeCsr(P256);
    const res = await call("/v1/certificates/sign", { token: tokens.admin, body: { csr: csr.pem, hostnames: ["cp.example.com"] } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as IssuedJson;
    expect(body.private_key).toBeUndefined();
    expect(body.hostnames).toEqual(["cp.example.com"]);
    const leaf = new x509.X509Certificate(body.certificate);
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", csr.keys.publicKey) as ArrayBuffer);
    expect(new Uint8Array(leaf.publicKey.rawData)).toEqual(spki);
  });

  it("takes the names from the CSR's subjectAltName when the request has none", async () => {
    const csr = await makeCsr(P256, [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "a.zone-a.mesh.example.com" }, { type: "ip", value: "10.1.1.1" }])]);
    const body = (await (await call("/v1/certificates/sign", { token: tokens.zoneA, body: { csr: csr.pem } })).json()) as IssuedJson;
    expect(body.hostnames).toEqual(["a.zone-a.mesh.example.com", "10.1.1.1"]);
  });

  it("applies the name policy to names taken from the CSR", async () => {
    const csr = await makeCsr(P256, [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "evil.example.com" }])]);
    await expectProblem(await call("/v1/certificates/sign", { token: tokens.zoneA, body: { csr: csr.pem } }), 403, "name_not_allowed");
  });

  it("never copies a requested CA:TRUE or key usage: the result is a leaf (RFC 5280 §4.2.1.9)", async () => {
    const csr = await makeCsr(P256, [new x509.BasicConstraintsExtension(true, 3, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)]);
    const body = (await (await call("/v1/certificates/sign", { token: tokens.admin, body: { csr: csr.pem, hostnames: ["cp.example.com"] } })).json()) as IssuedJson;
    const leaf = new x509.X509Certificate(body.certificate);
    expect(leaf.getExtension(x509.BasicConstraintsExtension)!.ca).toBe(false);
    expect(leaf.getExtension(x509.KeyUsagesExtension)!.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(leaf.subject).toBe("CN=cp.example.com");
  });

  it("accepts RSA 2048, P-384 and Ed25519 keys", async () => {
    for (const alg of [{ name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, { name: "ECDSA", namedCurve: "P-384" }, { name: "Ed25519" }]) {
      const csr = await makeCsr(alg);
      const res = await call("/v1/certificates/sign", { token: tokens.admin, body: { csr: csr.pem, hostnames: ["cp.example.com"] } });
      expect(res.status, alg.name).toBe(201);
    }
  });

  it("rejects an RSA 1024 key with unsupported_key", async () => {
    const csr = await makeCsr({ name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" });
    await expectProblem(await call("/v1/certificates/sign", { token: tokens.admin, body: { csr: csr.pem, hostnames: ["cp.example.com"] } }), 400, "unsupported_key");
  });

  it("rejects a CSR whose signature does not verify (no proof of possession, RFC 2986 §3)", async () => {
    const csr = await makeCsr(P256);
    const tampered = csr.der.slice();
    tampered[tampered.length - 5] = tampered[tampered.length - 5]! ^ 0x01;
    await expectProblem(await call("/v1/certificates/sign", { token: tokens.admin, body: { csr: encodePem("CERTIFICATE REQUEST", tampered), hostnames: ["cp.example.com"] } }), 400, "csr_signature_invalid");
  });

  it.each([
    ["not PEM at all", "hello"],
    ["a certificate instead of a CSR", "CERT"],
    ["truncated DER", "TRUNCATED"],
  ])("rejects %s with invalid_csr", async (_what, csrText) => {
    let csr = csrText;
    if (csrText === "CERT") csr = (await import("cloudflare:workers")).env.TEST_ROOT_PEM;
    if (csrText === "TRUNCATED") {
      const good = decodePem((await makeCsr(P256)).pem);
      if (!good.ok) throw new Error();
      csr = encodePem("CERTIFICATE REQUEST", good.value[0]!.der.subarray(0, 40));
    }
    const p = await expectProblem(await call("/v1/certificates/sign", { token: tokens.admin, body: { csr, hostnames: ["cp.example.com"] } }), 400, "invalid_csr");
    expect(p.errors?.[0]?.pointer).toBe("/csr");
  });

  it("rejects a CSR without names when the request gives none", async () => {
    const csr = await makeCsr(P256);
    await expectProblem(await call("/v1/certificates/sign", { token: tokens.admin, body: { csr: csr.pem } }), 400, "no_names");
  });

  it("requires the sign scope", async () => {
    const csr = await makeCsr(P256);
    await expectProblem(await call("/v1/certificates/sign", { token: tokens.reader, body: { csr: csr.pem, hostnames: ["cp.example.com"] } }), 403, "insufficient_scope");
  });
});
