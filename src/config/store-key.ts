/**
 * STORE_KEY (a secret): 32 random bytes, base64, the AES-256-GCM key that
 * seals generated private keys kept for Idempotency-Key replays
 * (src/store/sealed.ts). Checked here, so a malformed key is a 503
 * config_invalid naming it rather than a WebCrypto failure mid-request.
 */
import { fromBase64 } from "../pki/bytes.ts";

let cached: { source: string | undefined; value: Uint8Array | string | undefined } | undefined;

/** The key bytes; undefined when unset; a message when malformed. The same bytes for the same text. */
export function storeKeyFrom(source: string | undefined): Uint8Array | string | undefined {
  if (cached && cached.source === source) return cached.value;
  const value = parseStoreKey(source);
  cached = { source, value };
  return value;
}

function parseStoreKey(source: string | undefined): Uint8Array | string | undefined {
  const text = source?.trim();
  if (!text) return undefined;
  let raw: Uint8Array;
  try {
    raw = fromBase64(text);
  } catch {
    raw = new Uint8Array(0);
  }
  // AES-256 (NIST SP 800-38D with a 256-bit key); the message never quotes the secret.
  return raw.length === 32 ? raw : "STORE_KEY must be 32 bytes, base64-encoded: make one with `openssl rand -base64 32`";
}
