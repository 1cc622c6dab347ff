/**
 * TokenStore over the API_TOKENS list as src/config/api-tokens.ts parsed it,
 * and the making of new tokens (the CLI's `token create`, tests).
 */
import type { ApiToken } from "../config/api-tokens.ts";
import { sha256, timingSafeEqual, toBase64Url, toHex, utf8 } from "../pki/bytes.ts";
import type { Scope, TokenStore } from "./types.ts";

let cached: { tokens: readonly ApiToken[]; value: TokenStore } | undefined;

/** The token store over a parsed token list; the same store for the same list, so requests share it. */
export function secretTokenStore(tokens: readonly ApiToken[]): TokenStore {
  if (cached?.tokens === tokens) return cached.value;
  const value: TokenStore = {
    names: tokens.map((t) => t.name),
    async findByHash(hash) {
      // Compare against every entry so the time taken does not reveal which one matched.
      let found: ApiToken | null = null;
      for (const t of tokens) if (timingSafeEqual(t.hash, hash) && found === null) found = t;
      return found;
    },
  };
  cached = { tokens, value };
  return value;
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
