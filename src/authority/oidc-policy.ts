/**
 * OIDC trust policies (the OIDC_TRUST secret) and the pure half of workload
 * identity: parsing and checking the policies once, matching a verified
 * token's claims against them, and filling name placeholders from claims.
 * Modelled on Vault's JWT auth (bound_claims with globs, templated policies)
 * and step-ca's OIDC provisioners. No I/O, no clock: the signature and
 * time checks live in ./authenticate.ts, the keys in src/store/oidc-keys.ts.
 */
import { compileNamePolicy, type NamePolicy } from "../pki/name-policy.ts";
import { parseGrant, parseJsonArray } from "../store/secret-tokens.ts";
import { checkPublicKeySet } from "../store/oidc-keys.ts";
import type { KeyLocation, Principal, Scope } from "../store/types.ts";

/** A claim condition: the claim (a name, or an RFC 6901 JSON Pointer for nested claims) and the values it may take. */
export interface ClaimCondition {
  claim: string;
  /** Exact values and globs (`*` matches any run of characters, `/` and `:` included). */
  patterns: RegExp[];
}

export interface TrustPolicy {
  name: string;
  issuer: string;
  audience: string;
  keys: KeyLocation;
  claims: ClaimCondition[];
  scopes: ReadonlySet<Scope>;
  /** Allow patterns, possibly with `{claim}` / `{/json/pointer}` placeholders. */
  allow: string[];
  /** The compiled name policy when `allow` has no placeholders (the same for every token). */
  fixedPolicy: NamePolicy | undefined;
  maxTtlSeconds: number | undefined;
  /** `"acme": true`: tokens of this policy may create ACME External Account Binding credentials (POST /v1/acme/eab). */
  acme: boolean;
}

/** A claim that fills a placeholder must be exactly one DNS label, so it can never widen a pattern (no dot, no `*`). */
const LABEL = /^[A-Za-z0-9-]{1,63}$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;
/** JWS algorithms OIDC_TRUST keys may use: asymmetric only (RFC 7518 §3.1; RFC 8037 for EdDSA). */
export const ASYMMETRIC_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"] as const;

let cached: { source: string | undefined; tokenNames: readonly string[]; value: TrustPolicy[] | string } | undefined;

/**
 * Parses OIDC_TRUST, once per isolate for the same text: the policies (empty
 * when unset), or a message naming the entry and field that are wrong.
 * `tokenNames` are API_TOKENS' names, which a policy may not reuse (they key the same records).
 */
export function oidcTrustFromSecret(source: string | undefined, tokenNames: readonly string[]): TrustPolicy[] | string {
  if (cached && cached.source === source && cached.tokenNames === tokenNames) return cached.value;
  const value = parseTrustPolicies(source, tokenNames);
  cached = { source, tokenNames, value };
  return value;
}

export function parseTrustPolicies(source: string | undefined, tokenNames: readonly string[] = []): TrustPolicy[] | string {
  if (source === undefined || source.trim() === "") return [];
  const raw = parseJsonArray(source, "OIDC_TRUST", "trust policies");
  if (typeof raw === "string") return raw;
  const policies: TrustPolicy[] = [];
  for (const [i, entry] of raw.entries()) {
    const policy = parseEntry(entry, `OIDC_TRUST[${i}]`);
    if (typeof policy === "string") return policy;
    if (policies.some((p) => p.name === policy.name) || tokenNames.includes(policy.name)) {
      return `OIDC_TRUST[${i}].name ${JSON.stringify(policy.name)} is used by another policy or API token; names key the ledger and must be unique`;
    }
    policies.push(policy);
  }
  return policies;
}

function isLoopback(url: URL): boolean {
  return url.hostname === "127.0.0.1" || url.hostname === "[::1]" || url.hostname === "localhost";
}

/** https, or http on loopback only (a local test issuer): keys fetched in clear text could be replaced on the way. */
function keyUrl(text: unknown): URL | null {
  if (typeof text !== "string") return null;
  try {
    const url = new URL(text);
    if (url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url))) return url;
  } catch {
    // not a URL
  }
  return null;
}

