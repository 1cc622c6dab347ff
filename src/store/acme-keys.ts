/**
 * The ACME keys (nonce MAC, EAB) derived from STORE_KEY, once per isolate.
 * Null when STORE_KEY is missing or malformed: ACME then answers
 * serverInternal naming the variable, and nothing is issued.
 */
import { fromBase64 } from "../pki/bytes.ts";
import { deriveAcmeKeys, type AcmeKeys } from "../pki/acme/secrets.ts";

let cached: { storeKey: string; keys: Promise<AcmeKeys> } | undefined;

export function acmeKeysFor(storeKey: string | undefined): Promise<AcmeKeys> | null {
  if (!storeKey) return null;
  if (cached?.storeKey === storeKey) return cached.keys;
  let raw: Uint8Array;
  try {
    raw = fromBase64(storeKey);
  } catch {
    return null;
  }
  if (raw.length !== 32) return null;
  const keys = deriveAcmeKeys(raw);
  cached = { storeKey, keys };
  return keys;
}
