/**
 * Subject alternative names: normalization of requested hostnames and IP
 * literals into the form that goes into a certificate.
 *
 * DNS names follow RFC 5280 §4.2.1.6 (preferred name syntax, RFC 1034 §3.5
 * LDH labels) and RFC 5890 (internationalized names become A-labels); the
 * wildcard rules follow the CA/Browser Forum BR §3.2.2.6 and RFC 6125 §6.4.3.
 */
import { err, ok, type Result } from "./result.ts";

export type SubjectName = { kind: "dns"; value: string } | { kind: "ip"; value: string; bytes: Uint8Array };

export type NameReason =
  | "empty"
  | "too_long"
  | "label_empty"
  | "label_too_long"
  | "label_invalid_characters"
  | "label_hyphen_position"
  | "wildcard_position"
  | "wildcard_too_broad"
  | "numeric_tld"
  | "idn_invalid"
  | "ip_invalid";

export interface NameProblem {
  name: string;
  reason: NameReason;
}

export function describeNameReason(reason: NameReason): string {
  switch (reason) {
    case "empty":
      return "the name is empty";
    case "too_long":
      return "the name is longer than 253 characters (RFC 1035 §2.3.4)";
    case "label_empty":
      return "the name has an empty label (two dots in a row, or a leading dot)";
    case "label_too_long":
      return "a label is longer than 63 characters (RFC 1035 §2.3.4)";
    case "label_invalid_characters":
      return "a label contains characters other than letters, digits and hyphens (RFC 1034 §3.5)";
    case "label_hyphen_position":
      return "a label starts or ends with a hyphen (RFC 1034 §3.5)";
    case "wildcard_position":
      return "a wildcard must be the whole left-most label, as in *.mesh.example.com (RFC 6125 §6.4.3)";
    case "wildcard_too_broad":
      return "a wildcard needs at least two labels after it (*.example.com, not *.com)";
    case "numeric_tld":
      return "the last label is numeric, so the name would be read as an IP address; write IP addresses as dotted quads or IPv6";
    case "idn_invalid":
      return "the internationalized name cannot be converted to an A-label (RFC 5890)";
    case "ip_invalid":
      return "the IP address literal is malformed";
  }
}

const LDH = /^[a-z0-9-]+$/;

/**
 * Parses an IPv4 dotted quad (four decimal octets, no leading zeros, which
 * some parsers read as octal) or an IPv6 literal (RFC 4291 §2.2, optional
 * trailing dotted quad, no zone id). Returns 4 or 16 bytes, or null.
 */
export function parseIpAddress(text: string): Uint8Array | null {
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === "") return [];
    const groups: number[] = [];
    const items = s.split(":");
    for (let i = 0; i < items.length; i++) {
      const g = items[i]!;
      if (i === items.length - 1 && g.includes(".")) {
        const v4 = parseIpv4(g);
        if (!v4) return null;
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        groups.push(parseInt(g, 16));
      }
    }
    return groups;
  };
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !tail) return null;
  // A dotted quad may only end the address.
  if (halves.length === 2 && halves[0]!.includes(".")) return null;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return null;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** Canonical text of an IP address: dotted quad, or RFC 5952 §4 for IPv6. */
export function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // RFC 5952 §4.2.3: compress the longest run of two or more zero groups, the first on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** Converts a Unicode hostname to A-labels with the runtime's WHATWG URL (UTS #46) implementation. */
function toALabels(name: string): string | null {
  try {
    const host = new URL(`http://${name}/`).hostname;
    return host === "" ? null : host;
  } catch {
    return null;
  }
}

/** Checks one DNS name that is already ASCII and lower case. */
function checkDnsName(name: string): NameReason | null {
  if (name.length === 0) return "empty";
  if (name.length > 253) return "too_long";
  const labels = name.split(".");
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label === "*") {
      if (i !== 0) return "wildcard_position";
      if (labels.length < 3) return "wildcard_too_broad";
      continue;
    }
    if (label.length === 0) return "label_empty";
    if (label.includes("*")) return "wildcard_position";
    if (label.length > 63) return "label_too_long";
    if (!LDH.test(label)) return "label_invalid_characters";
    if (label.startsWith("-") || label.endsWith("-")) return "label_hyphen_position";
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return "numeric_tld";
  return null;
}

/**
 * Normalizes one requested name: IP literals (IPv6 optionally in brackets)
 * become IP SANs in canonical form; everything else is a DNS name, lower
 * case, A-labels, trailing dot dropped, checked label by label.
 */
export function normalizeName(input: string): Result<SubjectName, NameProblem> {
  const fail = (reason: NameReason) => err({ name: input, reason });
  let text = input.trim();
  if (text.length === 0) return fail("empty");
  if (text.length > 1024) return fail("too_long");
  const unbracketed = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (unbracketed.includes(":")) {
    let bytes = parseIpv6(unbracketed);
    if (!bytes) return fail("ip_invalid");
    // An IPv4-mapped address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is the IPv4 address to Go and to
    // relying parties: certify it as IPv4, so IPv4 name policy applies to it.
    if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) bytes = bytes.slice(12);
    return ok({ kind: "ip", value: formatIpAddress(bytes), bytes });
  }
  if (/^[0-9.]+$/.test(text)) {
    const bytes = parseIpv4(text);
    return bytes ? ok({ kind: "ip", value: formatIpAddress(bytes), bytes }) : fail("ip_invalid");
  }
  if (text.endsWith(".")) text = text.slice(0, -1);
  text = text.toLowerCase();
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(text)) {
    const wildcard = text.startsWith("*.");
    const converted = toALabels(wildcard ? text.slice(2) : text);
    if (converted === null || /[^a-z0-9.-]/.test(converted)) return fail("idn_invalid");
    text = wildcard ? `*.${converted}` : converted;
  }
  const reason = checkDnsName(text);
  return reason ? fail(reason) : ok({ kind: "dns", value: text });
}

/** Normalizes a list of names, dropping duplicates, and reports every rejected name. */
export function normalizeNames(inputs: readonly string[]): Result<SubjectName[], NameProblem[]> {
  const names: SubjectName[] = [];
  const problems: NameProblem[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    const r = normalizeName(input);
    if (!r.ok) {
      problems.push(r.error);
      continue;
    }
    const key = `${r.value.kind}:${r.value.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    names.push(r.value);
  }
  return problems.length > 0 ? err(problems) : ok(names);
}
