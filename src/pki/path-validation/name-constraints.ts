/**
 * Name constraints (RFC 5280 §4.2.1.10) for dNSName, iPAddress, rfc822Name
 * and URI subtrees, matched as Go's crypto/x509 matches them: whether one
 * SAN is inside a CA's permitted subtrees and outside its excluded subtrees.
 */
import { formatIpAddress, parseIpAddress } from "../names.ts";
import { goParsesDomain, uriHost, type IpSubtree, type NameConstraints } from "./certificate.ts";

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
  return checkAgainst(`DNS name "${name}"`, (c) => dnsWithinSubtree(name, c), nc.permittedDns, nc.excludedDns);
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

/**
 * Go's parseRFC2821Mailbox, simplified: a dot-atom or quoted local part
 * (RFC 5321 §4.1.2), "@", and a domain Go can parse. Null when it is not one.
 */
export function parseMailbox(text: string): { local: string; domain: string } | null {
  let local = "";
  let i = 0;
  if (text.startsWith('"')) {
    for (i = 1; ; i++) {
      if (i >= text.length) return null;
      const c = text[i]!;
      if (c === '"') break;
      if (c === "\\") {
        if (++i >= text.length) return null;
        local += text[i];
      } else local += c;
    }
    i++;
  } else {
    while (i < text.length && text[i] !== "@") {
      const c = text[i]!;
      if (c === "\\" && i + 1 < text.length) local += text[++i];
      else if (/[A-Za-z0-9!#$%&'*+\/=?^_`{|}~.-]/.test(c)) local += c;
      else return null;
      i++;
    }
    if (local.length === 0) return null;
  }
  if (text[i] !== "@") return null;
  const domain = text.slice(i + 1);
  if (domain.length === 0 || !goParsesDomain(domain)) return null;
  return { local, domain };
}

/** Go's matchEmailConstraint: a constraint with "@" is one mailbox (local part exact, domain case-insensitive); otherwise a domain constraint. */
function emailWithin(mailbox: { local: string; domain: string }, constraint: string): boolean {
  if (!constraint.includes("@")) return dnsWithinSubtree(mailbox.domain, constraint);
  const c = parseMailbox(constraint);
  return c !== null && c.local === mailbox.local && c.domain.toLowerCase() === mailbox.domain.toLowerCase();
}

/** Checks one rfc822Name SAN as Go's isValid does; a plain-language reason, or null. */
export function checkEmail(email: string, nc: NameConstraints): string | null {
  const mailbox = parseMailbox(email);
  if (!mailbox) return `rfc822Name "${email}" cannot be parsed as a mailbox`;
  return checkAgainst(`email address "${email}"`, (c) => emailWithin(mailbox, c), nc.permittedEmail, nc.excludedEmail);
}

/** Checks one URI SAN as Go's matchURIConstraint does: by its host, which must be a domain name (not an IP address). */
export function checkUri(uri: string, nc: NameConstraints): string | null {
  if (nc.permittedUri.length + nc.excludedUri.length === 0) return null;
  let host = uriHost(uri);
  if (host.length === 0) return `URI "${uri}" has no host to match against constraints`;
  if (host.includes(":") && !host.endsWith("]")) host = host.slice(0, host.lastIndexOf(":"));
  if ((host.startsWith("[") && host.endsWith("]")) || parseIpAddress(host)) return `URI "${uri}" names an IP address, which cannot be matched against constraints`;
  return checkAgainst(`URI "${uri}"`, (c) => dnsWithinSubtree(host, c), nc.permittedUri, nc.excludedUri);
}

function checkAgainst(what: string, within: (constraint: string) => boolean, permitted: string[], excluded: string[]): string | null {
  const hit = excluded.find(within);
  if (hit !== undefined) return `${what} is inside the excluded subtree "${hit}"`;
  if (permitted.length > 0 && !permitted.some(within)) return `${what} is outside the permitted subtrees (${permitted.map((c) => `"${c}"`).join(", ")})`;
  return null;
}
