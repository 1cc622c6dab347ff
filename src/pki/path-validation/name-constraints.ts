/**
 * Name constraints (RFC 5280 §4.2.1.10) for dNSName and iPAddress subtrees:
 * whether one SAN is inside a CA's permitted subtrees and outside its
 * excluded subtrees.
 */
import { formatIpAddress } from "../names.ts";
import type { IpSubtree, NameConstraints } from "./certificate.ts";

/**
 * RFC 5280 §4.2.1.10: a DNS constraint matches the name itself and any name
 * formed by adding labels on the left ("example.com" covers "example.com" and
 * "a.example.com", not "badexample.com"); a leading dot (".example.com", the
 * form Go and OpenSSL also accept) covers subdomains only; an empty
 * constraint covers every name.
 */
export function dnsWithinSubtree(name: string, constraint: string): boolean {
  let n = name.toLowerCase();
  if (n.endsWith(".")) n = n.slice(0, -1);
  const c = constraint.toLowerCase();
  if (c.length === 0) return true;
  if (c.startsWith(".")) return n.length > c.length && n.endsWith(c);
  return n === c || n.endsWith(`.${c}`);
}

/** RFC 5280 §4.2.1.10: an address is in a subtree when it equals the base under the mask; IPv4 and IPv6 never mix. */
export function ipWithinSubtree(ip: Uint8Array, subtree: IpSubtree): boolean {
  if (ip.length !== subtree.address.length) return false;
  for (let i = 0; i < ip.length; i++) {
    if ((ip[i]! & subtree.mask[i]!) !== (subtree.address[i]! & subtree.mask[i]!)) return false;
  }
  return true;
}

function describeIpSubtree(s: IpSubtree): string {
  let bits = 0;
  for (const b of s.mask) bits += b.toString(2).replace(/0/g, "").length;
  return `${formatIpAddress(s.address)}/${bits}`;
}

/** Returns a plain-language reason when the name violates the constraints, or null when it is allowed. */
export function checkDnsName(name: string, nc: NameConstraints): string | null {
  const excluded = nc.excludedDns.find((c) => dnsWithinSubtree(name, c));
  if (excluded !== undefined) return `DNS name "${name}" is inside the excluded subtree "${excluded}"`;
  if (nc.permittedDns.length > 0 && !nc.permittedDns.some((c) => dnsWithinSubtree(name, c))) {
    return `DNS name "${name}" is outside the permitted subtrees (${nc.permittedDns.map((c) => `"${c}"`).join(", ")})`;
  }
  return null;
}

/** Returns a plain-language reason when the address violates the constraints, or null when it is allowed. */
export function checkIpAddress(ip: Uint8Array, nc: NameConstraints): string | null {
  const excluded = nc.excludedIp.find((s) => ipWithinSubtree(ip, s));
  if (excluded) return `IP address ${formatIpAddress(ip)} is inside the excluded subtree ${describeIpSubtree(excluded)}`;
  if (nc.permittedIp.length > 0 && !nc.permittedIp.some((s) => ipWithinSubtree(ip, s))) {
    return `IP address ${formatIpAddress(ip)} is outside the permitted subtrees (${nc.permittedIp.map(describeIpSubtree).join(", ")})`;
  }
  return null;
}