function parseEntry(entry: unknown, where: string): TrustPolicy | string {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return `${where} is not an object`;
  const e = entry as Record<string, unknown>;
  const known = new Set(["name", "issuer", "audience", "jwks_uri", "jwks", "claims", "scopes", "allow", "max_ttl", "acme"]);
  const unknown = Object.keys(e).find((k) => !known.has(k));
  // A misspelt field (say "claim") would silently drop a condition: refuse it.
  if (unknown !== undefined) return `${where}.${unknown} is not a trust policy field (${[...known].join(", ")})`;
  const name = e["name"];
  if (typeof name !== "string" || !/^[\x21-\x7e]{1,64}$/.test(name)) return `${where}.name must be 1 to 64 visible ASCII characters`;
  const issuer = e["issuer"];
  if (typeof issuer !== "string" || issuer.length === 0 || issuer.length > 512) return `${where}.issuer must be the exact iss of the tokens`;
  const audience = e["audience"];
  if (typeof audience !== "string" || audience.length === 0 || audience.length > 512) return `${where}.audience must be the aud value the tokens carry`;

  let keys: KeyLocation;
  if (e["jwks_uri"] !== undefined && e["jwks"] !== undefined) return `${where}.jwks_uri and ${where}.jwks are exclusive: give one`;
  if (e["jwks"] !== undefined) {
    const jwks = checkPublicKeySet(e["jwks"]);
    if (typeof jwks === "string") return `${where}.jwks is refused: ${jwks}`;
    keys = { issuer, jwks: e["jwks"] as { keys: Record<string, unknown>[] } };
  } else if (e["jwks_uri"] !== undefined) {
    const url = keyUrl(e["jwks_uri"]);
    if (!url) return `${where}.jwks_uri must be an https URL`;
    keys = { issuer, jwksUri: url.href };
  } else {
    // OpenID Connect Discovery 1.0 §4: the configuration lives at {issuer}/.well-known/openid-configuration.
    if (!keyUrl(issuer)) return `${where}.issuer must be an https URL for OpenID discovery, or give jwks_uri or jwks`;
    keys = { issuer };
  }

  if (e["acme"] !== undefined && typeof e["acme"] !== "boolean") return `${where}.acme must be true or false`;
  const claims = parseClaims(e["claims"], `${where}.claims`);
  if (typeof claims === "string") return claims;
  const grant = parseGrant(e, where);
  if (typeof grant === "string") return grant;
  // Check every pattern with its placeholders standing for a label, so a bad pattern fails here, not per request.
  const placeholders: string[] = [];
  for (const pattern of grant.allow) {
    for (const m of pattern.matchAll(PLACEHOLDER)) {
      if (claimPath(m[1]!) === null) return `${where}.allow has an invalid placeholder {${m[1]}} in ${JSON.stringify(pattern)}: use {claim} or {/json/pointer}`;
      placeholders.push(m[1]!);
    }
    const probe = compileNamePolicy([pattern.replace(PLACEHOLDER, "x")]);
    if (!probe.ok || /[{}]/.test(pattern.replace(PLACEHOLDER, ""))) return `${where}.allow has an invalid pattern ${JSON.stringify(pattern)}`;
  }
  return {
    name,
    issuer,
    audience,
    keys,
    claims,
    scopes: grant.scopes,
    allow: grant.allow,
    fixedPolicy: placeholders.length === 0 ? fixed(grant.allow) : undefined,
    maxTtlSeconds: grant.maxTtlSeconds,
    acme: e["acme"] === true,
  };
}

function fixed(allow: string[]): NamePolicy | undefined {
  const compiled = compileNamePolicy(allow);
  return compiled.ok ? compiled.value : undefined;
}

function parseClaims(raw: unknown, where: string): ClaimCondition[] | string {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return `${where} must be an object of claim conditions`;
  const out: ClaimCondition[] = [];
  for (const [claim, values] of Object.entries(raw)) {
    if (claimPath(claim) === null) return `${where} has an invalid claim name or JSON Pointer ${JSON.stringify(claim)}`;
    const list = typeof values === "string" ? [values] : values;
    if (!Array.isArray(list) || list.length === 0 || list.some((v) => typeof v !== "string" || v.length === 0)) {
      return `${where}[${JSON.stringify(claim)}] must be a string or a non-empty list of strings`;
    }
    out.push({ claim, patterns: (list as string[]).map(globPattern) });
  }
  // An issuer such as GitHub's signs tokens for every repository in the world: without a condition, any of them would do.
  if (out.length === 0) return `${where} must hold at least one condition (e.g. "sub"): an issuer and audience alone match every tenant of a shared issuer`;
  return out;
}

function globPattern(glob: string): RegExp {
  return new RegExp(`^${glob.split("*").map((part) => part.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&")).join(".*")}$`, "s");
}

