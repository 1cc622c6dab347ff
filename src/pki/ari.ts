/**
 * ACME Renewal Information (RFC 9773), the pure part: the certificate
 * identifier (certID) both ways, and the one renewal rule every client sees
 * (ARI's suggestedWindow, GET /v1/certificates/{serial}'s renewal_window,
 * `edgeca renew`, /v1/ca/status's awaiting_renewal).
 */
import { fromHex, toBase64Url, toHex } from "./bytes.ts";
import { err, ok, type Result } from "./result.ts";

/** A parsed certID: the issuer's key identifier and the serial number. */
export interface CertId {
  /** The keyIdentifier of the certificate's authorityKeyIdentifier (= its issuer's SKI). */
  keyIdentifier: Uint8Array;
  /** The serial number's DER INTEGER content octets, sign byte included (RFC 9773 §4.1). */
  serialDer: Uint8Array;
  /** The serial as the ledger writes it: the unsigned magnitude in lowercase hex, at least 32 digits (edgeca's 16 octets). */
  serialHex: string;
}

export type CertIdProblem =
  | { reason: "shape" }
  | { reason: "base64url"; part: "keyIdentifier" | "serial" }
  | { reason: "key_identifier_length"; length: number }
  | { reason: "serial_not_der"; detail: string };

export function describeCertIdProblem(p: CertIdProblem): string {
  switch (p.reason) {
    case "shape":
      return "a certID is base64url(keyIdentifier) \".\" base64url(serial) (RFC 9773 §4.1)";
    case "base64url":
      return `the ${p.part} part is not unpadded, canonical base64url (RFC 4648 §5)`;
    case "key_identifier_length":
      return `the keyIdentifier is ${p.length} bytes; expected 1 to 64`;
    case "serial_not_der":
      return `the serial is not a DER INTEGER's content octets: ${p.detail}`;
  }
}

const B64URL = /^[A-Za-z0-9_-]+$/;

/** Strict unpadded base64url: the alphabet only, and canonical (re-encoding gives the same text, so unused bits are zero). */
function decodeBase64Url(text: string): Uint8Array | null {
  if (!B64URL.test(text) || text.length % 4 === 1) return null;
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    return null;
  }
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return toBase64Url(bytes) === text ? bytes : null;
}

/** RFC 5280 §4.1.2.2: serials are positive and at most 20 octets, so 21 with the sign octet. */
const MAX_SERIAL_OCTETS = 21;

/** Parses a certID (RFC 9773 §4.1), refusing anything that is not the one canonical encoding. */
export function parseCertId(text: string): Result<CertId, CertIdProblem> {
  const parts = text.split(".");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") return err({ reason: "shape" });
  const keyIdentifier = decodeBase64Url(parts[0]!);
  if (!keyIdentifier) return err({ reason: "base64url", part: "keyIdentifier" });
  if (keyIdentifier.length > 64) return err({ reason: "key_identifier_length", length: keyIdentifier.length });
  const serialDer = decodeBase64Url(parts[1]!);
  if (!serialDer) return err({ reason: "base64url", part: "serial" });
  if (serialDer.length > MAX_SERIAL_OCTETS) return err({ reason: "serial_not_der", detail: `${serialDer.length} octets, more than RFC 5280 §4.1.2.2 allows` });
  // X.690 §8.3.2: the first nine bits are never all zeros or all ones (minimal encoding).
  if (serialDer.length > 1 && serialDer[0] === 0 && serialDer[1]! < 0x80) return err({ reason: "serial_not_der", detail: "a redundant leading zero octet" });
  if (serialDer[0]! >= 0x80) return err({ reason: "serial_not_der", detail: "negative (RFC 5280 §4.1.2.2: serials are positive)" });
  const magnitude = serialDer[0] === 0 ? serialDer.subarray(1) : serialDer;
  if (magnitude.length === 0) return err({ reason: "serial_not_der", detail: "zero (RFC 5280 §4.1.2.2: serials are positive)" });
  return ok({ keyIdentifier, serialDer, serialHex: toHex(magnitude).padStart(32, "0") });
}

/**
 * The certID of a certificate: its issuer's key identifier and its serial as the ledger holds it
 * (unsigned hex). The serial gets DER's sign octet when its top bit is set (RFC 9773 §4.1:
 * "including the leading 0x00 byte").
 */
export function formatCertId(keyIdentifier: Uint8Array, serialHex: string): string {
  let hex = serialHex.toLowerCase().replace(/^(00)+(?=..)/, "");
  if (hex.length % 2) hex = `0${hex}`;
  let der = fromHex(hex);
  if (der[0]! >= 0x80) der = Uint8Array.of(0, ...der);
  return `${toBase64Url(keyIdentifier)}.${toBase64Url(der)}`;
}

/** What the renewal rule looks at. */
export interface RenewalFacts {
  notBefore: Date;
  notAfter: Date;
  /** The certificate was revoked. */
  revoked: boolean;
  /** It was issued by CA_PREVIOUS_CERT: a rotation is under way and it must move to the issuing CA. */
  issuedByPreviousCa: boolean;
  now: Date;
}

export interface RenewalWindow {
  start: Date;
  end: Date;
  /** Why the window is where it is: the default last third, or pulled into the past. */
  reason: "lifetime" | "revoked" | "previous_ca";
}

const HOUR = 3600_000;

/**
 * The one renewal rule. By default the last third of the lifetime (renewing at two thirds is what
 * cert-manager does by default and leaves a third for retries). A revoked certificate, or one of the
 * previous CA during a rotation, gets a window wholly in the past, start now−2h and end now−1h:
 * RFC 9773 §4.2 tells clients to renew at once when the end has passed, and forbids end ≤ start.
 */
export function renewalWindow(f: RenewalFacts): RenewalWindow {
  if (f.revoked || f.issuedByPreviousCa) {
    const now = Math.floor(f.now.getTime() / 1000) * 1000;
    return { start: new Date(now - 2 * HOUR), end: new Date(now - HOUR), reason: f.revoked ? "revoked" : "previous_ca" };
  }
  const nb = f.notBefore.getTime();
  const na = f.notAfter.getTime();
  const start = Math.floor((nb + ((na - nb) * 2) / 3) / 1000) * 1000;
  // A zero or negative lifetime cannot occur for an issued certificate; keep end > start anyway (RFC 9773 §4.2).
  return { start: new Date(start), end: new Date(Math.max(na, start + 1000)), reason: "lifetime" };
}
