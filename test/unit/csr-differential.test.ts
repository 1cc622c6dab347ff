/**
 * The hand-written PKCS#10 reader (src/pki/csr.ts, RFC 2986) against the
 * @peculiar/x509 implementation it replaced (test/helpers/peculiar-reference.ts),
 * on CSRs made at test time by the OpenSSL CLI for every key type and digest
 * OpenSSL offers, plus tampered copies: both must give the same result (key,
 * algorithm, requested names, or the same problem). The one intended
 * difference is strictness: bytes that are not DER (trailing data, indefinite
 * or non-minimal lengths), which @peculiar/x509's BER reader accepted, are
 * now refused as malformed, as Go's ParseCertificateRequest refuses them.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/pki/bytes.ts";
import { parseCsr } from "../../src/pki/csr.ts";
import { DER, DerWriter, contextConstructed, contextPrimitive, ecdsaSignatureToDer, encodeOid } from "../../src/pki/der-writer.ts";
import { identifyPublicKey } from "../../src/pki/keys.ts";
import { children, raw, readRoot, TAG } from "../../src/pki/path-validation/der.ts";
import { decodePem, encodePem } from "../../src/pki/pem.ts";
import { identifyPublicKeyPeculiar, parseCsrPeculiar } from "../helpers/peculiar-reference.ts";

const dir = mkdtempSync(join(tmpdir(), "edgeca-csr-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });

/** Key name → `openssl genpkey` arguments. */
const KEYS: Record<string, string[]> = {
  "rsa-1024": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
  "rsa-2048": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
  "rsa-3072": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
  "rsa-pss-2048": ["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
  "ec-p256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
  "ec-p384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
  "ec-p521": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
  "ec-secp256k1": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1"],
  ed25519: ["-algorithm", "ED25519"],
  ed448: ["-algorithm", "ED448"],
};

const SAN = "subjectAltName=DNS:cp.zone-a.mesh.example.com,DNS:*.mesh.example.com,IP:10.7.7.7,IP:fd00::1,IP:2001:db8:0:0:1:0:0:1,email:ops@example.com,URI:spiffe://mesh/cp";

interface CsrCase {
  name: string;
  der: Uint8Array;
}

function opensslCsr(key: string, name: string, args: string[]): CsrCase {
  const out = `${name}.der`;
  ssl("req", "-new", "-key", `${key}.key`, "-subj", "/CN=cp.zone-a.mesh.example.com/O=Not Vetted", ...args, "-outform", "DER", "-out", out);
  return { name, der: new Uint8Array(readFileSync(join(dir, out))) };
}

const corpus: CsrCase[] = [];

beforeAll(() => {
  for (const [key, args] of Object.entries(KEYS)) ssl("genpkey", ...args, "-out", `${key}.key`);
  for (const key of Object.keys(KEYS)) {
    corpus.push(opensslCsr(key, `${key} with SAN`, ["-addext", SAN]));
    corpus.push(opensslCsr(key, `${key} without SAN`, []));
  }
  for (const digest of ["sha1", "sha256", "sha384", "sha512"]) {
    corpus.push(opensslCsr("rsa-2048", `rsa-2048 ${digest}`, [`-${digest}`, "-addext", "subjectAltName=DNS:a.example.com"]));
    corpus.push(opensslCsr("ec-p256", `ec-p256 ${digest}`, [`-${digest}`, "-addext", "subjectAltName=DNS:a.example.com"]));
    corpus.push(opensslCsr("ec-p384", `ec-p384 ${digest}`, [`-${digest}`]));
  }
  for (const salt of ["32", "20", "digest"]) {
    corpus.push(opensslCsr("rsa-2048", `rsa-2048 RSA-PSS sha256 salt ${salt}`, ["-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", `rsa_pss_saltlen:${salt}`]));
  }
  corpus.push(opensslCsr("rsa-2048", "rsa-2048 RSA-PSS sha512", ["-sha512", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:64"]));
  corpus.push(opensslCsr("rsa-2048", "rsa-2048 RSA-PSS sha1 (default parameters)", ["-sha1", "-sigopt", "rsa_padding_mode:pss"]));

  // Damage that stays DER: both implementations must refuse it the same way.
  const base = corpus.find((c) => c.name === "ec-p256 with SAN")!.der;
  const ed = corpus.find((c) => c.name === "ed25519 with SAN")!.der;
  const rsa = corpus.find((c) => c.name === "rsa-2048 with SAN")!.der;
  for (const [label, der] of [["ec-p256", base], ["ed25519", ed], ["rsa-2048", rsa]] as const) {
    const sig = der.slice();
    sig[sig.length - 3] = sig[sig.length - 3]! ^ 0x01;
    corpus.push({ name: `${label} with a tampered signature`, der: sig });
    const info = der.slice();
    const at = toHex(info).indexOf(toHex(new TextEncoder().encode("Not Vetted"))) / 2;
    info[at] = info[at]! ^ 0x20;
    corpus.push({ name: `${label} with a tampered subject`, der: info });
    corpus.push({ name: `${label} truncated`, der: der.slice(0, der.length - 10) });
  }
});

const pemOf = (der: Uint8Array) => encodePem("CERTIFICATE REQUEST", der);

function comparable(r: Awaited<ReturnType<typeof parseCsr>>) {
  return r.ok ? { ok: true, publicKey: toHex(r.value.publicKey), publicKeyAlgorithm: r.value.publicKeyAlgorithm, requestedNames: r.value.requestedNames, commonNames: r.value.commonNames } : { ok: false, error: r.error };
}

describe("PKCS#10 CSRs from OpenSSL: the DER reader agrees with @peculiar/x509 + verify (RFC 2986)", () => {
  it("has a corpus covering acceptance and each refusal", async () => {
    const outcomes = new Set<string>();
    for (const c of corpus) {
      const r = await parseCsr(pemOf(c.der));
      outcomes.add(r.ok ? "ok" : r.error.reason);
    }
    // The comparison below is only meaningful if the corpus reaches every outcome.
    expect([...outcomes].sort()).toEqual(["bad_signature", "malformed", "ok", "unsupported_key"]);
  });

  it("gives the same result as the reference for every CSR in the corpus", async () => {
    expect(corpus.length).toBeGreaterThan(40);
    for (const c of corpus) {
      const pem = pemOf(c.der);
      expect(comparable(await parseCsr(pem)), c.name).toEqual(comparable(await parseCsrPeculiar(pem)));
    }
  });

  it.each([
    ["ec-p256 with SAN", ["cp.zone-a.mesh.example.com", "*.mesh.example.com", "10.7.7.7", "fd00::1", "2001:db8::1:0:0:1"]],
    ["ed25519 with SAN", ["cp.zone-a.mesh.example.com", "*.mesh.example.com", "10.7.7.7", "fd00::1", "2001:db8::1:0:0:1"]],
    ["rsa-2048 sha1", ["a.example.com"]],
    ["rsa-2048 RSA-PSS sha256 salt 32", []],
  ])("accepts %s with its DNS and IP names only, in order (RFC 5280 §4.2.1.6)", async (name, names) => {
    const r = await parseCsr(pemOf(corpus.find((c) => c.name === name)!.der));
    expect(r.ok && r.value.requestedNames).toEqual(names);
  });

  it.each([
    ["rsa-1024 with SAN", "unsupported_key"],
    ["ec-p521 with SAN", "unsupported_key"],
    ["ec-secp256k1 with SAN", "unsupported_key"],
    ["ed448 with SAN", "unsupported_key"],
    ["rsa-pss-2048 with SAN", "unsupported_key"],
    ["rsa-2048 RSA-PSS sha1 (default parameters)", "ok"],
    ["ec-p256 with a tampered signature", "bad_signature"],
    ["rsa-2048 with a tampered subject", "bad_signature"],
    ["ed25519 truncated", "malformed"],
  ])("classifies %s as %s", async (name, outcome) => {
    const r = await parseCsr(pemOf(corpus.find((c) => c.name === name)!.der));
    expect(r.ok ? "ok" : r.error.reason).toBe(outcome);
  });

  it("identifies every corpus key the way the reference did, from the CSR's SubjectPublicKeyInfo (RFC 5280 §4.1.2.7)", async () => {
    for (const c of corpus.filter((c) => c.name.endsWith("without SAN"))) {
      const info = children(c.der, readRoot(c.der, TAG.SEQUENCE))[0]!;
      const spki = raw(c.der, children(c.der, info)[2]!);
      const mine = await identifyPublicKey(spki);
      const ref = await identifyPublicKeyPeculiar(spki);
      // An id-RSASSA-PSS key was "malformed_key" to @peculiar/x509 (it reads no modulus for it); it is now "unsupported_key".
      if (c.name.startsWith("rsa-pss")) expect([mine, ref], c.name).toEqual([{ ok: false, error: "unsupported_key" }, { ok: false, error: "malformed_key" }]);
      else expect(mine, c.name).toEqual(ref);
    }
  });
});

describe("bytes that are not DER (X.690 §10), which @peculiar/x509 accepted", () => {
  const variants: [string, (der: Uint8Array) => Uint8Array][] = [
    ["a trailing zero octet", (d) => new Uint8Array([...d, 0])],
    ["a trailing empty SEQUENCE", (d) => new Uint8Array([...d, 0x30, 0x00])],
    ["a non-minimal outer length", (d) => new Uint8Array([0x30, 0x83, 0x00, d[2]!, d[3]!, ...d.subarray(4)])],
    ["an indefinite outer length", (d) => new Uint8Array([0x30, 0x80, ...d.subarray(4), 0x00, 0x00])],
  ];
  it.each(variants)("rejects a valid CSR followed by or framed with %s as malformed; the reference accepted it", async (_what, mutate) => {
    const base = corpus.find((c) => c.name === "ec-p256 with SAN")!.der;
    expect(base[1]).toBe(0x82);
    const pem = pemOf(mutate(base));
    expect(await parseCsr(pem)).toEqual({ ok: false, error: { reason: "malformed", detail: "the block is not a DER PKCS#10 CertificationRequest" } });
    expect((await parseCsrPeculiar(pem)).ok).toBe(true);
  });
});

describe("hand-built CSRs for the structure OpenSSL never writes", () => {
  let keys: CryptoKeyPair;
  let spki: Uint8Array;
  beforeAll(async () => {
    keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    spki = new Uint8Array((await crypto.subtle.exportKey("spki", keys.publicKey)) as ArrayBuffer);
  });

  function san(w: DerWriter, names: (w: DerWriter) => void): void {
    const ext = w.start(DER.SEQUENCE);
    w.raw(encodeOid("2.5.29.17"));
    const octets = w.start(DER.OCTET_STRING);
    const seq = w.start(DER.SEQUENCE);
    names(w);
    w.end(seq).end(octets).end(ext);
  }

  /** A CertificationRequest signed with ECDSA P-256 / SHA-256; the options bend one field each. */
  async function build(o: { version?: number; attributes?: "absent" | "empty"; extensions?: (w: DerWriter) => void }): Promise<string> {
    const w = new DerWriter();
    const info = w.start(DER.SEQUENCE);
    w.smallInteger(o.version ?? 0);
    const subject = w.start(DER.SEQUENCE);
    w.end(subject);
    w.raw(spki);
    if (o.attributes !== "absent") {
      const attrs = w.start(contextConstructed(0));
      if (o.extensions) {
        const attr = w.start(DER.SEQUENCE);
        w.raw(encodeOid("1.2.840.113549.1.9.14"));
        const values = w.start(DER.SET);
        const exts = w.start(DER.SEQUENCE);
        o.extensions(w);
        w.end(exts).end(values).end(attr);
      }
      w.end(attrs);
    }
    w.end(info);
    const tbs = w.finish().slice();
    const sig = ecdsaSignatureToDer(new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keys.privateKey, tbs)));
    const out = new DerWriter();
    const csr = out.start(DER.SEQUENCE);
    out.raw(tbs);
    const alg = out.start(DER.SEQUENCE);
    out.raw(encodeOid("1.2.840.10045.4.3.2")).end(alg);
    out.bitString(sig).end(csr);
    return pemOf(out.finish());
  }

  const dns = (name: string) => (w: DerWriter) => w.ascii(contextPrimitive(2), name);

  it("accepts an empty subject and empty attributes, like the reference", async () => {
    const pem = await build({ attributes: "empty" });
    expect(comparable(await parseCsr(pem))).toEqual(comparable(await parseCsrPeculiar(pem)));
    expect((await parseCsr(pem)).ok).toBe(true);
  });

  it("takes the names of one requested subjectAltName, like the reference", async () => {
    const pem = await build({ extensions: (w) => san(w, (w) => { dns("a.example.com")(w); w.tlv(contextPrimitive(7), new Uint8Array([192, 0, 2, 1])); }) });
    const r = await parseCsr(pem);
    expect(r.ok && r.value.requestedNames).toEqual(["a.example.com", "192.0.2.1"]);
    expect(comparable(r)).toEqual(comparable(await parseCsrPeculiar(pem)));
  });

  it("accepts a CSR without the attributes field (RFC 2986 §4.1 requires it), as the reference did", async () => {
    const pem = await build({ attributes: "absent" });
    const r = await parseCsr(pem);
    expect(r.ok && r.value.requestedNames).toEqual([]);
    expect(comparable(r)).toEqual(comparable(await parseCsrPeculiar(pem)));
  });

  it("rejects a CSR whose version is not v1(0) (RFC 2986 §4.1), which the reference accepted", async () => {
    const pem = await build({ version: 1 });
    const r = await parseCsr(pem);
    expect(r.ok ? "ok" : r.error).toEqual({ reason: "malformed", detail: "the block is not a DER PKCS#10 CertificationRequest" });
    expect((await parseCsrPeculiar(pem)).ok).toBe(true);
  });

  it.each([
    ["requested twice (RFC 5280 §4.2: one instance per extension)", (w: DerWriter) => { san(w, dns("a.example.com")); san(w, dns("b.example.com")); }],
    ["an iPAddress of five octets (RFC 5280 §4.2.1.6)", (w: DerWriter) => san(w, (w) => w.tlv(contextPrimitive(7), new Uint8Array([1, 2, 3, 4, 5])))],
    ["a dNSName that is not IA5String (RFC 5280 §4.2.1.6)", (w: DerWriter) => san(w, (w) => w.tlv(contextPrimitive(2), new TextEncoder().encode("bücher.example")))],
    ["an empty GeneralNames (RFC 5280 §4.2.1.6: SIZE (1..MAX))", (w: DerWriter) => san(w, () => {})],
  ])("rejects a subjectAltName %s as malformed, which the reference passed on to the name policy", async (_what, extensions) => {
    const pem = await build({ extensions });
    const r = await parseCsr(pem);
    expect(r.ok ? "ok" : r.error).toEqual({ reason: "malformed", detail: "the requested subjectAltName extension is malformed" });
    expect((await parseCsrPeculiar(pem)).ok).toBe(true);
  });
});

describe("PEM framing is unchanged", () => {
  it("rejects a certificate, a second block and garbage exactly as the reference does", async () => {
    const cert = ssl("req", "-x509", "-key", "ec-p256.key", "-subj", "/CN=x", "-days", "1").toString();
    const csr = pemOf(corpus[0]!.der);
    for (const pem of [cert, csr + csr, "garbage", "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n"]) {
      expect(comparable(await parseCsr(pem))).toEqual(comparable(await parseCsrPeculiar(pem)));
      expect((await parseCsr(pem)).ok).toBe(false);
    }
    expect(decodePem(csr).ok).toBe(true);
  });
});
