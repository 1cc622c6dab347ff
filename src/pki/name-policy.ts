/**
 * NamePolicy: which names a token may have certified.
 *
 * Patterns: `cp.example.com` exact; `*.example.com` any one label below plus
 * the wildcard name itself; `.example.com` any depth below (and wildcards
 * there); IPv4/IPv6 CIDRs (`10.0.0.0/8`, `fd00::/8`) or single addresses for
 * IP SANs; `*` alone allows every name (the development admin token).
 */
import { normalizeName, parseIpAddress, type SubjectName } from "./names.ts";
import { err, ok, type Result } from "./result.ts";

type Rule =
  | { kind: "any" }
  | { kind: "exact"; name: string }
  | { kind: "one_label"; suffix: string }
  | { kind: "subtree"; suffix: string }
  | { kind: "cidr"; network: Uint8Array; prefix: number };

export interface NamePolicy {
  readonly patterns: readonly string[];
  /** Returns the names the policy does not allow (empty when all are allowed). */
  disallowed(names: readonly SubjectName[]): SubjectName[];
}

/** Compiles allow patterns once; an invalid pattern is a configuration error reported by value. */
export function compileNamePolicy(patterns: readonly string[]): Result<NamePolicy, { pattern: string }> {
  const rules: Rule[] = [];
  for (const pattern of patterns) {
    const rule = compileRule(pattern);
    if (!rule) return err({ pattern });
    rules.push(rule);
  }
  return ok({
    patterns: [...patterns],
    disallowed: (names) => names.filter((n) => !rules.some((r) => allows(r, n))),
  });
}

function compileRule(pattern: string): Rule | null {
  if (pattern === "*") return { kind: "any" };
  const slash = pattern.indexOf("/");
  if (slash >= 0 || parseIpAddress(pattern.replace(/^\[|\]$/g, ""))) {
    const addr = parseIpAddress(slash >= 0 ? pattern.slice(0, slash) : pattern.replace(/^\[|\]$/g, ""));
    if (!addr) return null;
    const bits = addr.length * 8;
    const prefixText = slash >= 0 ? pattern.slice(slash + 1) : String(bits);
    if (!/^\d{1,3}$/.test(prefixText)) return null;
    const prefix = Number(prefixText);
    if (prefix > bits) return null;
    return { kind: "cidr", network: addr, prefix };
  }
  if (pattern.startsWith(".")) {
    const base = normalizeName(pattern.slice(1));
    return base.ok && base.value.kind === "dns" && !base.value.value.startsWith("*") ? { kind: "subtree", suffix: `.${base.value.value}` } : null;
  }
  const n = normalizeName(pattern);
  if (!n.ok || n.value.kind !== "dns") return null;
  if (n.value.value.startsWith("*.")) return { kind: "one_label", suffix: n.value.value.slice(1) };
  return { kind: "exact", name: n.value.value };
}

function allows(rule: Rule, name: SubjectName): boolean {
  switch (rule.kind) {
    case "any":
      return true;
    case "cidr":
      return name.kind === "ip" && inCidr(name.bytes, rule.network, rule.prefix);
    case "exact":
      return name.kind === "dns" && name.value === rule.name;
    case "one_label": {
      if (name.kind !== "dns") return false;
      if (name.value === `*${rule.suffix}`) return true;
      if (!name.value.endsWith(rule.suffix)) return false;
      const head = name.value.slice(0, -rule.suffix.length);
      return head.length > 0 && !head.includes(".") && head !== "*";
    }
    case "subtree":
      return name.kind === "dns" && name.value.endsWith(rule.suffix) && name.value.length > rule.suffix.length;
  }
}

function inCidr(addr: Uint8Array, network: Uint8Array, prefix: number): boolean {
  if (addr.length !== network.length) return false;
  for (let bit = 0; bit < prefix; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((addr[byte]! & mask) !== (network[byte]! & mask)) return false;
  }
  return true;
}
