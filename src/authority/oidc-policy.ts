/**
 * The pure half of workload identity: matching a verified token's claims
 * against the OIDC trust policies (parsed from OIDC_TRUST by
 * src/config/oidc-trust.ts) and filling name placeholders from claims.
 * Modelled on Vault's JWT auth (bound_claims with globs, templated policies)
 * and step-ca's OIDC provisioners. No I/O, no clock: the signature and
 * time checks live in ./authenticate.ts, the keys in src/store/oidc-keys.ts.
 */
import { claimPath, PLACEHOLDER, type ClaimCondition, type TrustPolicy } from "../config/oidc-trust.ts";
import { compileNamePolicy, type NamePolicy } from "../pki/name-policy.ts";
import type { Principal } from "../store/types.ts";

export type { ClaimCondition, TrustPolicy } from "../config/oidc-trust.ts";

/** A claim that fills a placeholder must be exactly one DNS label, so it can never widen a pattern (no dot, no `*`). */
const LABEL = /^[A-Za-z0-9-]{1,63}$/;
/** JWS algorithms OIDC_TRUST keys may use: asymmetric only (RFC 7518 §3.1; RFC 8037 for EdDSA). */
export const ASYMMETRIC_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"] as const;

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
 * The principal of the first policy (in OIDC_TRUST order) whose key source
 * verified the token (`verifiedBy`, the keySource ids whose keys verified its
 * signature) and whose issuer, audience and claims all match, with its
 * `allow` filled from the claims; or why there is none. A policy whose keys
 * did not verify the token is never considered, however its claims match:
 * two clusters share the issuer and `sub` shape, only their keys differ.
 * Policies sharing issuer and key source are told apart by their claims,
 * the first in order winning.
 */
export function selectPolicy(
  policies: readonly TrustPolicy[],
  claims: Record<string, unknown>,
  subject: string,
  verifiedBy: ReadonlySet<string>,
): { ok: true; principal: Principal } | { ok: false; refusal: PolicyRefusal } {
  const tried: string[] = [];
  let audienceMatched = false;
  for (const p of policies) {
    if (p.issuer !== claims["iss"] || !verifiedBy.has(p.keySource)) continue;
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
