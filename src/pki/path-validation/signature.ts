/**
 * Certificate signature verification with WebCrypto (works in Node and
 * workerd): maps the signatureAlgorithm of a certificate (RFC 5280 §4.1.1.2,
 * RFC 4055, RFC 5758, RFC 8410) to WebCrypto parameters, classifies weak and
 * unsupported algorithms, converts ECDSA-Sig-Value to raw r||s, and caches
 * imported issuer keys per certificate.
 */
import { concatBytes, toHex } from "../bytes.ts";
import { OID, type ParsedCertificate } from "./certificate.ts";
import { DerError, TAG, children, encodeTlv, expectTag, readIntegerBytes, readOid, readRoot, readSmallInteger } from "./der.ts";

type Hash = "SHA-256" | "SHA-384" | "SHA-512";

export type SignatureScheme =
  | { status: "ok"; name: string; family: "rsa-pkcs1"; hash: Hash }
  | { status: "ok"; name: string; family: "rsa-pss"; hash: Hash; saltLength: number }
  | { status: "ok"; name: string; family: "ecdsa"; hash: Hash }
  | { status: "ok"; name: string; family: "ed25519" }
  | { status: "weak"; name: string }
  | { status: "unsupported"; name: string; detail: string };

const HASHES: Record<string, Hash | "weak" | "unsupported"> = {
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
  "1.3.14.3.2.26": "weak",
  "2.16.840.1.101.3.4.2.4": "unsupported",
};

const PKCS1: Record<string, [string, Hash | "weak" | "unsupported"]> = {
  "1.2.840.113549.1.1.11": ["sha256WithRSAEncryption", "SHA-256"],
  "1.2.840.113549.1.1.12": ["sha384WithRSAEncryption", "SHA-384"],
  "1.2.840.113549.1.1.13": ["sha512WithRSAEncryption", "SHA-512"],
  "1.2.840.113549.1.1.14": ["sha224WithRSAEncryption", "unsupported"],
  "1.2.840.113549.1.1.5": ["sha1WithRSAEncryption", "weak"],
  "1.2.840.113549.1.1.4": ["md5WithRSAEncryption", "weak"],
  "1.2.840.113549.1.1.2": ["md2WithRSAEncryption", "weak"],
  "1.3.14.3.2.29": ["sha1WithRSASignature (OIW)", "weak"],
};

const ECDSA: Record<string, [string, Hash | "weak" | "unsupported"]> = {
  "1.2.840.10045.4.3.2": ["ecdsa-with-SHA256", "SHA-256"],
  "1.2.840.10045.4.3.3": ["ecdsa-with-SHA384", "SHA-384"],
  "1.2.840.10045.4.3.4": ["ecdsa-with-SHA512", "SHA-512"],
  "1.2.840.10045.4.3.1": ["ecdsa-with-SHA224", "unsupported"],
  "1.2.840.10045.4.1": ["ecdsa-with-SHA1", "weak"],
};

const OTHER: Record<string, [string, "weak" | "unsupported"]> = {
  "1.2.840.10040.4.3": ["dsa-with-sha1", "weak"],
  "2.16.840.1.101.3.4.3.2": ["dsa-with-sha256", "unsupported"],
  [OID.ed448]: ["Ed448", "unsupported"],
};

const NULL_PARAMS = "0500";

function paramsHex(p: Uint8Array | null): string | null {
  return p === null ? null : Array.from(p, (b) => b.toString(16).padStart(2, "0")).join("");
}

function hashOf(der: Uint8Array, tlv: ReturnType<typeof readRoot>): Hash | "weak" | "unsupported" {
  const parts = children(der, expectTag(tlv, TAG.SEQUENCE, "hash AlgorithmIdentifier"));
  const oid = readOid(der, expectTag(parts[0], TAG.OID, "hash algorithm"));
  return HASHES[oid] ?? "unsupported";
}

