/**
 * A fresh key pair for a leaf, as the bundle needs it: the PKCS#8 private
 * key (tls.key) and the SubjectPublicKeyInfo that goes into the certificate.
 *
 * For ECDSA one export is enough: the PKCS#8 ECPrivateKey carries the public
 * point (RFC 5915 §3, publicKey [1]), and the SPKI is that point under the
 * same curve (RFC 5480 §2). That saves a WebCrypto export per certificate
 * (about 6 µs of a ~100 µs issuance in workerd). Where the point is absent,
 * or for RSA and Ed25519, the SPKI is exported as usual.
 */
import { DER, DerWriter, encodeOid } from "./der-writer.ts";
import { generateKeyPair, type KeyAlgorithm } from "./keys.ts";
import { children, readBitString, readOid, readRoot, TAG, value, type Tlv } from "./path-validation/der.ts";

export interface LeafKey {
  /** DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). */
  spki: Uint8Array;
  /** DER PrivateKeyInfo (RFC 5208 §5). */
  pkcs8: Uint8Array;
}

const EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const EC_CURVES: Partial<Record<KeyAlgorithm, string>> = { "ecdsa-p256": "1.2.840.10045.3.1.7", "ecdsa-p384": "1.3.132.0.34" };
/** Uncompressed point sizes (SEC 1 §2.3.3): 0x04 || X || Y. */
const POINT_SIZE: Partial<Record<KeyAlgorithm, number>> = { "ecdsa-p256": 65, "ecdsa-p384": 97 };

/** AlgorithmIdentifier { id-ecPublicKey, namedCurve } per curve, built once. */
const EC_ALGORITHM = new Map<string, Uint8Array>();

function ecAlgorithm(curveOid: string): Uint8Array {
  let der = EC_ALGORITHM.get(curveOid);
  if (!der) {
    const w = new DerWriter(32);
    const seq = w.start(DER.SEQUENCE);
    w.raw(encodeOid(EC_PUBLIC_KEY)).raw(encodeOid(curveOid));
    der = w.end(seq).finish().slice();
    EC_ALGORITHM.set(curveOid, der);
  }
  return der;
}

/**
 * The SPKI of the EC key in a PKCS#8 PrivateKeyInfo, or null when the
 * structure is not the expected one (then the caller exports the SPKI).
 */
export function ecSpkiFromPkcs8(pkcs8: Uint8Array, alg: KeyAlgorithm): Uint8Array | null {
  const curve = EC_CURVES[alg];
  if (!curve) return null;
  try {
    // PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier { id-ecPublicKey, namedCurve }, privateKey OCTET STRING }
    const [version, algId, privateKey] = children(pkcs8, readRoot(pkcs8, TAG.SEQUENCE));
    if (!version || !algId || privateKey?.tag !== TAG.OCTET_STRING) return null;
    const [algOid, params] = children(pkcs8, algId);
    if (!algOid || !params || readOid(pkcs8, algOid) !== EC_PUBLIC_KEY || readOid(pkcs8, params) !== curve) return null;
    // ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, parameters [0] OPTIONAL, publicKey [1] BIT STRING OPTIONAL }
    const ec = value(pkcs8, privateKey);
    const fields = children(ec, readRoot(ec, TAG.SEQUENCE));
    const explicit = fields.find((f: Tlv) => f.tag === 0xa1);
    if (!explicit) return null;
    const [bitString] = children(ec, explicit);
    if (!bitString || bitString.tag !== TAG.BIT_STRING) return null;
    const { bits, unused } = readBitString(ec, bitString);
    if (unused !== 0 || bits.length !== POINT_SIZE[alg] || bits[0] !== 0x04) return null;
    const w = new DerWriter(32 + bits.length);
    const spki = w.start(DER.SEQUENCE);
    w.raw(ecAlgorithm(curve)).bitString(bits);
    return w.end(spki).finish().slice();
  } catch {
    return null;
  }
}

/** Generates a leaf key and exports what the certificate and the bundle need. */
export async function generateLeafKey(alg: KeyAlgorithm): Promise<LeafKey> {
  const keys = await generateKeyPair(alg);
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", keys.privateKey)) as ArrayBuffer);
  const spki = ecSpkiFromPkcs8(pkcs8, alg) ?? new Uint8Array((await crypto.subtle.exportKey("spki", keys.publicKey)) as ArrayBuffer);
  return { spki, pkcs8 };
}
