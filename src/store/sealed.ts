/**
 * Sealing small secrets at rest with AES-256-GCM under STORE_KEY (NIST SP
 * 800-38D): a random 96-bit IV per message, the context bound as additional
 * data so a sealed value cannot be replayed under another key or serial.
 */
import { fromBase64, toBase64, utf8 } from "../pki/bytes.ts";

/** Imported once per key (the configuration hands the same bytes to every request), non-extractable. */
const keys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

/** `storeKey`: STORE_KEY's 32 bytes as src/config/store-key.ts checked them. */
function importStoreKey(storeKey: Uint8Array): Promise<CryptoKey> {
  let key = keys.get(storeKey);
  if (!key) {
    key = crypto.subtle.importKey("raw", storeKey, "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.set(storeKey, key);
  }
  return key;
}

export async function seal(storeKey: Uint8Array, plaintext: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(context) }, await importStoreKey(storeKey), utf8(plaintext)));
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return toBase64(out);
}

export async function unseal(storeKey: Uint8Array, sealed: string, context: string): Promise<string> {
  const bytes = fromBase64(sealed);
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.subarray(0, 12), additionalData: utf8(context) }, await importStoreKey(storeKey), bytes.subarray(12));
  return new TextDecoder().decode(pt);
}