/** RSASSA-PSS-params (RFC 4055 §3.1), limited to what WebCrypto can verify: MGF1 with the same hash, trailer 1. */
function pssScheme(params: Uint8Array | null): SignatureScheme {
  const name = "RSASSA-PSS";
  // RFC 4055 §3.1: absent parameters mean SHA-1 with MGF1-SHA-1 and a 20-byte salt.
  if (params === null) return { status: "weak", name: `${name} with SHA-1 (default parameters)` };
  try {
    const seq = readRoot(params, TAG.SEQUENCE);
    let hash: Hash | "weak" | "unsupported" = "weak";
    let mgfHash: Hash | "weak" | "unsupported" = "weak";
    let saltLength = 20;
    let trailer = 1;
    for (const item of children(params, seq)) {
      const [inner] = children(params, item);
      if (!inner) throw new DerError("empty RSASSA-PSS parameter");
      if (item.tag === 0xa0) hash = hashOf(params, inner);
      else if (item.tag === 0xa1) {
        const mgf = children(params, expectTag(inner, TAG.SEQUENCE, "maskGenAlgorithm"));
        const mgfOid = readOid(params, expectTag(mgf[0], TAG.OID, "maskGenAlgorithm"));
        if (mgfOid !== "1.2.840.113549.1.1.8" || !mgf[1]) return { status: "unsupported", name, detail: `mask generation function ${mgfOid} is not MGF1` };
        mgfHash = hashOf(params, mgf[1]);
      } else if (item.tag === 0xa2) saltLength = readSmallInteger(params, inner);
      else if (item.tag === 0xa3) trailer = readSmallInteger(params, inner);
      else throw new DerError("unexpected RSASSA-PSS parameter");
    }
    if (hash === "weak" || mgfHash === "weak") return { status: "weak", name: `${name} with SHA-1` };
    if (hash === "unsupported" || mgfHash === "unsupported") return { status: "unsupported", name, detail: "the hash is not SHA-256, SHA-384 or SHA-512" };
    if (mgfHash !== hash) return { status: "unsupported", name, detail: `MGF1 uses ${mgfHash} but the message hash is ${hash}` };
    // RFC 4055 §3.1: trailerField MUST be 1.
    if (trailer !== 1) return { status: "unsupported", name, detail: `trailer field ${trailer}` };
    // Go's crypto/x509 knows RSA-PSS only with the salt as long as the hash (RFC 8446 §4.2.3's choice); any other salt is an unknown algorithm to it.
    const goSalt = { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 }[hash];
    if (saltLength !== goSalt) return { status: "unsupported", name, detail: `a ${saltLength}-byte salt with ${hash}; Go's crypto/x509 verifies RSA-PSS only with a salt as long as the hash` };
    return { status: "ok", name: `${name} with ${hash} (salt ${saltLength})`, family: "rsa-pss", hash, saltLength };
  } catch (e) {
    if (e instanceof DerError) return { status: "unsupported", name, detail: `malformed RSASSA-PSS parameters (${e.message})` };
    throw e;
  }
}

/** Classifies a certificate's signature algorithm. */
export function signatureScheme(cert: ParsedCertificate): SignatureScheme {
  const { oid, params } = cert.signatureAlgorithm;
  const p = paramsHex(params);
  const pkcs1 = PKCS1[oid];
  if (pkcs1) {
    const [name, hash] = pkcs1;
    if (hash === "weak") return { status: "weak", name };
    if (hash === "unsupported") return { status: "unsupported", name, detail: "SHA-224 is not available in WebCrypto" };
    // RFC 4055 §5: the parameters MUST be NULL; Go also accepts them absent.
    if (p !== null && p !== NULL_PARAMS) return { status: "unsupported", name, detail: "parameters other than NULL" };
    return { status: "ok", name, family: "rsa-pkcs1", hash };
  }
  const ecdsa = ECDSA[oid];
  if (ecdsa) {
    const [name, hash] = ecdsa;
    if (hash === "weak") return { status: "weak", name };
    if (hash === "unsupported") return { status: "unsupported", name, detail: "SHA-224 is not available in WebCrypto" };
    // RFC 5758 §3.2: the parameters field MUST be absent.
    if (p !== null) return { status: "unsupported", name, detail: "parameters must be absent" };
    return { status: "ok", name, family: "ecdsa", hash };
  }
  if (oid === OID.rsassaPss) return pssScheme(params);
  if (oid === OID.ed25519) {
    // RFC 8410 §3: the parameters MUST be absent.
    if (p !== null) return { status: "unsupported", name: "Ed25519", detail: "parameters must be absent" };
    return { status: "ok", name: "Ed25519", family: "ed25519" };
  }
  const other = OTHER[oid];
  if (other) return other[1] === "weak" ? { status: "weak", name: other[0] } : { status: "unsupported", name: other[0], detail: "not supported by Go's crypto/x509 or WebCrypto" };
  return { status: "unsupported", name: oid, detail: "unknown algorithm" };
}

export type SignatureCheck =
  | { ok: true }
  | { ok: false; code: "bad_signature" | "weak_signature_algorithm" | "unsupported_signature_algorithm"; message: string };

const EC_SIZES: Record<string, number> = { "P-256": 32, "P-384": 48, "P-521": 66 };

type ImportAlgorithm = Parameters<typeof crypto.subtle.importKey>[2] & { name: string };

/**
 * Imported verification keys, per isolate, keyed by algorithm and SPKI bytes: importing a key costs
 * more than verifying with it (profiled), and the same intermediates and roots come back on every
 * call. Bounded, oldest first out, so hostile input cannot grow it.
 */
const KEY_CACHE_LIMIT = 256;
const keyCache = new Map<string, Promise<CryptoKey>>();

