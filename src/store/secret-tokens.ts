/**
 * TokenStore over the API_TOKENS secret: a JSON array of
 *   { "name": "zone-a-pipeline", "sha256": "<hex of SHA-256(token)>",
 *     "scopes": ["issue"], "allow": ["*.zone-a.mesh.example.com", "10.0.0.0/8"],
 *     "max_ttl": "30d" }
 * Parsed and checked once per isolate; a bad entry makes the whole secret
 * invalid (fail closed) with a message naming the entry.
 */
import { fromHex, sha256, timingSafeEqual, toBase64Url, toHex, utf8 } from "../pki/bytes.ts";
import { parseDuration } from "../pki/duration.ts";
import { compileNamePolicy } from "../pki/name-policy.ts";
import { SCOPES, type Scope, type TokenRecord, type TokenStore } from "./types.ts";

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

interface StoredToken extends TokenRecord {
  hash: Uint8Array;
}

let cached: { source: string; value: TokenStore | string } | undefined;

/** Returns the token store for API_TOKENS, or a message saying what is wrong with it. */
export function secretTokenStore(source: string | undefined): TokenStore | string {
  const text = source ?? "";
  if (cached?.source === text) return cached.value;
  const value = parseTokens(text);
  cached = { source: text, value };
  return value;
}

function parseTokens(text: string): TokenStore | string {
  if (text.trim() === "") return "API_TOKENS is not set: create a token with `npm run token:create` and store the printed entry";
  const raw = parseJsonArray(text, "API_TOKENS", "token entries");
  if (typeof raw === "string") return raw;
  const tokens: StoredToken[] = [];
  for (const [i, entry] of raw.entries()) {
    const where = `API_TOKENS[${i}]`;
    if (typeof entry !== "object" || entry === null) return `${where} is not an object`;
    const e = entry as Record<string, unknown>;
    if (typeof e["name"] !== "string" || e["name"] === "") return `${where}.name must be a non-empty string`;
    if (typeof e["sha256"] !== "string" || !/^[0-9a-f]{64}$/.test(e["sha256"])) return `${where}.sha256 must be 64 lowercase hex digits`;
    const grant = parseGrant(e, where);
    if (typeof grant === "string") return grant;
    const policy = compileNamePolicy(grant.allow);
    if (!policy.ok) return `${where}.allow has an invalid pattern ${JSON.stringify(policy.error.pattern)}`;
    // Names key the ledger, audit trail and idempotency keys: two tokens must never share one.
    if (tokens.some((t) => t.name === e["name"])) return `${where}.name ${JSON.stringify(e["name"])} is used by another token; token names must be unique`;
    tokens.push({ name: e["name"], hash: fromHex(e["sha256"]), scopes: grant.scopes, policy: policy.value, maxTtlSeconds: grant.maxTtlSeconds });
  }
  return {
    names: tokens.map((t) => t.name),
    async findByHash(hash) {
      // Compare against every entry so the time taken does not reveal which one matched.
      let found: StoredToken | null = null;
      for (const t of tokens) if (timingSafeEqual(t.hash, hash) && found === null) found = t;
      return found;
    },
  };
}

/** A new API token: the secret shown once, and the entry (its hash) that goes into API_TOKENS. */
export interface NewToken {
  token: string;
  entry: { name: string; sha256: string; scopes: Scope[]; allow: string[]; max_ttl?: string };
}

/** Creates a token of 256 random bits, prefixed so secret scanners can recognise it. */
export async function createToken(name: string, scopes: Scope[], allow: string[], maxTtl?: string): Promise<NewToken> {
  const token = `edgeca_${toBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const hash = toHex(await sha256(utf8(token)));
  return { token, entry: { name, sha256: hash, scopes, allow, ...(maxTtl ? { max_ttl: maxTtl } : {}) } };
}
