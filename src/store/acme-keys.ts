/**
 * The ACME keys (nonce MAC, EAB) derived from STORE_KEY, once per isolate.
 * Null when STORE_KEY is missing or malformed (the configuration layer,
 * src/config/store-key.ts, gives its bytes or a message): ACME then answers
 * serverInternal naming the variable, and nothing is issued.
 */
import { deriveAcmeKeys, type AcmeKeys } from "../pki/acme/secrets.ts";

let cached: { storeKey: Uint8Array; keys: Promise<AcmeKeys> } | undefined;

export function acmeKeysFor(storeKey: Uint8Array | string | undefined): Promise<AcmeKeys> | null {
  if (storeKey === undefined || typeof storeKey === "string") return null;
  // The configuration layer hands out the same bytes for the same STORE_KEY text, so identity is the cache key.
  if (cached?.storeKey === storeKey) return cached.keys;
  const keys = deriveAcmeKeys(storeKey);
  cached = { storeKey, keys };
  return keys;
}
