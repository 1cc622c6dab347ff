/**
 * What API_TOKENS and OIDC_TRUST entries grant, and the JSON-array secret
 * shape they share: the vocabulary of scopes and the checks of the `scopes`,
 * `allow` and `max_ttl` fields, each failure a message naming the entry and
 * field (the 503 config_invalid detail).
 */
import { parseDuration } from "../pki/duration.ts";

export const SCOPES = ["issue", "sign", "verify", "read", "revoke", "metrics", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** A secret holding a JSON array (API_TOKENS, OIDC_TRUST): its entries, or a message naming the variable. */
export function parseJsonArray(text: string, variable: string, what: string): unknown[] | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return `${variable} is not valid JSON`;
  }
  return Array.isArray(raw) ? raw : `${variable} must be a JSON array of ${what}`;
}

/** What an entry grants: scopes, allowed name patterns (checked by the caller) and a lifetime ceiling. */
export interface Grant {
  scopes: ReadonlySet<Scope>;
  allow: string[];
  maxTtlSeconds: number | undefined;
}

/**
 * Reads the `scopes`, `allow` and `max_ttl` fields shared by API_TOKENS and
 * OIDC_TRUST entries; returns a message naming `where` and the field when one
 * is wrong. `allow` is type-checked only: the caller compiles it (OIDC
 * patterns carry placeholders).
 */
export function parseGrant(e: Record<string, unknown>, where: string): Grant | string {
  const scopes = e["scopes"];
  if (!Array.isArray(scopes) || scopes.some((s) => !SCOPES.includes(s as Scope))) return `${where}.scopes must list scopes from ${SCOPES.join(", ")}`;
  const allow = e["allow"] ?? [];
  if (!Array.isArray(allow) || allow.some((a) => typeof a !== "string")) return `${where}.allow must be a list of name patterns`;
  let maxTtlSeconds: number | undefined;
  if (e["max_ttl"] !== undefined) {
    const d = typeof e["max_ttl"] === "string" ? parseDuration(e["max_ttl"]) : null;
    if (!d?.ok) return `${where}.max_ttl must be a duration such as "30d"`;
    maxTtlSeconds = d.value;
  }
  return { scopes: new Set(scopes as Scope[]), allow: allow as string[], maxTtlSeconds };
}
