/**
 * Keys the ACME front end derives from one secret (STORE_KEY) with HKDF
 * (RFC 5869), each bound to its purpose by `info`: the nonce MAC key and the
 * EAB key from which every kid's HMAC key is computed, so no EAB key is ever
 * stored (a leaked database holds no credential).
 */
import { toBase64Url, utf8 } from "../bytes.ts";

export interface AcmeKeys {
  /** HMAC-SHA256 over nonces (./nonce.ts). */
  nonce: CryptoKey;
  /** HMAC-SHA256 from which each kid's EAB key is computed. */
  eab: CryptoKey;
}

async function derive(base: CryptoKey, info: string): Promise<CryptoKey> {
  const bits = await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: utf8(info) }, base, 256);
  return crypto.subtle.importKey("raw", bits, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

/** Derives the ACME keys from the 32 raw bytes of STORE_KEY. */
export async function deriveAcmeKeys(secret: Uint8Array): Promise<AcmeKeys> {
  const base = await crypto.subtle.importKey("raw", secret as Uint8Array<ArrayBuffer>, "HKDF", false, ["deriveBits"]);
  return { nonce: await derive(base, "edgeca acme nonce v1"), eab: await derive(base, "edgeca acme eab v1") };
}

/** EAB HMAC keys are 32 bytes: cert-manager and go-jose refuse HS256 keys under 256 bits. */
export const EAB_KEY_BYTES = 32;

/** The HMAC key of an EAB kid: HMAC(eab key, kid), recomputed on demand, never stored. */
export async function eabHmacKey(keys: AcmeKeys, kid: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", keys.eab, utf8(`kid:${kid}`)));
}

/** The EAB key as clients take it: unpadded base64url (cert-manager refuses padded or standard base64). */
export async function eabHmacKeyText(keys: AcmeKeys, kid: string): Promise<string> {
  return toBase64Url(await eabHmacKey(keys, kid));
}

/** A fresh random identifier (kid, account, order, authorization): 128 bits, base64url. */
export function randomId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
}
