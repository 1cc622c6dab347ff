/**
 * Matching a reference identifier (the hostname or IP a client connects to)
 * against a certificate's subjectAltName exactly as Go's crypto/x509
 * VerifyHostname does (RFC 6125 §6 with Go's choices): an IP literal
 * (optionally in brackets) matches only iPAddress SANs (IPv4 and
 * IPv4-mapped IPv6 are the same address); a DNS name is compared
 * case-insensitively, its trailing dot ignored, against SAN patterns that are
 * valid hostnames, a wildcard being the whole left-most label and matching
 * exactly one label; a SAN that is not a valid pattern (an absolute name
 * with a trailing dot, a partial wildcard) and a reference that is not a
 * valid hostname only match byte for byte, case aside. The subject CN is
 * never consulted.
 */
import { formatIpAddress, parseIpAddress } from "./names.ts";

/** `valid`: Go's validHostnameInput; an invalid name can still match a SAN spelled exactly like it. */
export type ReferenceIdentifier = { kind: "dns"; name: string; valid: boolean } | { kind: "ip"; bytes: Uint8Array; text: string };

export interface SanNames {
  dns: readonly string[];
  ip: readonly Uint8Array[];
}

/** Go's toLowerCaseASCII: only A–Z are folded. */
function lowerAscii(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/**
 * Go's validHostname (RFC 6125 §2.2 with leniency): non-empty labels of
 * letters, digits, '_' and non-leading '-'; a pattern may have "*" as its
 * whole first label; an input (not a pattern) may end with one dot.
 */
export function validHostname(host: string, isPattern: boolean): boolean {
  const h = !isPattern && host.endsWith(".") ? host.slice(0, -1) : host;
  if (h.length === 0) return false;
  return h.split(".").every((part, i) => (isPattern && i === 0 && part === "*") || /^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(part));
}

/**
 * Parses the hostname a client would connect to: an IP literal (IPv6
 * optionally in brackets) or a DNS name (lower-cased ASCII, as given
 * otherwise). Returns null only for the empty string.
 */
export function parseReferenceIdentifier(input: string): ReferenceIdentifier | null {
  if (input.length === 0) return null;
  const unbracketed = input.length >= 3 && input.startsWith("[") && input.endsWith("]") ? input.slice(1, -1) : input;
  const ip = parseIpAddress(unbracketed);
  if (ip) return { kind: "ip", bytes: ip, text: formatIpAddress(ip) };
  const name = lowerAscii(input);
  return { kind: "dns", name, valid: validHostname(name, false) };
}

/** The 16-byte form of an address, IPv4 mapped into IPv6 (RFC 4291 §2.5.5.2), as Go's net.IP.Equal compares. */
function ipKey(bytes: Uint8Array): string {
  const b = bytes.length === 4 ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...bytes] : Array.from(bytes);
  return b.join(",");
}

/** Compares two IP addresses byte for byte, treating IPv4 and its IPv4-mapped IPv6 form as equal (Go net.IP.Equal). */
export function ipEqual(a: Uint8Array, b: Uint8Array): boolean {
  return ipKey(a) === ipKey(b);
}

/** Go's matchHostnames: same label count, the first pattern label "*" matching any one label. */
function matchPattern(pattern: string, host: string): boolean {
  const p = lowerAscii(pattern).split(".");
  const h = (host.endsWith(".") ? host.slice(0, -1) : host).split(".");
  if (pattern.length === 0 || h.join(".").length === 0 || p.length !== h.length) return false;
  return p.every((label, i) => (i === 0 && label === "*") || label === h[i]);
}

/** Go's matchExactly. */
function matchExactly(a: string, b: string): boolean {
  if (a === "" || a === "." || b === "" || b === ".") return false;
  return lowerAscii(a) === b;
}

/**
 * Matches one presented DNS identifier (a dNSName SAN) against a reference
 * name (lower-cased ASCII, as parseReferenceIdentifier gives it).
 */
export function matchDnsName(presented: string, reference: string, referenceValid = validHostname(reference, false)): boolean {
  return referenceValid && validHostname(presented, true) ? matchPattern(presented, reference) : matchExactly(presented, reference);
}

export type HostnameMatch =
  | { matched: true; by: string }
  | { matched: false; reason: "no_san" | "ip_not_in_san" | "dns_not_in_san" };

/**
 * Checks the reference identifier against the SANs (RFC 6125 §6.4; RFC 5280
 * §4.2.1.6). The subject CN is deliberately not used: RFC 6125 §6.4.4 allows
 * it only without a SAN, and Go ≥ 1.15 ignores it entirely.
 */
export function matchHostname(reference: ReferenceIdentifier, san: SanNames | undefined): HostnameMatch {
  if (!san || (san.dns.length === 0 && san.ip.length === 0)) return { matched: false, reason: "no_san" };
  if (reference.kind === "ip") {
    // RFC 6125 §6.2.1 / RFC 5280 §4.2.1.6: IP literals are compared with iPAddress entries only, never with dNSName.
    for (const ip of san.ip) if (ipEqual(ip, reference.bytes)) return { matched: true, by: `IP:${formatIpAddress(ip)}` };
    return { matched: false, reason: "ip_not_in_san" };
  }
  for (const dns of san.dns) if (matchDnsName(dns, reference.name, reference.valid)) return { matched: true, by: `DNS:${dns}` };
  return { matched: false, reason: "dns_not_in_san" };
}
