/**
 * The worker as configured by the test harness (the throwaway CA, not a
 * developer's .dev.vars), issuing CAs of other algorithms (the leaf is signed
 * with the CA's algorithm), and name forms as OpenSSL sees them: long names
 * (empty subject, critical SAN), internationalized names (A-labels), case and
 * trailing dots.
 */
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issue, makeTempDir, opensslOk, opensslVerify, splitPem, textExtension, writeBundle } from "../helpers/interop.ts";
import { type RunningWorker, startRunningWorker, TEST_ISSUING_CA_CN } from "../helpers/running-worker.ts";
import { createTestAuthority } from "../helpers/test-authority.ts";

let p256: RunningWorker;
let p384: RunningWorker;
let rsa: RunningWorker;
const temp = makeTempDir();

beforeAll(async () => {
  const [a384, aRsa] = await Promise.all([createTestAuthority("ecdsa-p384"), createTestAuthority("rsa-2048")]);
  [p256, p384, rsa] = await Promise.all([startRunningWorker(), startRunningWorker({ authority: a384 }), startRunningWorker({ authority: aRsa })]);
});

afterAll(async () => {
  await Promise.all([p256?.stop(), p384?.stop(), rsa?.stop()]);
  temp.cleanup();
});

describe("the worker under test", () => {
  it("accepts /healthz reporting the throwaway issuing CA (not a .dev.vars CA)", async () => {
    const res = await fetch(`${p256.url}/healthz`);
    const body = (await res.json()) as { status: string; ca: { subject: string; sha256_fingerprint: string }; trust_anchors: number };
    expect(res.status).toBe(200);
    expect(body.ca.subject).toContain(TEST_ISSUING_CA_CN);
    expect(body.ca.subject).not.toContain("development");
    const intermediate = new X509Certificate(p256.authority.intermediatePem);
    expect(body.ca.sha256_fingerprint.replace(/:/g, "").toLowerCase()).toBe(intermediate.fingerprint256.replace(/:/g, "").toLowerCase());
    expect(body.trust_anchors).toBe(1);
  });

  it("accepts GET /v1/ca as exactly the test root, which OpenSSL accepts as a trust anchor for an issued chain", async () => {
    const res = await fetch(`${p256.url}/v1/ca`);
    expect(res.status).toBe(200);
    const pem = await res.text();
    expect(splitPem(pem).map((b) => b.trim())).toEqual([p256.authority.rootPem.trim()]);
    const issued = await issue(p256, { hostnames: ["cp.fetched-ca.mesh.example.com"] });
    const f = writeBundle(temp.dir, "fetched-ca", { chain: issued.chain, ca: pem });
    expect(opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, hostname: "cp.fetched-ca.mesh.example.com" }).ok).toBe(true);
  });
});

describe.each([
  ["ECDSA P-384", () => p384, "ecdsa-with-SHA384"],
  ["RSA 2048", () => rsa, "sha256WithRSAEncryption"],
] as const)("an issuing CA with a %s key", (_label, w, signatureAlgorithm) => {
  it.each(["ecdsa-p256", "rsa-2048", "ed25519"] as const)(`accepts a %s leaf signed with ${signatureAlgorithm} that OpenSSL verifies`, async (key) => {
    const name = `cp-${key}.ca-alg.mesh.example.com`;
    const issued = await issue(w(), { hostnames: [name], key });
    const f = writeBundle(temp.dir, `ca-alg-${key}`, issued);
    const text = opensslOk(["x509", "-in", f.leaf, "-noout", "-text"]);
    expect(text).toContain(`Signature Algorithm: ${signatureAlgorithm}`);
    expect(opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, hostname: name }).ok).toBe(true);
    expect(opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, hostname: "cp.other.mesh.example.com" }).ok).toBe(false);
    expect(new X509Certificate(issued.certificate).verify(new X509Certificate(w().authority.intermediatePem).publicKey)).toBe(true);
  });
});

describe("name forms as OpenSSL sees them", () => {
  it("accepts a DNS name longer than 64 characters with an empty subject and a critical SAN (RFC 5280 §4.1.2.6, §4.2.1.6)", async () => {
    const long = `${"a".repeat(60)}.${"b".repeat(20)}.mesh.example.com`;
    expect(long.length).toBeGreaterThan(64);
    const issued = await issue(p256, { hostnames: [long] });
    const f = writeBundle(temp.dir, "long-name", issued);
    const text = opensslOk(["x509", "-in", f.leaf, "-noout", "-text"]);
    expect(textExtension(text, "Subject Alternative Name")).toEqual({ critical: true, value: `DNS:${long}` });
    expect(opensslOk(["x509", "-in", f.leaf, "-noout", "-subject", "-nameopt", "RFC2253"]).trim()).toBe("subject=");
    expect(opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, hostname: long }).ok).toBe(true);
  });

  it("accepts an internationalized name as its A-label (RFC 5890), which OpenSSL matches", async () => {
    const issued = await issue(p256, { hostnames: ["bücher.mesh.example.com"] });
    expect(issued.hostnames).toEqual(["xn--bcher-kva.mesh.example.com"]);
    const f = writeBundle(temp.dir, "idn", issued);
    expect(opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, hostname: "xn--bcher-kva.mesh.example.com" }).ok).toBe(true);
    expect(new X509Certificate(issued.certificate).subjectAltName).toBe("DNS:xn--bcher-kva.mesh.example.com");
  });

  it("accepts upper case and a trailing dot, normalized so OpenSSL matches the plain lower-case name", async () => {
    const issued = await issue(p256, { hostnames: ["CP.Upper.Mesh.Example.COM."] });
    expect(issued.hostnames).toEqual(["cp.upper.mesh.example.com"]);
    const f = writeBundle(temp.dir, "case", issued);
    expect(new X509Certificate(issued.certificate).subjectAltName).toBe("DNS:cp.upper.mesh.example.com");
    expect(opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, hostname: "cp.upper.mesh.example.com" }).ok).toBe(true);
  });

  it("accepts a non-canonical IPv6 literal as the canonical IP SAN that -verify_ip and checkIP match", async () => {
    const issued = await issue(p256, { hostnames: ["cp.v6.mesh.example.com", "FD00:0000:0000:0000:0000:0000:0000:0042"] });
    expect(issued.hostnames).toEqual(["cp.v6.mesh.example.com", "fd00::42"]);
    const f = writeBundle(temp.dir, "v6", issued);
    expect(opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, ip: "fd00::42" }).ok).toBe(true);
    expect(opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, ip: "fd00::43" }).ok).toBe(false);
    expect(new X509Certificate(issued.certificate).checkIP("fd00::42")).toBe("fd00::42");
  });
});
