/**
 * Storage interfaces the authority depends on. Implementations live beside
 * this file (secrets today; KV and D1 as they are added).
 */
import type { NamePolicy } from "../pki/name-policy.ts";

export const SCOPES = ["issue", "sign", "verify", "read", "revoke", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** An API token as stored: never the token itself, only its SHA-256. */
export interface TokenRecord {
  name: string;
  scopes: ReadonlySet<Scope>;
  policy: NamePolicy;
  /** Per-token ceiling on certificate lifetime, below the service maximum. */
  maxTtlSeconds: number | undefined;
}

export interface TokenStore {
  /** Finds the token whose SHA-256 equals `hash`, comparing in constant time. */
  findByHash(hash: Uint8Array): Promise<TokenRecord | null>;
}
