/**
 * The @peculiar/x509 implementations the worker used before it read and
 * wrote DER itself (src/pki/csr.ts, keys.ts identifyPublicKey), kept
 * verbatim as the oracle of the differential tests in test/unit. Only tests
 * import this; the worker bundle must not.
 */
import type { PublicKeyAlgorithm } from "../../src/pki/keys.ts";
import type { CsrProblem, ParsedCsr } from "../../src/pki/csr.ts";
import { decodePem, describePemProblem } from "../../src/pki/pem.ts";
import { err, ok, type Result } from "../../src/pki/result.ts";
import { x509 } from "../../src/pki/x509.ts";

export async function identifyPublicKeyPeculiar(spki: Uint8Array): Promise<Result<PublicKeyAlgorithm, "unsupported_key" | "malformed_key">> {
  let algorithm: Record<string, unknown>;
  try {
    algorithm = new x509.PublicKey(spki).algorithm as unknown as Record<string, unknown>;
  } catch {
    return err("malformed_key");
  }
  switch (algorithm["name"]) {
    case "ECDSA":
    case "ECDH":
      switch (algorithm["namedCurve"]) {
        case "P-256":
          return ok("ecdsa-p256");
        case "P-384":
          return ok("ecdsa-p384");
        case "P-521":
          return ok("ecdsa-p521");
        default:
          return err("unsupported_key");
      }
    case "Ed25519":
      return ok("ed25519");
    case "RSASSA-PKCS1-v1_5":
    case "RSA-PSS":
    case "RSA-OAEP": {
      const bits = algorithm["modulusLength"];
      return typeof bits === "number" ? ok(`rsa-${bits}` as PublicKeyAlgorithm) : err("malformed_key");
    }
    default:
      return err("unsupported_key");
  }
}

const ACCEPTED = new Set<PublicKeyAlgorithm>(["ecdsa-p256", "ecdsa-p384", "ed25519"]);

export async function parseCsrPeculiar(pem: string): Promise<Result<ParsedCsr, CsrProblem>> {
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
  const alg = await identifyPublicKeyPeculiar(publicKey);
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
  const commonNames = csr.subjectName.getField("CN");
  return ok({ publicKey, publicKeyAlgorithm: alg.value, requestedNames, commonNames });
}
