/**
 * Request policy for issuance: which names a principal may have certified,
 * and how long a certificate may live. Policy decides; the PKI core builds.
 */
import type { Config } from "../config.ts";
import { ApiError } from "../errors.ts";
import { formatDuration, parseDuration } from "../pki/duration.ts";
import { MAX_COMMON_NAME } from "../pki/leaf-profile.ts";
import { describeNameProblem, normalizeNames, type SubjectName } from "../pki/names.ts";
import type { Principal as PrincipalType, Scope } from "../store/types.ts";

/** The authenticated caller: an API token or an OIDC workload (src/store/types.ts). */
export type Principal = PrincipalType;

/** How refusals name the caller: the token, or the trust policy (an OIDC token's claims stay out of responses). */
export function describePrincipal(principal: Principal): string {
  return principal.subject === undefined ? `token "${principal.name}"` : `trust policy "${principal.name}"`;
}

export const MAX_NAMES = 100;

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.has(scope) || principal.scopes.has("admin");
}

/** Normalizes requested names and checks them against the principal's allowed patterns. */
export function authorizeNames(principal: Principal, requested: readonly string[], pointer: string): SubjectName[] {
  if (requested.length === 0) throw new ApiError("no_names", "give at least one hostname or IP address");
  if (requested.length > MAX_NAMES) {
    throw new ApiError("validation_failed", `at most ${MAX_NAMES} names per certificate`, { errors: [{ pointer, detail: `${requested.length} names given, at most ${MAX_NAMES} allowed` }] });
  }
  const normalized = normalizeNames(requested);
  if (!normalized.ok) {
    // Each message names the name and, for a URL, a port or a path, the name to send instead.
    const details = normalized.error.map(describeNameProblem);
    throw new ApiError("invalid_hostname", `invalid names: ${details.join("; ")}`, {
      errors: normalized.error.map((p, i) => ({ pointer: `${pointer}/${requested.indexOf(p.name)}`, detail: details[i]! })),
    });
  }
  const refused = principal.policy.disallowed(normalized.value);
  if (refused.length > 0) {
    // Refuse the whole request: a certificate with some names silently dropped would fail at the TLS handshake instead.
    throw new ApiError("name_not_allowed", `${describePrincipal(principal)} may not obtain certificates for: ${refused.map((n) => n.value).join(", ")}`, {
      extensions: { names: refused.map((n) => n.value) },
    });
  }
  return normalized.value;
}

/** Resolves the requested lifetime against the service and token maximums. */
export function resolveTtl(config: Config, principal: Principal, ttl: string | undefined): number {
  const max = Math.min(config.maxTtlSeconds, principal.maxTtlSeconds ?? Infinity);
  if (ttl === undefined) return Math.min(config.defaultTtlSeconds, max);
  const parsed = parseDuration(ttl);
  if (!parsed.ok) {
    throw new ApiError("invalid_duration", `ttl ${JSON.stringify(ttl)} is not a duration such as "720h" or "90d"`, { errors: [{ pointer: "/ttl", detail: "expected digits followed by s, m, h or d" }] });
  }
  if (parsed.value > max) {
    throw new ApiError("ttl_too_long", `ttl ${ttl} exceeds the maximum of ${formatDuration(max)}`, { extensions: { max_ttl: formatDuration(max) }, errors: [{ pointer: "/ttl", detail: `at most ${formatDuration(max)}` }] });
  }
  return parsed.value;
}

/**
 * The subject CN: the caller's choice when given, else the profile default.
 * It must be one of the certificate's names, for client certificates too: a
 * CN is an identity many TLS clients and servers act on (CA/B BR §7.1.4.3),
 * and a token's allowed names must bound every identity it can obtain.
 */
export function resolveCommonName(commonName: string | undefined, names: readonly SubjectName[]): string | undefined {
  if (commonName === undefined) return undefined;
  const cn = commonName.trim().toLowerCase().replace(/\.$/, "");
  if (cn.length === 0 || cn.length > MAX_COMMON_NAME) {
    throw new ApiError("invalid_common_name", `common_name must be 1 to ${MAX_COMMON_NAME} characters`, { errors: [{ pointer: "/common_name", detail: "1 to 64 characters" }] });
  }
  if (!names.some((n) => n.value === cn)) {
    throw new ApiError("invalid_common_name", "common_name must be one of the certificate's names (after normalization)", { errors: [{ pointer: "/common_name", detail: "not among the hostnames" }] });
  }
  return cn;
}
