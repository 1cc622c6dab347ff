/**
 * OIDC_TRUST (a secret): a JSON array of trust policies (workload identity,
 * docs/identity.md "Workload identity"), parsed and checked once per isolate into
 * TrustPolicy values. Modelled on Vault's JWT auth (bound_claims with globs,
 * templated policies) and step-ca's OIDC provisioners. Matching a verified
 * token against the policies is src/authority/oidc-policy.ts; the keys are
 * fetched by src/store/oidc-keys.ts.
 */
import { checkPublicKeySet } from "../pki/jwk-set.ts";
import { compileGlob, type Glob } from "../pki/glob.ts";
import { compileNamePolicy, type NamePolicy } from "../pki/name-policy.ts";
import { parseGrant, parseJsonArray, type Scope } from "./grant.ts";

/** Where an OIDC issuer's keys come from: its discovery document, a JWKS URL, or an inline JWKS. */
export type KeyLocation =
  | { issuer: string; jwksUri?: undefined; jwks?: undefined }
  | { issuer: string; jwksUri: string; jwks?: undefined }
  | { issuer: string; jwksUri?: undefined; jwks: { keys: Record<string, unknown>[] } };

/** A claim condition: the claim (a name, or an RFC 6901 JSON Pointer for nested claims) and the values it may take. */
export interface ClaimCondition {
  claim: string;
  /** Exact values and globs (`*` matches any run of characters, `/` and `:` included), matched in linear time. */
  patterns: Glob[];
}

export interface TrustPolicy {
  name: string;
  issuer: string;
  audience: string;
  keys: KeyLocation;
  /**
   * The identity of `keys` (the inline JWKS's text, the jwks_uri, or the
   * issuer's discovery): a token can only select a policy whose own key
   * source verified it, since every Kubernetes cluster shares one `iss`.
   */
  keySource: string;
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

/** A `{claim}` or `{/json/pointer}` placeholder in an `allow` pattern. */
export const PLACEHOLDER = /\{([^{}]*)\}/g;

let cached: { source: string | undefined; tokens: readonly { name: string }[]; value: TrustPolicy[] | string } | undefined;

/**
 * Parses OIDC_TRUST, once per isolate for the same text and token list: the
 * policies (empty when unset), or a message naming the entry and field that
 * are wrong. `tokens` are API_TOKENS' entries, whose names a policy may not
 * reuse (they key the same records).
 */
export function oidcTrustFromSecret(source: string | undefined, tokens: readonly { name: string }[]): TrustPolicy[] | string {
  if (cached && cached.source === source && cached.tokens === tokens) return cached.value;
  const value = parseTrustPolicies(source, tokens.map((t) => t.name));
  cached = { source, tokens, value };
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

  if (e["acme"] !== undefined && typeof e["acme"] !== "boolean") return `${where}.acme must be true or false`;

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
    keySource: keySourceId(keys),
    claims,
    scopes: grant.scopes,
    allow: grant.allow,
    fixedPolicy: placeholders.length === 0 ? fixed(grant.allow) : undefined,
    maxTtlSeconds: grant.maxTtlSeconds,
    acme: e["acme"] === true,
  };
}

/** Equal for two policies that trust the same keys: the same inline key set (as JSON text), the same jwks_uri, or discovery of the same issuer. */
export function keySourceId(keys: KeyLocation): string {
  if (keys.jwks !== undefined) return `jwks:${JSON.stringify(keys.jwks)}`;
  if (keys.jwksUri !== undefined) return `jwks_uri:${keys.jwksUri}`;
  return `discovery:${keys.issuer}`;
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
    out.push({ claim, patterns: (list as string[]).map(compileGlob) });
  }
  // An issuer such as GitHub's signs tokens for every repository in the world: without a condition, any of them would do.
  if (out.length === 0) return `${where} must hold at least one condition (e.g. "sub"): an issuer and audience alone match every tenant of a shared issuer`;
  return out;
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
