/**
 * A bench-only Worker that runs the issuance core (no HTTP routing, auth, D1
 * or JSON schema) `n` times per request inside workerd, so bench/run.ts can
 * divide the workerd process's CPU time by the operation count:
 *   GET /?op=fast|general|crypto|crypto-all|verify&alg=ecdsa-p256&n=200
 * `fast` is what the service runs (leaf key with one PKCS#8 export, DER leaf,
 * signature, self-check with signature verification, PEM, fingerprint,
 * JSON); `general` is the same with the @peculiar/x509 leaf path; `crypto`
 * is the floor (key generation, exports, one signature);
 * `crypto-all` every WebCrypto call `fast` makes; `verify` runs validatePath
 * on a leaf + intermediate + root chain (the validator alone, without HTTP,
 * auth or JSON; its isolate caches are warm after the first call).
 */
import { sha256Hex } from "../src/pki/bytes.ts";
import { loadCertificateAuthority, type CertificateAuthority } from "../src/pki/certificate-authority.ts";
import { exportPrivateKeyPem, exportSpki, generateKeyPair, type KeyAlgorithm } from "../src/pki/keys.ts";
import { checkLeafCertificate, signLeafCertificate, type LeafTemplate } from "../src/pki/leaf-profile.ts";
import { checkLeafCertificateGeneral, signLeafCertificateGeneral } from "../src/pki/leaf-reference.ts";
import { encodePem } from "../src/pki/pem.ts";
import { randomSerialNumber } from "../src/pki/validity.ts";
import { generateLeafKey } from "../src/pki/leaf-key.ts";
import { decodePem } from "../src/pki/pem.ts";
import { validatePath } from "../src/pki/path-validation.ts";
import { benchTemplate } from "./template.ts";

interface Env {
  CA_CERT: string;
  CA_KEY: string;
}

let ca: Promise<CertificateAuthority> | undefined;
let caVerifyKey: Promise<CryptoKey> | undefined;

function verifyKey(authority: CertificateAuthority): Promise<CryptoKey> {
  caVerifyKey ??= crypto.subtle.importKey("spki", authority.parsed.spki.slice(), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  return caVerifyKey;
}
let chain: Promise<{ leaf: Uint8Array; intermediates: Uint8Array[]; roots: Uint8Array[] }> | undefined;

/** A leaf issued by the bench CA, with CA_CERT's intermediate and root, for op=verify. */
async function verifyChain(authority: CertificateAuthority, env: Env, now: number) {
  const keys = await generateKeyPair("ecdsa-p256");
  const leaf = await signLeafCertificate(authority, {
    serialNumber: randomSerialNumber(),
    names: [{ kind: "dns", value: "cp.example.com" }],
    commonName: undefined,
    usages: ["server"],
    publicKey: await exportSpki(keys.publicKey),
    publicKeyAlgorithm: "ecdsa-p256",
    notBefore: new Date(now - 300_000),
    notAfter: new Date(now + 86_400_000),
    crlDistributionPoint: undefined,
  });
  const blocks = decodePem(env.CA_CERT);
  if (!blocks.ok) throw new Error("CA_CERT");
  const [intermediate, root] = blocks.value.map((b) => b.der);
  return { leaf, intermediates: [intermediate!], roots: [root!] };
}

async function once(authority: CertificateAuthority, op: string, alg: KeyAlgorithm, now: number): Promise<number> {
  if (op === "fast") {
    // What POST /v1/certificates runs (src/authority/issue-certificate.ts + mint-leaf.ts), minus HTTP, policy and D1.
    const key = await generateLeafKey(alg);
    const template: LeafTemplate = benchTemplate(key.spki, alg, now);
    const der = await signLeafCertificate(authority, template);
    const problems = await checkLeafCertificate(der, authority, template);
    if (problems.length > 0) throw new Error(problems.join("; "));
    const certificate = encodePem("CERTIFICATE", der);
    return JSON.stringify({
      certificate,
      chain: certificate + authority.chainPem,
      private_key: encodePem("PRIVATE KEY", key.pkcs8),
      ca: authority.trust.pem,
      sha256_fingerprint: await sha256Hex(der),
    }).length;
  }
  const keys = await generateKeyPair(alg);
  const spki = await exportSpki(keys.publicKey);
  if (op === "crypto" || op === "crypto-all") {
    // "crypto": the floor (key generation, export, one signature). "crypto-all": every WebCrypto call the
    // fast path makes (PKCS#8 export only, the signature, its self-check verification, SHA-1 SKI, SHA-256 fingerprint).
    const data = new Uint8Array(400);
    const sig = await crypto.subtle.sign(authority.signatureAlgorithm, authority.signingKey, data);
    const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
    if (op === "crypto-all") {
      await crypto.subtle.verify(authority.signatureAlgorithm, await verifyKey(authority), sig, data);
      await crypto.subtle.digest("SHA-1", spki);
      await crypto.subtle.digest("SHA-256", data);
    }
    return sig.byteLength + (pkcs8 as ArrayBuffer).byteLength;
  }
  const template: LeafTemplate = benchTemplate(spki, alg, now);
  const general = op === "general";
  const der = general ? await signLeafCertificateGeneral(authority, template) : await signLeafCertificate(authority, template);
  const problems = general ? await checkLeafCertificateGeneral(der, authority, template) : await checkLeafCertificate(der, authority, template);
  if (problems.length > 0) throw new Error(problems.join("; "));
  const body = JSON.stringify({
    certificate: encodePem("CERTIFICATE", der),
    private_key: await exportPrivateKeyPem(keys.privateKey),
    sha256_fingerprint: await sha256Hex(der),
  });
  return body.length;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const n = Math.min(Number(url.searchParams.get("n") ?? "1"), 5000);
    const op = url.searchParams.get("op") ?? "fast";
    const alg = (url.searchParams.get("alg") ?? "ecdsa-p256") as KeyAlgorithm;
    ca ??= loadCertificateAuthority({ certPem: env.CA_CERT, keyPem: env.CA_KEY }, new Date()).then((r) => {
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      return r.value;
    });
    const authority = await ca;
    const now = Date.now();
    let bytes = 0;
    if (op === "verify") {
      chain ??= verifyChain(authority, env, now);
      const c = await chain;
      for (let i = 0; i < n; i++) {
        const report = await validatePath({ ...c, at: new Date(now), hostname: "cp.example.com" });
        if (!report.valid) throw new Error(JSON.stringify(report.errors));
        bytes += report.chain.length;
      }
      return new Response(String(bytes));
    }
    for (let i = 0; i < n; i++) bytes += await once(authority, op, alg, now);
    return new Response(String(bytes));
  },
};
