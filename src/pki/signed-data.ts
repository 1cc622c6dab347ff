/**
 * Verifies a signature over signed data (a CSR's CertificationRequestInfo,
 * RFC 2986 §4.2; a CA certificate's TBSCertificate, RFC 5280 §4.1.1.3) with
 * WebCrypto, for the algorithms edgeca has always accepted there: RSA
 * PKCS#1 v1.5 and RSA-PSS with SHA-1/256/384/512 (RFC 4055), ECDSA with
 * SHA-1/256/384/512 on P-256/P-384/P-521 (RFC 5758, RFC 3279 §2.2.3), and
 * Ed25519 (RFC 8410).
 *
 * SHA-1 stays accepted here, unlike in the path validator (which refuses it
 * as Go does for chains): a CSR's self-signature only proves possession of
 * the key, as Go's CertificateRequest.CheckSignature also allows SHA-1, and
 * an operator's SHA-1 self-signed root was accepted before.
 */
import { DerError, TAG, children, expectTag, readOid, readRoot, readSmallInteger, type Tlv } from "./path-validation/der.ts";
import { importableSpki, readSpki, type Spki } from "./spki.ts";
import { ecdsaRaw } from "./path-validation/signature.ts";

type Hash = "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512";

const HASHES: Record<string, Hash> = {
  "1.3.14.3.2.26": "SHA-1",
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};

const PKCS1: Record<string, Hash> = {
  "1.2.840.113549.1.1.5": "SHA-1",
  "1.2.840.113549.1.1.11": "SHA-256",
  "1.2.840.113549.1.1.12": "SHA-384",
  "1.2.840.113549.1.1.13": "SHA-512",
};

const ECDSA: Record<string, Hash> = {
  "1.2.840.10045.4.1": "SHA-1",
  "1.2.840.10045.4.3.2": "SHA-256",
  "1.2.840.10045.4.3.3": "SHA-384",
  "1.2.840.10045.4.3.4": "SHA-512",
};

const RSASSA_PSS = "1.2.840.113549.1.1.10";
const ED25519 = "1.3.101.112";
const EC_SIZES = { "P-256": 32, "P-384": 48, "P-521": 66 } as const;

/** A signature AlgorithmIdentifier: the OID and the DER of its parameters, if any. */
export interface SignatureAlgorithm {
  oid: string;
  params: Uint8Array | null;
}

/** Reads an AlgorithmIdentifier (RFC 5280 §4.1.1.2) at `tlv`; throws DerError when malformed. */
export function readAlgorithmAt(bytes: Uint8Array, tlv: Tlv | undefined, what: string): SignatureAlgorithm {
  const [oidTlv, params, extra] = children(bytes, expectTag(tlv, TAG.SEQUENCE, what));
  if (extra) throw new DerError(`${what} is malformed`);
  return { oid: readOid(bytes, expectTag(oidTlv, TAG.OID, what)), params: params ? bytes.subarray(params.start, params.end) : null };
}

/** RSASSA-PSS-params (RFC 4055 §3.1): the hash and salt length; absent fields take the SHA-1 / 20 defaults. */
function pssParams(params: Uint8Array): { hash: Hash; saltLength: number } | null {
  let hash: Hash | undefined = "SHA-1";
  let saltLength = 20;
  for (const item of children(params, readRoot(params, TAG.SEQUENCE))) {
    const [inner] = children(params, item);
    if (!inner) throw new DerError("empty RSASSA-PSS parameter");
    if (item.tag === 0xa0) {
      const [oid] = children(params, expectTag(inner, TAG.SEQUENCE, "hashAlgorithm"));
      hash = HASHES[readOid(params, expectTag(oid, TAG.OID, "hashAlgorithm"))];
    } else if (item.tag === 0xa2) {
      saltLength = readSmallInteger(params, inner);
    }
    // maskGenAlgorithm [1]: WebCrypto's RSA-PSS is MGF1 with the message hash; a signature made otherwise does not verify.
    // trailerField [3]: only trailerFieldBC (1) exists.
  }
  return hash ? { hash, saltLength } : null;
}

type Plan = { importAlg: Parameters<typeof crypto.subtle.importKey>[2]; verifyAlg: Parameters<typeof crypto.subtle.verify>[0]; signature: Uint8Array };

function plan(alg: SignatureAlgorithm, key: Spki, signature: Uint8Array): Plan | null {
  // Parameters of the PKCS#1, ECDSA and Ed25519 identifiers are not looked at (NULL, absent, or anything):
  // they carry no information, and edgeca never accepted fewer CSRs for them.
  const pkcs1 = PKCS1[alg.oid];
  if (pkcs1) {
    if (key.key.kind !== "rsa") return null;
    return { importAlg: { name: "RSASSA-PKCS1-v1_5", hash: pkcs1 }, verifyAlg: { name: "RSASSA-PKCS1-v1_5" }, signature };
  }
  if (alg.oid === RSASSA_PSS) {
    if (key.key.kind !== "rsa" || !alg.params) return null;
    const p = pssParams(alg.params);
    if (!p) return null;
    return { importAlg: { name: "RSA-PSS", hash: p.hash }, verifyAlg: { name: "RSA-PSS", saltLength: p.saltLength }, signature };
  }
  const ecdsa = ECDSA[alg.oid];
  if (ecdsa) {
    if (key.key.kind !== "ec") return null;
    const rawSig = ecdsaRaw(signature, EC_SIZES[key.key.curve]);
    if (!rawSig) return null;
    return { importAlg: { name: "ECDSA", namedCurve: key.key.curve }, verifyAlg: { name: "ECDSA", hash: ecdsa }, signature: rawSig };
  }
  if (alg.oid === ED25519) {
    if (key.key.kind !== "ed25519") return null;
    return { importAlg: { name: "Ed25519" }, verifyAlg: { name: "Ed25519" }, signature };
  }
  return null;
}

/**
 * True when `signature` over `data` verifies under the SubjectPublicKeyInfo `spki`
 * with algorithm `alg`; false for a wrong signature, a key that does not fit the
 * algorithm, an algorithm not listed above, or malformed parameters or values.
 */
export async function verifySignedData(data: Uint8Array, alg: SignatureAlgorithm, signature: Uint8Array, spki: Uint8Array | Spki): Promise<boolean> {
  try {
    const key = spki instanceof Uint8Array ? readSpki(spki) : spki;
    const p = plan(alg, key, signature);
    if (!p) return false;
    const imported = await crypto.subtle.importKey("spki", importableSpki(key).slice(), p.importAlg, false, ["verify"]);
    return await crypto.subtle.verify(p.verifyAlg, imported, p.signature.slice(), data.slice());
  } catch {
    // Malformed parameters or signature values, or a key WebCrypto refuses: not a valid signature.
    return false;
  }
}
