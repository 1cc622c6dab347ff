/**
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) read strictly as DER: the key
 * algorithm and what WebCrypto needs to import it, for identifying CSR and
 * CA keys and for verifying signatures with them.
 */
import { concatBytes } from "./bytes.ts";
import { DerError, TAG, children, encodeTlv, expectTag, raw, readBitString, readIntegerBytes, readOid, readRoot, type Tlv } from "./path-validation/der.ts";

export const KEY_OID = {
  rsaEncryption: "1.2.840.113549.1.1.1",
  rsassaPss: "1.2.840.113549.1.1.10",
  ecPublicKey: "1.2.840.10045.2.1",
  ed25519: "1.3.101.112",
} as const;

/** RFC 5480 §2.1.1.1 named curves WebCrypto implements. */
const CURVES: Record<string, "P-256" | "P-384" | "P-521"> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
};

export type SpkiKey =
  /** `modulusBits`: the exact bit length of the modulus n (RFC 8017 §3.1), not rounded to whole octets. */
  | { kind: "rsa"; pss: boolean; modulusBits: number }
  | { kind: "ec"; curve: "P-256" | "P-384" | "P-521" }
  /** EC key on a curve WebCrypto does not implement, or with implicit/explicit parameters (RFC 5480 §2.1.1). */
  | { kind: "ec-unsupported" }
  | { kind: "ed25519" }
  | { kind: "other"; oid: string };

export interface Spki {
  /** The whole SubjectPublicKeyInfo element. */
  der: Uint8Array;
  key: SpkiKey;
}

/** Reads a SubjectPublicKeyInfo element at `tlv` inside `bytes`; throws DerError when it is malformed. */
export function readSpkiAt(bytes: Uint8Array, tlv: Tlv): Spki {
  const [algTlv, keyTlv, extra] = children(bytes, expectTag(tlv, TAG.SEQUENCE, "subjectPublicKeyInfo"));
  if (extra) throw new DerError("trailing element in subjectPublicKeyInfo");
  const [oidTlv, paramsTlv, extraParam] = children(bytes, expectTag(algTlv, TAG.SEQUENCE, "subjectPublicKeyInfo algorithm"));
  if (extraParam) throw new DerError("trailing element in the key AlgorithmIdentifier");
  const oid = readOid(bytes, expectTag(oidTlv, TAG.OID, "key algorithm"));
  const { bits, unused } = readBitString(bytes, expectTag(keyTlv, TAG.BIT_STRING, "subjectPublicKey"));
  return { der: raw(bytes, tlv), key: keyOf(oid, bytes, paramsTlv, bits, unused) };
}

/** Reads a DER SubjectPublicKeyInfo that must fill `spki` exactly. */
export function readSpki(spki: Uint8Array): Spki {
  return readSpkiAt(spki, readRoot(spki, TAG.SEQUENCE));
}

function keyOf(oid: string, bytes: Uint8Array, params: Tlv | undefined, bits: Uint8Array, unused: number): SpkiKey {
  switch (oid) {
    case KEY_OID.rsaEncryption:
    case KEY_OID.rsassaPss: {
      // RFC 8017 §A.1.1: RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }.
      if (unused !== 0) throw new DerError("RSA key BIT STRING with unused bits");
      const [n, e, extra] = children(bits, readRoot(bits, TAG.SEQUENCE));
      if (extra) throw new DerError("trailing element in RSAPublicKey");
      const modulus = readIntegerBytes(bits, expectTag(n, TAG.INTEGER, "RSA modulus"));
      readIntegerBytes(bits, expectTag(e, TAG.INTEGER, "RSA public exponent"));
      if (modulus[0]! & 0x80) throw new DerError("negative RSA modulus");
      return { kind: "rsa", pss: oid === KEY_OID.rsassaPss, modulusBits: bitLength(modulus) };
    }
    case KEY_OID.ecPublicKey: {
      // RFC 5480 §2.1.1: the parameters are required; only namedCurve is allowed in PKIX.
      if (!params) throw new DerError("EC key without parameters");
      if (params.tag !== TAG.OID) return { kind: "ec-unsupported" };
      const curve = CURVES[readOid(bytes, params)];
      return curve ? { kind: "ec", curve } : { kind: "ec-unsupported" };
    }
    case KEY_OID.ed25519:
      return { kind: "ed25519" };
    default:
      return { kind: "other", oid };
  }
}

/**
 * The bit length of a non-negative big-endian integer: counted from its most
 * significant set bit, so a 2,041-bit modulus (256 octets) is 2041, not 2048.
 */
export function bitLength(integer: Uint8Array): number {
  let i = 0;
  while (i < integer.length && integer[i] === 0) i++;
  if (i === integer.length) return 0;
  return (integer.length - i - 1) * 8 + (32 - Math.clz32(integer[i]!));
}

const RSA_ENCRYPTION_ALGORITHM = encodeTlv(
  TAG.SEQUENCE,
  concatBytes(encodeTlv(TAG.OID, new Uint8Array([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01])), new Uint8Array([TAG.NULL, 0])),
);

/**
 * The SPKI to hand to WebCrypto's importKey: an id-RSASSA-PSS key (RFC 4055 §1.2)
 * relabelled rsaEncryption, which every WebCrypto imports; others unchanged.
 */
export function importableSpki(spki: Spki): Uint8Array {
  if (spki.key.kind !== "rsa" || !spki.key.pss) return spki.der;
  const [, keyBits] = children(spki.der, readRoot(spki.der, TAG.SEQUENCE));
  return encodeTlv(TAG.SEQUENCE, concatBytes(RSA_ENCRYPTION_ALGORITHM, raw(spki.der, keyBits!)));
}

/** The subjectPublicKey bits of a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). */
function subjectPublicKeyBits(spki: Uint8Array): Uint8Array {
  const seq = readRoot(spki, TAG.SEQUENCE);
  const [alg, key, extra] = children(spki, seq);
  if (!alg || !key || extra) throw new DerError("malformed SubjectPublicKeyInfo");
  return readBitString(spki, key).bits;
}

/** RFC 5280 §4.2.1.2 method (1): the SHA-1 of the subjectPublicKey bits. */
export async function subjectKeyIdentifier(spki: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-1", subjectPublicKeyBits(spki)));
}