/** A claim name as one path segment, or an RFC 6901 JSON Pointer ("/a/b", with ~1 for "/" and ~0 for "~"); null when malformed. */
export function claimPath(claim: string): string[] | null {
  if (claim.length === 0 || claim.length > 256) return null;
  if (!claim.startsWith("/")) return [claim];
  const segments = claim.slice(1).split("/");
  // RFC 6901 §3: "~" must be followed by 0 or 1.
  if (segments.some((s) => /~[^01]|~$/.test(s) || s === "")) return null;
  return segments.map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The value at a claim name or JSON Pointer, own properties only (never Object.prototype's). */
export function claimValue(claims: Record<string, unknown>, claim: string): unknown {
  const path = claimPath(claim);
  if (path === null) return undefined;
  let value: unknown = claims;
  for (const segment of path) {
    if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** Whether every condition holds. Only string claims can match: a number, list or object never does. */
export function claimsMatch(conditions: readonly ClaimCondition[], claims: Record<string, unknown>): boolean {
  return conditions.every((c) => {
    const value = claimValue(claims, c.claim);
    return typeof value === "string" && c.patterns.some((p) => p.test(value));
  });
}

/** Whether the token's aud (a string or a list, RFC 7519 §4.1.3) names the policy's audience. */
export function audienceMatches(aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}

export type PolicyRefusal =
  /** No policy of the token's issuer expects its audience. */
  | { reason: "audience_mismatch"; tried: string[] }
  /** The audience matched, the claims of none of those policies did. */
  | { reason: "no_policy_matched"; tried: string[] }
  | { reason: "placeholder_invalid"; policy: string; claim: string };

/**
 * The principal of the first policy (in OIDC_TRUST order) whose issuer,
 * audience and claims all match a verified token, with its `allow` filled
 * from the claims; or why there is none.
 */
export function selectPolicy(policies: readonly TrustPolicy[], claims: Record<string, unknown>, subject: string): { ok: true; principal: Principal } | { ok: false; refusal: PolicyRefusal } {
  const tried: string[] = [];
  let audienceMatched = false;
  for (const p of policies) {
    if (p.issuer !== claims["iss"]) continue;
    tried.push(p.name);
    if (!audienceMatches(claims["aud"], p.audience)) continue;
    audienceMatched = true;
    if (!claimsMatch(p.claims, claims)) continue;
    const policy = p.fixedPolicy ?? fillAllow(p, claims);
    if ("claim" in policy) return { ok: false, refusal: { reason: "placeholder_invalid", policy: p.name, claim: policy.claim } };
    const placeholders = p.fixedPolicy ? {} : placeholderValues(p, (claim) => claimValue(claims, claim));
    return { ok: true, principal: { name: p.name, subject, scopes: p.scopes, policy, maxTtlSeconds: p.maxTtlSeconds, placeholders } };
  }
  return { ok: false, refusal: { reason: audienceMatched ? "no_policy_matched" : "audience_mismatch", tried } };
}

/** Compiled policies of filled patterns, bounded: one entry per (policy, claim values), e.g. per namespace. */
const filledPolicies = new Map<string, NamePolicy>();
const FILLED_LIMIT = 256;

/** The value of every placeholder in the policy's patterns (what an ACME account freezes at binding). */
function placeholderValues(policy: Pick<TrustPolicy, "allow">, lookup: (claim: string) => unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pattern of policy.allow) {
    for (const m of pattern.matchAll(PLACEHOLDER)) {
      const value = lookup(m[1]!);
      if (typeof value === "string") out[m[1]!] = value;
    }
  }
  return out;
}

/** Fills `{claim}` placeholders; refuses (naming the claim) a value that is not exactly one DNS label. */
export function fillAllow(policy: Pick<TrustPolicy, "name" | "allow">, claims: Record<string, unknown>): NamePolicy | { claim: string } {
  return fillAllowWith(policy, (claim) => claimValue(claims, claim));
}

/**
 * The policy's name policy with its placeholders filled from values frozen
 * earlier (an ACME account's, at binding): the operator's current patterns, the
 * caller's values of then. A placeholder without a frozen value refuses.
 */
export function fillAllowFrozen(policy: Pick<TrustPolicy, "name" | "allow" | "fixedPolicy">, frozen: Readonly<Record<string, string>>): NamePolicy | { claim: string } {
  return policy.fixedPolicy ?? fillAllowWith(policy, (claim) => (Object.hasOwn(frozen, claim) ? frozen[claim] : undefined));
}

function fillAllowWith(policy: Pick<TrustPolicy, "name" | "allow">, lookup: (claim: string) => unknown): NamePolicy | { claim: string } {
  const filled: string[] = [];
  for (const pattern of policy.allow) {
    let bad: string | undefined;
    filled.push(
      pattern.replace(PLACEHOLDER, (_, claim: string) => {
        const value = lookup(claim);
        if (typeof value !== "string" || !LABEL.test(value)) bad ??= claim;
        return typeof value === "string" ? value.toLowerCase() : "";
      }),
    );
    if (bad !== undefined) return { claim: bad };
  }
  const key = `${policy.name}\n${filled.join("\n")}`;
  let compiled = filledPolicies.get(key);
  if (!compiled) {
    const result = compileNamePolicy(filled);
    // Unreachable for labels (the patterns compiled with a label at config time), but never widen on a surprise.
    if (!result.ok) return { claim: "(pattern)" };
    compiled = result.value;
    if (filledPolicies.size >= FILLED_LIMIT) filledPolicies.delete(filledPolicies.keys().next().value!);
    filledPolicies.set(key, compiled);
  }
  return compiled;
}
