/**
 * Validity periods and serial numbers for leaf certificates.
 */
import { err, ok, type Result } from "./result.ts";

/** Backdating absorbs clock skew between edgeca and relying parties (Kuma uses 5 minutes too). */
export const BACKDATE_SECONDS = 5 * 60;

export interface ValidityWindow {
  notBefore: Date;
  notAfter: Date;
}

/**
 * notBefore = now − 5 min (never before the CA's own notBefore);
 * notAfter = now + ttl, refused when it would outlive the issuing CA
 * (RFC 5280 §6.1.3 (a)(2): a relying party would reject the tail anyway).
 */
export function computeValidity(
  now: Date,
  ttlSeconds: number,
  ca: { notBefore: Date; notAfter: Date },
): Result<ValidityWindow, { reason: "exceeds_ca_validity"; caNotAfter: Date; latestTtlSeconds: number }> {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const notBefore = new Date(Math.max(nowSeconds - BACKDATE_SECONDS, Math.ceil(ca.notBefore.getTime() / 1000)) * 1000);
  const notAfter = new Date((nowSeconds + ttlSeconds) * 1000);
  if (notAfter > ca.notAfter) {
    return err({ reason: "exceeds_ca_validity", caNotAfter: ca.notAfter, latestTtlSeconds: Math.max(0, Math.floor(ca.notAfter.getTime() / 1000) - nowSeconds) });
  }
  return ok({ notBefore, notAfter });
}

/**
 * A 128-bit serial from the CSPRNG (CA/B BR §7.1 asks for ≥ 64 bits). The
 * first byte is non-zero so the DER INTEGER is minimal; the encoder adds a
 * leading zero octet when the high bit is set, keeping it positive (RFC 5280 §4.1.2.2).
 */
export function randomSerialNumber(): Uint8Array {
  const serial = crypto.getRandomValues(new Uint8Array(16));
  if (serial[0] === 0) serial[0] = 1;
  return serial;
}

/** Serial numbers as people paste them: any case, optional colons, OpenSSL's leading zeros or Go's none. */
export function normalizeSerial(text: string): string | null {
  const hex = text.replace(/:/g, "").toLowerCase();
  if (!/^[0-9a-f]{1,40}$/.test(hex)) return null;
  const trimmed = hex.replace(/^0+(?=.)/, "");
  // edgeca serials are 16 octets: restore the leading zero nibbles a big-integer print drops.
  return trimmed.length < 32 ? trimmed.padStart(32, "0") : trimmed;
}
