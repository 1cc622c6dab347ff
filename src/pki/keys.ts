/**
 * Key algorithms: the names the API speaks, their WebCrypto parameters,
 * generation, PKCS#8 export, and identification of a public key from its
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
 */
import { encodePem } from "./pem.ts";
import { err, ok, type Result } from "./result.ts";
import { DerError } from "./path-validation/der.ts";
import { readSpki, type SpkiKey } from "./spki.ts";

export const KEY_ALGORITHMS = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519"] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** Key algorithms we recognise in CSRs and CA certificates, including ones we never generate. */
export type PublicKeyAlgorithm = KeyAlgorithm | "ecdsa-p521" | `rsa-${number}`;

const F4 = new Uint8Array([1, 0, 1]);

/** WebCrypto parameters for generating and importing signing keys of an algorithm. */
export interface WebCryptoKeyParams {
  name: string;
  namedCurve?: string;
  hash?: string;
  modulusLength?: number;
  publicExponent?: Uint8Array;
}

export function webCryptoParams(alg: PublicKeyAlgorithm): WebCryptoKeyParams {
  switch (alg) {
    case "ecdsa-p256":
      return { name: "ECDSA", namedCurve: "P-256" }
    case "ecdsa-p384":
      return { name: "ECDSA", namedCurve: "P-384" }
    case "ecdsa-p521":
      return { name: "ECDSA", namedCurve: "P-521" }
    case "ed25519":
      return { name: "Ed25519" }
    default: {
      const bits = Number(alg.slice(4));
      return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: bits, publicExponent: F4 }
    }
  }
}

/**
 * The signature algorithm a CA key signs with: ECDSA with the hash matching
 * the curve size (RFC 5758 §3.2), RSA PKCS#1 v1.5 with SHA-256, or Ed25519.
 */
export function signingParams(alg: PublicKeyAlgorithm): { name: string; hash?: string } {
  switch (alg) {
    case "ecdsa-p256":
      return { name: "ECDSA", hash: "SHA-256" };
    case "ecdsa-p384":
      return { name: "ECDSA", hash: "SHA-384" };
    case "ecdsa-p521":
      return { name: "ECDSA", hash: "SHA-512" };
    case "ed25519":
      return { name: "Ed25519" };
    default:
      return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  }
}

export function isRsa(alg: PublicKeyAlgorithm): boolean {
  return alg.startsWith("rsa-");
}

/** Generates an extractable key pair for a leaf certificate. */
export async function generateKeyPair(alg: KeyAlgorithm): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(webCryptoParams(alg) as never, true, ["sign", "verify"])) as CryptoKeyPair;
}

/** Exports a private key as PKCS#8 PEM ("PRIVATE KEY", RFC 5208), the form Kuma reads as tls.key. */
export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  return encodePem("PRIVATE KEY", new Uint8Array((await crypto.subtle.exportKey("pkcs8", key)) as ArrayBuffer));
}

export async function exportSpki(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array((await crypto.subtle.exportKey("spki", key)) as ArrayBuffer);
}

/**
 * Identifies the algorithm of a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), or says why it cannot.
 * RSA sizes are the modulus's exact bit length (a 2,041-bit key is rsa-2041, which no size check accepts).
 */
export async function identifyPublicKey(spki: Uint8Array): Promise<Result<PublicKeyAlgorithm, "unsupported_key" | "malformed_key">> {
  let key: SpkiKey;
  try {
    key = readSpki(spki).key;
  } catch (e) {
    if (e instanceof DerError) return err("malformed_key");
    throw e;
  }
  switch (key.kind) {
    case "ec":
      return ok(key.curve === "P-256" ? "ecdsa-p256" : key.curve === "P-384" ? "ecdsa-p384" : "ecdsa-p521");
    case "ed25519":
      return ok("ed25519");
    case "rsa":
      // An id-RSASSA-PSS key (RFC 4055 §1.2) may not sign PKCS#1 v1.5, which is what RSA keys here do.
      return key.pss ? err("unsupported_key") : ok(`rsa-${key.modulusBits}` as PublicKeyAlgorithm);
    case "ec-unsupported":
    case "other":
      return err("unsupported_key");
  }
}

/** Imports a PKCS#8 private key for signing as a non-extractable CryptoKey. */
export async function importSigningKey(pkcs8: Uint8Array, alg: PublicKeyAlgorithm): Promise<CryptoKey> {
  const buffer = pkcs8.slice().buffer as ArrayBuffer;
  return crypto.subtle.importKey("pkcs8", buffer, webCryptoParams(alg) as never, false, ["sign"]);
}

/** Imports a SubjectPublicKeyInfo for signature verification. */
export async function importVerifyKey(spki: Uint8Array, alg: PublicKeyAlgorithm): Promise<CryptoKey> {
  const buffer = spki.slice().buffer as ArrayBuffer;
  return crypto.subtle.importKey("spki", buffer, webCryptoParams(alg) as never, true, ["verify"]);
}
