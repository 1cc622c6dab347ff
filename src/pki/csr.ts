/**
 * PKCS#10 certificate signing requests (RFC 2986): parsing, proof of
 * possession (the CSR's self-signature), key policy, and the requested
 * names. Nothing else a CSR asks for is ever copied into a certificate.
 */
import { identifyPublicKey, type PublicKeyAlgorithm } from "./keys.ts";
import { decodePem, describePemProblem } from "./pem.ts";
import { err, ok, type Result } from "./result.ts";
import { x509 } from "./x509.ts";

export interface ParsedCsr {
  publicKey: Uint8Array;
  publicKeyAlgorithm: PublicKeyAlgorithm;
  /** dNSName and iPAddress entries of the requested subjectAltName, as text. */
  requestedNames: string[];
}

export type CsrProblem =
  | { reason: "malformed"; detail: string }
  | { reason: "bad_signature" }
  | { reason: "unsupported_key"; detail: string };

export function describeCsrProblem(p: CsrProblem): string {
  switch (p.reason) {
    case "malformed":
      return `the CSR cannot be parsed: ${p.detail}`;
    case "bad_signature":
      return "the CSR's signature does not verify with its own public key, so it does not prove possession of the private key (RFC 2986 §3)";
    case "unsupported_key":
      return `the CSR's key is not accepted: ${p.detail}; use RSA 2048 or larger, ECDSA P-256 or P-384, or Ed25519`;
  }
}

const ACCEPTED = new Set<PublicKeyAlgorithm>(["ecdsa-p256", "ecdsa-p384", "ed25519"]);

/** Parses and checks a PEM CSR: the signature verifies and the key is one we certify. */
export async function parseCsr(pem: string): Promise<Result<ParsedCsr, CsrProblem>> {
  const blocks = decodePem(pem, 1);
  if (!blocks.ok) return err({ reason: "malformed", detail: describePemProblem(blocks.error) });
  const block = blocks.value[0]!;
  if (block.label !== "CERTIFICATE REQUEST" && block.label !== "NEW CERTIFICATE REQUEST") {
    return err({ reason: "malformed", detail: `expected a CERTIFICATE REQUEST block, found ${block.label}` });
  }
  let csr: InstanceType<typeof x509.Pkcs10CertificateRequest>;
  try {
    csr = new x509.Pkcs10CertificateRequest(block.der);
  } catch {
    return err({ reason: "malformed", detail: "the block is not a DER PKCS#10 CertificationRequest" });
  }
  const publicKey = new Uint8Array(csr.publicKey.rawData);
  const alg = await identifyPublicKey(publicKey);
  if (!alg.ok) return err({ reason: "unsupported_key", detail: "unknown or malformed public key algorithm" });
  const bits = alg.value.startsWith("rsa-") ? Number(alg.value.slice(4)) : 0;
  if (!(ACCEPTED.has(alg.value) || (bits >= 2048 && bits <= 8192))) {
    return err({ reason: "unsupported_key", detail: `${alg.value} is not accepted` });
  }
  let valid = false;
  try {
    valid = await csr.verify();
  } catch {
    valid = false;
  }
  if (!valid) return err({ reason: "bad_signature" });

  let requestedNames: string[] = [];
  try {
    const ext = csr.getExtension("2.5.29.17");
    const san = ext ? new x509.SubjectAlternativeNameExtension(ext.rawData) : null;
    requestedNames = (san?.names.toJSON() ?? []).filter((n) => n.type === "dns" || n.type === "ip").map((n) => n.value);
  } catch {
    return err({ reason: "malformed", detail: "the requested subjectAltName extension is malformed" });
  }
  return ok({ publicKey, publicKeyAlgorithm: alg.value, requestedNames });
}
