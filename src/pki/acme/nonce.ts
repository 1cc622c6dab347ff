/**
 * Replay nonces (RFC 8555 §6.5) that cost no write to issue: 16 random bytes,
 * the issue time (ms, 8 bytes big-endian) and a truncated HMAC-SHA256 over
 * both, base64url. Any isolate recognises a nonce it never saw; only a spent
 * nonce is recorded (by the caller, a unique insert), until it expires, so a
 * flood of newNonce requests writes nothing.
 */
import { concatBytes, timingSafeEqual, toBase64Url } from "../bytes.ts";

/** How long a nonce is accepted: clients take one just before each request (and from every response). */
export const NONCE_LIFETIME_MS = 30 * 60 * 1000;
const RANDOM = 16;
const TIME = 8;
const MAC = 16;
const LENGTH = RANDOM + TIME + MAC;

async function mac(key: CryptoKey, body: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, body as Uint8Array<ArrayBuffer>)).subarray(0, MAC);
}

export async function mintNonce(key: CryptoKey, nowMs: number): Promise<string> {
  const time = new Uint8Array(TIME);
  new DataView(time.buffer).setBigUint64(0, BigInt(nowMs));
  const body = concatBytes(crypto.getRandomValues(new Uint8Array(RANDOM)), time);
  return toBase64Url(concatBytes(body, await mac(key, body)));
}

export type NonceCheck = { ok: true; expiresAtMs: number } | { ok: false; reason: "malformed" | "unknown" | "expired" };

/** Whether this server issued the nonce and it has not expired; whether it was spent is the store's question. */
export async function checkNonce(key: CryptoKey, nonce: string, nowMs: number): Promise<NonceCheck> {
  // RFC 8555 §6.5.1: base64url without padding.
  if (nonce.length !== Math.ceil((LENGTH * 4) / 3) || !/^[A-Za-z0-9_-]+$/.test(nonce)) return { ok: false, reason: "malformed" };
  const bin = atob(nonce.replace(/-/g, "+").replace(/_/g, "/") + "==");
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  if (bytes.length !== LENGTH) return { ok: false, reason: "malformed" };
  const body = bytes.subarray(0, RANDOM + TIME);
  if (!timingSafeEqual(await mac(key, body), bytes.subarray(RANDOM + TIME))) return { ok: false, reason: "unknown" };
  const issued = Number(new DataView(bytes.buffer, bytes.byteOffset + RANDOM, TIME).getBigUint64(0));
  // A nonce from the future (clock skew between instances) is accepted for a minute; beyond that it is not ours.
  if (issued > nowMs + 60_000 || nowMs - issued > NONCE_LIFETIME_MS) return { ok: false, reason: "expired" };
  return { ok: true, expiresAtMs: issued + NONCE_LIFETIME_MS };
}
