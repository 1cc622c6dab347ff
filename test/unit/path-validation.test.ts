/**
 * Unit tests of the path validator's pure pieces (name constraints, DER
 * strictness, the options contract) and of report details on corpus
 * certificates (test/fixtures/verify-corpus, made by OpenSSL).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decodePem } from "../../src/pki/pem.ts";
import { PATH_ERROR_CODES, PATH_WARNING_CODES, parseCertificateDer, validatePath } from "../../src/pki/path-validation.ts";
import { dnsWithinSubtree, ipWithinSubtree } from "../../src/pki/path-validation/name-constraints.ts";
import { parseIpAddress } from "../../src/pki/names.ts";

const dir = fileURLToPath(new URL("../fixtures/verify-corpus/certs/", import.meta.url));
const cert = (name: string): Uint8Array => {
  const r = decodePem(readFileSync(`${dir}${name}.pem`, "utf8"));
  if (!r.ok) throw new Error(name);
  return r.value[0]!.der;
};
const AT = new Date("2025-06-01T00:00:00Z");

describe("name constraint subtrees (RFC 5280 §4.2.1.10)", () => {
  it.each([
    ["example.com", "example.com"],
    ["a.example.com", "example.com"],
    ["A.Example.COM", "example.com"],
    ["a.example.com", ".example.com"],
    ["anything.test", ""],
  ])("accepts %j inside %j", (name, constraint) => {
    expect(dnsWithinSubtree(name, constraint)).toBe(true);
  });
  it.each([
    ["badexample.com", "example.com"],
    ["example.com", ".example.com"],
    ["example.org", "example.com"],
  ])("rejects %j outside %j", (name, constraint) => {
    expect(dnsWithinSubtree(name, constraint)).toBe(false);
  });
  const v4 = { address: parseIpAddress("10.0.0.0")!, mask: parseIpAddress("255.0.0.0")! };
  it.each([
    ["10.255.1.1", true],
    ["11.0.0.1", false],
    ["::ffff:10.0.0.1", false],
  ])("checks %s against 10.0.0.0/8 (IPv4 and IPv6 never mix)", (addr, inside) => {
    expect(ipWithinSubtree(parseIpAddress(addr)!, v4)).toBe(inside);
  });
});

describe("parseCertificateDer (RFC 5280 §4.1)", () => {
  it("accepts an OpenSSL certificate and reads its fields", () => {
    const r = parseCertificateDer(cert("leafA"));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.subject).toBe("CN=cp.example.com");
    expect(r.value.issuer).toBe("CN=Intermediate A,O=EdgeCA Corpus");
    expect(r.value.extensions.subjectAltName?.dns).toContain("cp.example.com");
    expect(r.value.problems).toEqual([]);
  });
  it.each([
    ["empty input", new Uint8Array()],
    ["a lone SEQUENCE header", new Uint8Array([0x30, 0x82])],
    ["trailing bytes", new Uint8Array([...cert("leafA"), 0])],
    ["indefinite length (not DER, X.690 §10.1)", new Uint8Array([0x30, 0x80, 0, 0])],
    ["a PEM private key's bytes", new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])],
  ])("rejects %s", (_name, der) => {
    expect(parseCertificateDer(der).ok).toBe(false);
  });
  it("rejects a negative serial as a problem, not a parse failure (RFC 5280 §4.1.2.2)", () => {
    const r = parseCertificateDer(cert("leafNegSerial"));
    expect(r.ok && r.value.problems.map((p) => p.code)).toEqual(["invalid_certificate"]);
  });
});

describe("validatePath reports", () => {
  it("accepts leaf → intermediate → root and reports the chain with roles and fingerprints (RFC 5280 §6.1)", async () => {
    const r = await validatePath({ leaf: cert("leafA"), intermediates: [cert("intA")], roots: [cert("rootA")], at: AT, hostname: "cp.example.com" });
    expect(r.valid).toBe(true);
    expect(r.chain.map((c) => c.role)).toEqual(["leaf", "intermediate", "root"]);
    expect(r.chain[0]!.sha256_fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(r.chain[0]!.not_after).toBe("2026-01-01T00:00:00Z");
  });
  it("rejects an expired leaf with a message naming the date and the gap (RFC 5280 §6.1.3 (a)(2))", async () => {
    const r = await validatePath({ leaf: cert("leafA"), intermediates: [cert("intA")], roots: [cert("rootA")], at: new Date("2026-01-13T00:00:00Z") });
    expect(r.errors[0]).toMatchObject({ code: "expired", index: 0 });
    expect(r.errors[0]!.message).toContain("expired on 2026-01-01T00:00:00Z, 12 days before");
  });
  it("rejects a missing intermediate with the best partial path (RFC 5280 §6.1)", async () => {
    const r = await validatePath({ leaf: cert("leafA"), intermediates: [], roots: [cert("rootA")], at: AT });
    expect(r.errors.map((e) => e.code)).toEqual(["unknown_authority"]);
    expect(r.chain).toHaveLength(1);
  });
  it("rejects a tampered signature as bad_signature, not unknown_authority (RFC 5280 §6.1.3 (a)(1))", async () => {
    const r = await validatePath({ leaf: cert("leafTampered"), intermediates: [cert("intA")], roots: [cert("rootA")], at: AT });
    expect(r.errors).toMatchObject([{ code: "bad_signature", index: 0 }]);
    expect(r.chain).toHaveLength(3);
  });
  it("accepts the kumactl self-signed certificate as its own CA, explaining why (Go crypto/x509 behaviour)", async () => {
    const r = await validatePath({ leaf: cert("kumaSelf"), intermediates: [], roots: [cert("kumaSelf")], at: AT, hostname: "cp.example.com" });
    expect(r.valid).toBe(true);
    // kumactl's certificate has an empty subject and issuer and is a CA used as an end entity: RFC 5280 §4 profile findings, warnings under `go`.
    expect(r.warnings.map((w) => w.code).sort()).toEqual(["empty_issuer", "empty_subject", "end_entity_is_ca", "leaf_is_trust_anchor"]);
    expect(r.chain).toMatchObject([{ role: "leaf", trust_anchor: true, subject: "" }]);
  });
  it("rejects the kumactl certificate against another trust bundle as self_signed_leaf", async () => {
    const r = await validatePath({ leaf: cert("kumaSelf"), intermediates: [], roots: [cert("rootA")], at: AT });
    expect(r.errors.map((e) => e.code)).toEqual(["self_signed_leaf"]);
  });
  it("rejects a leaf that is not a certificate as invalid_certificate", async () => {
    const r = await validatePath({ leaf: new Uint8Array([1, 2, 3]), intermediates: [], roots: [cert("rootA")], at: AT });
    expect(r).toMatchObject({ valid: false, errors: [{ code: "invalid_certificate", index: 0 }], chain: [] });
  });
  it("accepts unparseable intermediates by ignoring them with a warning", async () => {
    const r = await validatePath({ leaf: cert("leafA"), intermediates: [new Uint8Array([0x30, 0]), cert("intA")], roots: [cert("rootA")], at: AT });
    expect(r.valid).toBe(true);
    expect(r.warnings.map((w) => w.code)).toEqual(["ignored_certificate"]);
  });
  it("rejects when the signature budget runs out (hostile input)", async () => {
    const r = await validatePath({ leaf: cert("leafA"), intermediates: [cert("impostorInt"), cert("intA")], roots: [cert("rootA")], at: AT, maxSignatureChecks: 1 });
    expect(r.valid).toBe(false);
    expect(r.errors.map((e) => e.code)).toContain("signature_check_limit");
  });
  it("rejects paths longer than maxDepth (path_too_long)", async () => {
    const r = await validatePath({ leaf: cert("leafA"), intermediates: [cert("intA")], roots: [cert("rootA")], at: AT, maxDepth: 2 });
    expect(r.errors.map((e) => e.code)).toEqual(["path_too_long"]);
  });
  it("exports stable, unique snake_case codes", () => {
    for (const list of [PATH_ERROR_CODES, PATH_WARNING_CODES]) {
      expect(new Set(list).size).toBe(list.length);
      for (const c of list) expect(c).toMatch(/^[a-z][a-z0-9_]*$/);
    }
  });
});
