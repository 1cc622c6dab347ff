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
  | "ip_invalid"
  /** A URL (`https://cp.example.com`): `suggestion` holds its host. */
  | "url"
  /** host:port: `suggestion` holds the host, `part` the port. */
  | "port"
  /** host/path or a trailing "/": `suggestion` holds the host, `part` the path. */
  | "path"
  /** A character no host name has (`character`): URL syntax, whitespace, a control character, or one IDNA mapping drops or turns into a dot. */
  | "forbidden_character";

export interface NameProblem {
  name: string;
  reason: NameReason;
  /** The offending character (forbidden_character). */
  character?: string;
  /** The part to remove (port, path). */
  part?: string;
  /** The name edgeca would accept instead (url, port, path), when there is one. */
  suggestion?: string;
}

/** A character as people can read it, with its code point: "@" (U+0040), a space (U+0020). */
function showCharacter(c: string): string {
  const cp = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
  if (c === " ") return `a space (${cp})`;
  if (/^[\x21-\x7e]$/.test(c)) return `${JSON.stringify(c)} (${cp})`;
  return cp;
}

/** The message for one refused name: what is wrong and, for the common mistakes, what to send instead. */
export function describeNameProblem(p: NameProblem): string {
  const name = JSON.stringify(p.name);
  const instead = p.suggestion !== undefined ? `; send the host name alone: ${JSON.stringify(p.suggestion)}` : "; send the host name alone";
  switch (p.reason) {
    case "url":
      return `${name} is a URL${instead}`;
    case "port":
      return `${name} has a port (${JSON.stringify(p.part)}); a certificate names hosts, not ports: remove it${instead}`;
    case "path":
      return p.part === "/" ? `${name} ends in "/": remove it${instead}` : `${name} has a path (${JSON.stringify(p.part)}): remove it${instead}`;
    case "forbidden_character":
      return `${name} contains ${showCharacter(p.character!)}, ${forbiddenWhy(p.character!)}`;
    default:
      return `${name}: ${describeNameReason(p.reason)}`;
  }
}

function forbiddenWhy(c: string): string {
  if (/^\s$/u.test(c)) return "which no host name contains: remove the white space";
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x1f\x7f-\x9f]$/.test(c)) return "a control character, which no host name contains";
  if (c.charCodeAt(0) < 0x80) return "which is URL syntax, not part of a host name: send the host name alone";
  return "which internationalized-name mapping (UTS #46) would drop or turn into a dot, so the certified name would differ from the one sent";
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
    case "url":
      return "a URL is not a host name; send the host name alone";
    case "port":
      return "a port is not part of a host name; send the host name alone";
    case "path":
      return "a path is not part of a host name; send the host name alone";
    case "forbidden_character":
      return "the name contains a character no host name has";
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

/** URL syntax (RFC 3986 gen-delims and "%", "\\"), which the WHATWG URL parser would act on rather than refuse. */
const URL_SYNTAX = /[/\\@?#%:]/;
const WHITE_OR_CONTROL = /[\s\x00-\x1f\x7f-\x9f]/u;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** An IPv6 literal, bracketed or not, possibly with a zone (refused later as malformed, RFC 6874 zones are not certifiable). */
const IPV6_SHAPED = /^\[?[0-9a-f:.]*:[0-9a-f:.]*(%[0-9a-z._~-]*)?\]?$/i;

/** A character IDNA mapping drops (U+200B, U+00AD, variation selectors …) or turns into a label separator (U+3002, U+FF0E …). */
function idnaChangesLabels(c: string): boolean {
  let changes = idnaProbes.get(c);
  if (changes === undefined) {
    const probe = toALabels(`a${c}a`);
    changes = probe === "aa" || (probe !== null && probe.includes("."));
    // Bounded: a hostile request's distinct characters cannot grow it without limit.
    if (idnaProbes.size >= 4096) idnaProbes.clear();
    idnaProbes.set(c, changes);
  }
  return changes;
}
const idnaProbes = new Map<string, boolean>();

/** The host of a name that carries a URL's scheme, port or path, if what is left is one. */
function hostOf(text: string): string | undefined {
  const host = text.replace(SCHEME, "").replace(/^[^@/?#]*@/, "").split(/[/?#]/)[0]!;
  const bare = /^\[[0-9a-f:.]+\](:\d*)?$/i.test(host) ? host.slice(1, host.indexOf("]")) : host.replace(/:\d*$/, "");
  return bare.length > 0 && normalizeName(bare).ok ? bare : undefined;
}

/**
 * Refuses, before any conversion, what a URL parser would act on or an IDNA
 * mapping would silently change (issue 21 #5): the name checked by a person
 * or a pipeline is then the name certified. The common mistakes — a URL, a
 * port, a path — get a message naming the name to send instead.
 */
function refuseUrlSyntax(input: string): NameProblem | null {
  if (SCHEME.test(input)) return { name: input, reason: "url", ...suggest(hostOf(input)) };
  const port = /^(\[[^\]]*\]|[^:/]+):(\d{1,5})$/.exec(input);
  if (port) return { name: input, reason: "port", part: `:${port[2]}`, ...suggest(hostOf(input)) };
  const path = /^([^/\\@?#%:\s]+)(\/.*)$/s.exec(input);
  if (path) return { name: input, reason: "path", part: path[2]!, ...suggest(hostOf(input)) };
  const ipv6 = IPV6_SHAPED.test(input);
  for (const c of input) {
    if (WHITE_OR_CONTROL.test(c) || (URL_SYNTAX.test(c) && !(ipv6 && (c === ":" || c === "%")))) return { name: input, reason: "forbidden_character", character: c };
    if (c.charCodeAt(0) >= 0x80 && idnaChangesLabels(c)) return { name: input, reason: "forbidden_character", character: c };
  }
  return null;
}

function suggest(host: string | undefined): { suggestion?: string } {
  return host === undefined ? {} : { suggestion: host };
}

/**
 * Normalizes one requested name: IP literals (IPv6 optionally in brackets)
 * become IP SANs in canonical form; everything else is a DNS name, lower
 * case, A-labels, trailing dot dropped, checked label by label.
 */
export function normalizeName(input: string): Result<SubjectName, NameProblem> {
  const fail = (reason: NameReason) => err({ name: input, reason });
  let text = input;
  if (text.length === 0) return fail("empty");
  if (text.length > 1024) return fail("too_long");
  const refused = refuseUrlSyntax(text);
  if (refused) return err(refused);
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
    const unicode = wildcard ? text.slice(2) : text;
    const converted = toALabels(unicode);
    // The label count must survive conversion (a safety net behind refuseUrlSyntax's per-character check).
    if (converted === null || /[^a-z0-9.-]/.test(converted) || converted.split(".").length !== unicode.split(".").length) return fail("idn_invalid");
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
