/**
 * A bench-only Worker that runs the issuance core (no HTTP routing, auth, D1
 * or JSON schema) `n` times per request inside workerd, so bench/run.ts can
 * divide the workerd process's CPU time by the operation count:
 *   GET /?op=fast|general|crypto&alg=ecdsa-p256&n=200
 * `fast` is what the service runs (keygen, SPKI, DER leaf, self-check, PEM,
 * fingerprint, PKCS#8, JSON); `general` is the same with the @peculiar/x509
 * leaf path; `crypto` is only the WebCrypto calls (keygen, exports, one
 * signature, one verification, one digest): the floor; `verify` runs
 * validatePath on a leaf + intermediate + root chain (the validator alone,
 * without HTTP, auth or JSON).
 */
import { sha256Hex } from "../src/pki/bytes.ts";
import { loadCertificateAuthority, type CertificateAuthority } from "../src/pki/certificate-authority.ts";
import { exportPrivateKeyPem, exportSpki, generateKeyPair, type KeyAlgorithm } from "../src/pki/keys.ts";
import { checkLeafCertificate, checkLeafCertificateGeneral, signLeafCertificate, signLeafCertificateGeneral, type LeafTemplate } from "../src/pki/leaf-profile.ts";
import { encodePem } from "../src/pki/pem.ts";
import { randomSerialNumber } from "../src/pki/validity.ts";
import { decodePem } from "../src/pki/pem.ts";
import { validatePath } from "../src/pki/path-validation.ts";
import { benchTemplate } from "./template.ts";

interface Env {
  CA_CERT: string;
  CA_KEY: string;
}

let ca: Promise<CertificateAuthority> | undefined;
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
  const keys = await generateKeyPair(alg);
  const spki = await exportSpki(keys.publicKey);
  if (op === "crypto") {
    const data = spki.subarray(0, 200);
    const sig = await crypto.subtle.sign(authority.signatureAlgorithm, authority.signingKey, data);
    await sha256Hex(spki);
    const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
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
