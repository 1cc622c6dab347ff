/**
 * Sealing small secrets at rest with AES-256-GCM under STORE_KEY (NIST SP
 * 800-38D): a random 96-bit IV per message, the context bound as additional
 * data so a sealed value cannot be replayed under another key or serial.
 */
import { fromBase64, toBase64, utf8 } from "../pki/bytes.ts";

const keys = new Map<string, Promise<CryptoKey>>();

function importStoreKey(storeKey: string): Promise<CryptoKey> {
  let key = keys.get(storeKey);
  if (!key) {
    let raw: Uint8Array;
    try {
      raw = fromBase64(storeKey);
    } catch {
      raw = new Uint8Array(0);
    }
    if (raw.length !== 32) return Promise.reject(new Error("STORE_KEY must be 32 bytes, base64-encoded"));
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.set(storeKey, key);
  }
  return key;
}

export function isValidStoreKey(storeKey: string): boolean {
  try {
    return fromBase64(storeKey).length === 32;
  } catch {
    return false;
  }
}

export async function seal(storeKey: string, plaintext: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(context) }, await importStoreKey(storeKey), utf8(plaintext)));
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return toBase64(out);
}

export async function unseal(storeKey: string, sealed: string, context: string): Promise<string> {
  const bytes = fromBase64(sealed);
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.subarray(0, 12), additionalData: utf8(context) }, await importStoreKey(storeKey), bytes.subarray(12));
  return new TextDecoder().decode(pt);
}
