/**
 * An ACME account acts for the edgeca principal that created its EAB
 * credential, with that principal's CURRENT policy (architecture: "an
 * account is a principal"): the binding is frozen when the EAB is created,
 * and re-resolved against API_TOKENS / OIDC_TRUST on every request, as a
 * bearer token is.
 */
import { ApiError } from "../../errors.ts";
import { AcmeProblem } from "../../pki/acme/problem.ts";
import { fromHex } from "../../pki/bytes.ts";
import type { AcmePrincipalBinding, Principal, TokenStore } from "../../store/types.ts";
import { fillAllowFrozen, type TrustPolicy } from "../oidc-policy.ts";
import { describePrincipal, hasScope } from "../policy.ts";

/**
 * The binding an EAB credential carries: an API token by name and SHA-256
 * (`tokenSha256`, hex, of the credential presented), an OIDC caller by trust
 * policy, `sub` and placeholder values, until now + `oidcAccountTtlSeconds`
 * (a minutes-long token must not become a permanent credential).
 */
export function bindingFor(principal: Principal, tokenSha256: string | null, trust: readonly TrustPolicy[] | string, now: Date, oidcAccountTtlSeconds: number): AcmePrincipalBinding {
  if (principal.subject === undefined) {
    if (tokenSha256 === null) throw new ApiError("unauthorized", "an API token is required");
    return { kind: "token", name: principal.name, sha256: tokenSha256 };
  }
  const policy = typeof trust === "string" ? undefined : trust.find((p) => p.name === principal.name);
  if (!policy?.acme) {
    throw new ApiError("insufficient_scope", `${describePrincipal(principal)} does not allow ACME: set "acme": true in that OIDC_TRUST policy`);
  }
  return {
    kind: "oidc",
    policy: principal.name,
    issuer: policy.issuer,
    key_source: policy.keySource,
    subject: principal.subject,
    placeholders: { ...(principal.placeholders ?? {}) },
    expires_at: new Date(now.getTime() + oidcAccountTtlSeconds * 1000).toISOString(),
  };
}

/** The first claim condition a frozen value (sub, or a placeholder's claim) no longer meets, or null. */
function frozenClaimUnmet(policy: TrustPolicy, subject: string, placeholders: Readonly<Record<string, string>>): string | null {
  for (const c of policy.claims) {
    const value = c.claim === "sub" || c.claim === "/sub" ? subject : Object.hasOwn(placeholders, c.claim) ? placeholders[c.claim] : undefined;
    if (value !== undefined && !c.patterns.some((p) => p.test(value))) return `claim ${JSON.stringify(c.claim)} value ${JSON.stringify(value)}`;
  }
  return null;
}

function refused(detail: string): AcmeProblem {
  return new AcmeProblem("unauthorized", detail);
}

/** The principal an account acts for now, or 403 unauthorized saying which part of the binding no longer holds. */
export async function currentPrincipal(binding: AcmePrincipalBinding, tokens: TokenStore | string, trust: readonly TrustPolicy[] | string, now: Date): Promise<Principal> {
  let principal: Principal;
  if (binding.kind === "token") {
    if (typeof tokens === "string") throw new ApiError("config_invalid", tokens);
    // Looked up by the hash bound at creation: a token rotated under the same name no longer finds it.
    const found = /^[0-9a-f]{64}$/.test(binding.sha256) ? await tokens.findByHash(fromHex(binding.sha256)) : null;
    if (!found || found.name !== binding.name) throw refused(`the API token "${binding.name}" this account is bound to was removed or rotated; create a new EAB credential and account`);
    principal = found;
  } else {
    if (Date.parse(binding.expires_at) <= now.getTime()) throw refused(`this account, bound from an OIDC token of trust policy "${binding.policy}", expired at ${binding.expires_at}; create a new EAB credential and account`);
    if (typeof trust === "string") throw new ApiError("config_invalid", trust);
    const policy = trust.find((p) => p.name === binding.policy);
    if (!policy?.acme) throw refused(`the OIDC trust policy "${binding.policy}" this account is bound to no longer exists or no longer allows ACME`);
    // The name alone is not the policy: every Kubernetes cluster shares an issuer shape and only its keys tell
    // clusters apart (selectPolicy), so a name reused for another issuer or key source is another principal.
    // Bindings from before these fields were recorded have neither and are refused.
    if (binding.issuer !== policy.issuer || binding.key_source !== policy.keySource) {
      throw refused(`the OIDC trust policy "${binding.policy}" now trusts another issuer or other keys than when this account was bound; create a new EAB credential and account`);
    }
    // The claim conditions are re-checked only for the values frozen at binding (sub and the placeholders'
    // claims); the other claims of the token that created the EAB were not kept and cannot be re-checked
    // without a new token, so a narrowed condition on them takes effect when the account expires.
    const unmet = frozenClaimUnmet(policy, binding.subject, binding.placeholders);
    if (unmet !== null) throw refused(`the OIDC trust policy "${binding.policy}" no longer admits the ${unmet} this account was bound with`);
    const names = fillAllowFrozen(policy, binding.placeholders);
    if ("claim" in names) throw refused(`the OIDC trust policy "${binding.policy}" now needs the claim ${JSON.stringify(names.claim)}, which this account was not bound with`);
    principal = { name: policy.name, subject: binding.subject, scopes: policy.scopes, policy: names, maxTtlSeconds: policy.maxTtlSeconds, placeholders: binding.placeholders };
  }
  if (!hasScope(principal, "sign")) throw refused(`${describePrincipal(principal)} no longer has the "sign" scope`);
  return principal;
}
