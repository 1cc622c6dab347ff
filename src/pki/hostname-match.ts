/**
 * Matching a reference identifier (the hostname or IP a client connects to)
 * against a certificate's subjectAltName, per RFC 6125 §6 with the choices
 * Go's crypto/x509 VerifyHostname makes: DNS names compare case-insensitively
 * with a trailing dot ignored; a wildcard is only the whole left-most label
 * and matches exactly one label; IP literals match only iPAddress SANs, byte
 * for byte (IPv4 and IPv4-mapped IPv6 are the same address); the subject CN
 * is never consulted.
 */
import { formatIpAddress, parseIpAddress } from "./names.ts";

export type ReferenceIdentifier = { kind: "dns"; name: string } | { kind: "ip"; bytes: Uint8Array; text: string };

export interface SanNames {
  dns: readonly string[];
  ip: readonly Uint8Array[];
}

/**
 * Parses the hostname a client would connect to: an IP literal (IPv6
 * optionally in brackets) or a DNS name, lower-cased, trailing dot removed.
 * Returns null when it is neither.
 */
export function parseReferenceIdentifier(input: string): ReferenceIdentifier | null {
  const text = input.trim();
  if (text.length === 0 || text.length > 255) return null;
  const unbracketed = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const ip = parseIpAddress(unbracketed);
  if (ip) return { kind: "ip", bytes: ip, text: formatIpAddress(ip) };
  let name = text.toLowerCase();
  if (name.endsWith(".")) name = name.slice(0, -1);
  // RFC 6125 §6.4.1: the reference identifier is a DNS domain name of LDH labels (A-labels for IDNs).
  if (name.length === 0 || !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(name)) return null;
  if (name.split(".").some((l) => l.length > 63)) return null;
  return { kind: "dns", name };
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

/**
 * Matches one presented DNS identifier (a dNSName SAN) against a reference
 * DNS name (already lower case, no trailing dot).
 */
export function matchDnsName(presented: string, reference: string): boolean {
  let pattern = presented.toLowerCase();
  if (pattern.endsWith(".")) pattern = pattern.slice(0, -1);
  if (pattern.length === 0) return false;
  if (pattern === reference) return true;
  const p = pattern.split(".");
  const r = reference.split(".");
  // RFC 6125 §6.4.3: the wildcard may only be the complete left-most label (no "f*o" partial labels), and it matches exactly one label.
  if (p[0] !== "*" || p.length !== r.length || p.length < 2) return false;
  if (p.slice(1).some((l) => l.includes("*") || l.length === 0)) return false;
  if (r[0]!.length === 0) return false;
  for (let i = 1; i < p.length; i++) if (p[i] !== r[i]) return false;
  return true;
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
  for (const dns of san.dns) if (matchDnsName(dns, reference.name)) return { matched: true, by: `DNS:${dns}` };
  return { matched: false, reason: "dns_not_in_san" };
}