/** The SubjectPublicKeyInfo with an id-RSASSA-PSS key relabelled rsaEncryption, which every WebCrypto imports. */
function rsaSpki(issuer: ParsedCertificate): Uint8Array {
  if (issuer.publicKey.kind !== "rsa" || !issuer.publicKey.pss) return issuer.spki;
  const spki = readRoot(issuer.spki, TAG.SEQUENCE);
  const [, keyBits] = children(issuer.spki, spki);
  const alg = encodeTlv(TAG.SEQUENCE, concatBytes(encodeTlv(TAG.OID, new Uint8Array([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01])), new Uint8Array([0x05, 0x00])));
  return encodeTlv(TAG.SEQUENCE, concatBytes(alg, issuer.spki.subarray(keyBits!.start, keyBits!.end)));
}

/** The same parsed issuer (the CA of every issued leaf, a cached trust anchor) skips even the cache-key work. */
const keysByIssuer = new WeakMap<Uint8Array, Map<string, Promise<CryptoKey>>>();

function importKey(issuer: ParsedCertificate, algorithm: ImportAlgorithm): Promise<CryptoKey> {
  const algorithmKey = JSON.stringify(algorithm);
  let mine = keysByIssuer.get(issuer.spki);
  const known = mine?.get(algorithmKey);
  if (known) return known;
  const key = importKeyCached(issuer, algorithm, algorithmKey);
  if (!mine) keysByIssuer.set(issuer.spki, (mine = new Map()));
  mine.set(algorithmKey, key);
  key.catch(() => mine.delete(algorithmKey));
  return key;
}

