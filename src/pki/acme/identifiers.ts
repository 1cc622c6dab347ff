/**
 * ACME identifiers (RFC 8555 §7.1.3 dns, RFC 8738 ip) to the names edgeca
 * certifies, and the finalize rule that a CSR asks for exactly the order's
 * names (RFC 8555 §7.4). Pure.
 */
import { describeNameProblem, normalizeName, type SubjectName } from "../names.ts";
import { AcmeProblem, type Subproblem } from "./problem.ts";

export interface Identifier {
  type: "dns" | "ip";
  value: string;
}

/** Most identifiers per order: the same ceiling as names per certificate on the API. */
export const MAX_IDENTIFIERS = 100;

/** The identifier of a normalized name, as orders and authorizations show it (lower case, A-labels, canonical IPs). */
export function identifierOf(name: SubjectName): Identifier {
  return { type: name.kind, value: name.value };
}

/**
 * Parses newOrder's identifiers: each one normalized (a dns value that is an
 * IP literal, or an ip value that is not, is refused per identifier), duplicates dropped.
 */
export function parseIdentifiers(raw: unknown): SubjectName[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new AcmeProblem("malformed", "identifiers must be a non-empty array (RFC 8555 §7.4)");
  if (raw.length > MAX_IDENTIFIERS) throw new AcmeProblem("malformed", `at most ${MAX_IDENTIFIERS} identifiers per order`);
  const names: SubjectName[] = [];
  const sub: Subproblem[] = [];
  const seen = new Set<string>();
  for (const item of raw) {
    const o = item as { type?: unknown; value?: unknown } | null;
    if (typeof o !== "object" || o === null || typeof o.type !== "string" || typeof o.value !== "string" || o.value.length > 1024) {
      throw new AcmeProblem("malformed", "each identifier is {type, value} with string members");
    }
    if (o.type !== "dns" && o.type !== "ip") {
      sub.push({ type: "unsupportedIdentifier", detail: `identifier type ${JSON.stringify(o.type.slice(0, 32))} is not supported: dns or ip`, identifier: { type: "dns", value: o.value.slice(0, 256) } });
      continue;
    }
    const n = normalizeName(o.value);
    // lego 4.9.1 sends IP addresses as dns identifiers: malformed, as Pebble answers, naming the fix (RFC 8738 §3).
    if (o.type === "dns" && n.ok && n.value.kind === "ip") {
      sub.push({ type: "malformed", detail: `${JSON.stringify(o.value.slice(0, 256))}: an IP address must be an identifier of type "ip" (RFC 8738)`, identifier: { type: "dns", value: o.value.slice(0, 256) } });
      continue;
    }
    // A value the hostname rules refuse gets their message, which names the character or part to remove (a URL, a port, white space).
    if (!n.ok) {
      sub.push({ type: "rejectedIdentifier", detail: describeNameProblem({ ...n.error, name: o.value.slice(0, 256) }), identifier: { type: o.type, value: o.value.slice(0, 256) } });
      continue;
    }
    // RFC 8738 §3: an ip identifier is an address in its textual form; a dns identifier is never one (RFC 8555 §7.1.4).
    if (n.value.kind !== o.type || (o.type === "ip" && o.value.startsWith("["))) {
      sub.push({ type: "rejectedIdentifier", detail: `${JSON.stringify(o.value.slice(0, 256))} is not a valid ${o.type} identifier`, identifier: { type: o.type, value: o.value.slice(0, 256) } });
      continue;
    }
    const key = `${n.value.kind}:${n.value.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    names.push(n.value);
  }
  if (sub.length > 0) {
    const type = sub.every((s) => s.type === "unsupportedIdentifier") ? "unsupportedIdentifier" : sub.every((s) => s.type === "malformed") ? "malformed" : "rejectedIdentifier";
    // The top level says what to fix too: lego prints only the top-level detail.
    const detail = type === "malformed" ? sub.map((s) => s.detail).join("; ") : `${sub.length} identifier(s) cannot be certified: ${sub.map((s) => s.detail).join("; ")}`;
    throw new AcmeProblem(type, detail, { subproblems: sub });
  }
  return names;
}

/** A wildcard dns identifier's authorization is for the base name, marked wildcard (RFC 8555 §7.1.4). */
export function authorizationIdentifier(name: SubjectName): { identifier: Identifier; wildcard: boolean } {
  if (name.kind === "dns" && name.value.startsWith("*.")) return { identifier: { type: "dns", value: name.value.slice(2) }, wildcard: true };
  return { identifier: identifierOf(name), wildcard: false };
}

export type CsrMismatch = { reason: "names_differ"; missing: string[]; extra: string[] } | { reason: "cn_not_a_name"; cn: string } | { reason: "invalid_name"; name: string };

/**
 * RFC 8555 §7.4: the CSR's SAN dNSName/iPAddress entries must be exactly the
 * order's identifiers (compared normalized: case, A-labels, canonical IPs), and
 * a subject CN, if any, one of them (lego puts the first name there).
 */
export function matchCsrToOrder(csrNames: readonly string[], commonNames: readonly string[], order: readonly Identifier[]): CsrMismatch | null {
  const wanted = new Set(order.map((i) => `${i.type}:${i.value}`));
  const got = new Set<string>();
  for (const text of csrNames) {
    const n = normalizeName(text);
    if (!n.ok) return { reason: "invalid_name", name: text.slice(0, 256) };
    got.add(`${n.value.kind}:${n.value.value}`);
  }
  const missing = [...wanted].filter((k) => !got.has(k)).map((k) => k.slice(k.indexOf(":") + 1));
  const extra = [...got].filter((k) => !wanted.has(k)).map((k) => k.slice(k.indexOf(":") + 1));
  if (missing.length > 0 || extra.length > 0) return { reason: "names_differ", missing, extra };
  for (const cn of commonNames) {
    const n = normalizeName(cn);
    if (!n.ok || !got.has(`${n.value.kind}:${n.value.value}`)) return { reason: "cn_not_a_name", cn: cn.slice(0, 64) };
  }
  return null;
}

export function describeCsrMismatch(m: CsrMismatch): string {
  switch (m.reason) {
    case "names_differ":
      return `the CSR's names must be exactly the order's identifiers (RFC 8555 §7.4)${m.missing.length ? `; missing: ${m.missing.join(", ")}` : ""}${m.extra.length ? `; not in the order: ${m.extra.join(", ")}` : ""}`;
    case "cn_not_a_name":
      return `the CSR's common name ${JSON.stringify(m.cn)} is not one of its subjectAltName entries`;
    case "invalid_name":
      return `the CSR names ${JSON.stringify(m.name)}, which is not a valid name`;
  }
}
