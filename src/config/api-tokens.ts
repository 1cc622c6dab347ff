/**
 * API_TOKENS (a secret): a JSON array of
 *   { "name": "zone-a-pipeline", "sha256": "<hex of SHA-256(token)>",
 *     "scopes": ["issue"], "allow": ["*.zone-a.mesh.example.com", "10.0.0.0/8"],
 *     "max_ttl": "30d" }
 * parsed and checked once per isolate into the token list the token store
 * searches (src/store/secret-tokens.ts). A bad entry makes the whole secret
 * invalid (fail closed) with a message naming the entry.
 */
import { fromHex } from "../pki/bytes.ts";
import { compileNamePolicy, type NamePolicy } from "../pki/name-policy.ts";
import { parseGrant, parseJsonArray, type Scope } from "./grant.ts";

/** One API token as configured: never the token itself, only its SHA-256. */
export interface ApiToken {
  name: string;
  hash: Uint8Array;
  scopes: ReadonlySet<Scope>;
  policy: NamePolicy;
  maxTtlSeconds: number | undefined;
}

let cached: { source: string; value: readonly ApiToken[] | string } | undefined;

/** The tokens of API_TOKENS, or a message saying what is wrong with it; parsed once for the same text. */
export function apiTokensFromSecret(source: string | undefined): readonly ApiToken[] | string {
  const text = source ?? "";
  if (cached?.source === text) return cached.value;
  const value = parseApiTokens(text);
  cached = { source: text, value };
  return value;
}

export function parseApiTokens(text: string): ApiToken[] | string {
  if (text.trim() === "") return "API_TOKENS is not set: create a token with `npm run token:create` and store the printed entry";
  const raw = parseJsonArray(text, "API_TOKENS", "token entries");
  if (typeof raw === "string") return raw;
  const tokens: ApiToken[] = [];
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
  return tokens;
}