function importKeyCached(issuer: ParsedCertificate, algorithm: ImportAlgorithm, algorithmKey: string): Promise<CryptoKey> {
  const spki = algorithm.name.startsWith("RSA") ? rsaSpki(issuer) : issuer.spki;
  const cacheKey = `${algorithmKey}|${toHex(spki)}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    key = crypto.subtle.importKey("spki", spki.slice(), algorithm, false, ["verify"]);
    // A key that fails to import must not stay cached.
    key.catch(() => keyCache.delete(cacheKey));
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.delete(keyCache.keys().next().value!);
    keyCache.set(cacheKey, key);
  }
  return key;
}

/** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 5480 §2.2 / RFC 3279 §2.2.3) to WebCrypto's r||s. */
export function ecdsaRaw(sig: Uint8Array, size: number): Uint8Array | null {
  try {
    const seq = readRoot(sig, TAG.SEQUENCE);
    const [r, s, extra] = children(sig, seq);
    if (!r || !s || extra) return null;
    const out = new Uint8Array(size * 2);
    for (const [k, tlv] of [r, s].entries()) {
      let v = readIntegerBytes(sig, tlv);
      if ((v[0]! & 0x80) !== 0) return null;
      while (v.length > 1 && v[0] === 0) v = v.subarray(1);
      if (v.length > size) return null;
      out.set(v, k * size + size - v.length);
    }
    return out;
  } catch {
    return null;
  }
}

function keyDescription(cert: ParsedCertificate): string {
  const k = cert.publicKey;
  switch (k.kind) {
    case "rsa":
      return `RSA ${k.bits}`;
    case "ec":
      return `ECDSA ${k.curve}`;
    case "ed25519":
      return "Ed25519";
    case "ed448":
      return "Ed448";
    case "unknown":
      return `an unknown key type (${k.oid})`;
  }
}

/**
 * Signatures already verified in this isolate, keyed by the SHA-256 of the
 * subject's and the issuer's DER: the same CA chains are presented again and
 * again (zone control planes re-verify on every refresh), and a digest costs
 * ~1/25 of an ECDSA verification. Only successes are kept (so no input can
 * plant a failure), SHA-256 collision resistance makes a hit as good as a
 * verification, and the map is bounded, oldest out.
 */
const VERIFIED_LIMIT = 4096;
const verified = new Set<string>();
/** Keyed by the DER bytes object, which copies of a cached parse share. */
const fingerprints = new WeakMap<Uint8Array, Promise<string>>();

/** SHA-256 of a parsed certificate's DER, lowercase hex, computed once per DER bytes object (shared by copies of a cached parse). */
export function certificateFingerprint(cert: ParsedCertificate): Promise<string> {
  let fp = fingerprints.get(cert.der);
  if (!fp) {
    fp = crypto.subtle.digest("SHA-256", cert.der.slice()).then((d) => toHex(new Uint8Array(d)));
    fingerprints.set(cert.der, fp);
  }
  return fp;
}

/** verifyCertificateSignature, answering from the isolate's cache of verified (subject, issuer) pairs. */
export async function verifyCertificateSignatureCached(subject: ParsedCertificate, issuer: ParsedCertificate): Promise<SignatureCheck> {
  const key = `${await certificateFingerprint(subject)}<${await certificateFingerprint(issuer)}`;
  if (verified.has(key)) return { ok: true };
  const check = await verifyCertificateSignature(subject, issuer);
  if (check.ok) {
    if (verified.size >= VERIFIED_LIMIT) verified.delete(verified.values().next().value!);
    verified.add(key);
  }
  return check;
}

/**
 * Verifies that `issuer`'s public key signed `subject` (RFC 5280 §6.1.3 (a)(1)).
 * Weak algorithms (SHA-1, MD5) are refused without verifying, as Go does.
 */
export async function verifyCertificateSignature(subject: ParsedCertificate, issuer: ParsedCertificate): Promise<SignatureCheck> {
  const scheme = signatureScheme(subject);
  if (scheme.status === "weak") {
    return { ok: false, code: "weak_signature_algorithm", message: `the certificate is signed with ${scheme.name}, which is no longer accepted (SHA-1 and MD5 signatures are collision-prone; Go's crypto/x509 has rejected them since 1.18)` };
  }
  if (scheme.status === "unsupported") {
    return { ok: false, code: "unsupported_signature_algorithm", message: `the certificate is signed with ${scheme.name}, which is not supported (${scheme.detail}); supported: ECDSA P-256/P-384/P-521 with SHA-256/384/512, RSA PKCS#1 v1.5 and RSA-PSS with SHA-256/384/512, Ed25519` };
  }
  const key = issuer.publicKey;
  const mismatch = (): SignatureCheck => ({ ok: false, code: "bad_signature", message: `the certificate is signed with ${scheme.name}, but the issuer candidate "${issuer.subject}" has ${keyDescription(issuer)} key, so it cannot have signed it` });
  const data = subject.tbs.slice();
  try {
    let ok: boolean;
    switch (scheme.family) {
      case "rsa-pkcs1":
        // RFC 4055 §1.2: an id-RSASSA-PSS key must not be used with PKCS#1 v1.5.
        if (key.kind !== "rsa" || key.pss) return mismatch();
        ok = await crypto.subtle.verify({ name: "RSASSA-PKCS1-v1_5" }, await importKey(issuer, { name: "RSASSA-PKCS1-v1_5", hash: scheme.hash }), subject.signature.slice(), data);
        break;
      case "rsa-pss":
        if (key.kind !== "rsa") return mismatch();
        // Go's crypto/x509 reads only rsaEncryption RSA keys; an id-RSASSA-PSS key (RFC 4055) is an unknown public key algorithm to it.
        if (key.pss) return { ok: false, code: "unsupported_signature_algorithm", message: `the issuer "${issuer.subject}" has an id-RSASSA-PSS public key (RFC 4055), which Go's crypto/x509 does not support` };
        ok = await crypto.subtle.verify({ name: "RSA-PSS", saltLength: scheme.saltLength }, await importKey(issuer, { name: "RSA-PSS", hash: scheme.hash }), subject.signature.slice(), data);
        break;
      case "ecdsa": {
        if (key.kind !== "ec") return mismatch();
        const size = EC_SIZES[key.curve];
        if (size === undefined) {
          return { ok: false, code: "unsupported_signature_algorithm", message: `the issuer "${issuer.subject}" has an ECDSA key on ${key.curve}; only P-256, P-384 and P-521 are supported` };
        }
        const rawSig = ecdsaRaw(subject.signature, size);
        if (!rawSig) return { ok: false, code: "bad_signature", message: "the ECDSA signature value is not a valid DER ECDSA-Sig-Value for the issuer's curve (RFC 3279 §2.2.3)" };
        ok = await crypto.subtle.verify({ name: "ECDSA", hash: scheme.hash }, await importKey(issuer, { name: "ECDSA", namedCurve: key.curve }), rawSig, data);
        break;
      }
      case "ed25519":
        if (key.kind !== "ed25519") return mismatch();
        ok = await crypto.subtle.verify({ name: "Ed25519" }, await importKey(issuer, { name: "Ed25519" }), subject.signature.slice(), data);
        break;
    }
    if (ok) return { ok: true };
    return { ok: false, code: "bad_signature", message: `the ${scheme.name} signature does not verify with the public key of "${issuer.subject || "(empty subject)"}": the certificate was altered, or it was signed by a different key with the same issuer name` };
  } catch (e) {
    return { ok: false, code: "bad_signature", message: `the public key of "${issuer.subject || "(empty subject)"}" cannot be used to verify ${scheme.name} (${e instanceof Error ? e.message : String(e)})` };
  }
}

/** True when the certificate's own signature uses SHA-1 or MD5 (for warnings about trust anchors). */
export function isWeakScheme(cert: ParsedCertificate): boolean {
  return signatureScheme(cert).status === "weak";
}

