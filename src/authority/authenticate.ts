/**
 * Who is calling: a bearer credential → the one Principal type. An API token
 * is looked up by its SHA-256; a value shaped like a JWS compact token
 * (RFC 7515 §7.1) is an OIDC ID token from a workload (GitHub Actions, GitLab
 * CI, a Kubernetes projected service-account token), verified with jose
 * against the keys of the trust policies of its issuer and matched to the
 * first OIDC_TRUST policy whose own keys verified it and whose issuer,
 * audience and claims hold (every Kubernetes cluster shares one issuer: only
 * the keys tell cluster A from cluster B). Each refusal says
 * which check failed, never what the token holds.
 */
import type { JWTPayload, JWTVerifyOptions } from "jose";
import { ApiError } from "../errors.ts";
import { sha256, utf8 } from "../pki/bytes.ts";
import type { OidcKeySource, Principal, TokenStore } from "../store/types.ts";
import type { TrustPolicy } from "../config/oidc-trust.ts";
import { ASYMMETRIC_ALGS, selectPolicy } from "./oidc-policy.ts";

/** Turns a bearer credential into a principal, or throws the 401/503 ApiError that says why not. */
export interface Authenticator {
  authenticate(credential: string, now: Date): Promise<Principal>;
}

const REALM = 'Bearer realm="edgeca"';
/** jose is loaded on the first OIDC token: API-token callers and cold starts never evaluate it. */
const jose = () => import("../store/jose-subset.ts");
/** RFC 7519 §4.1.4 / §4.1.5: leeway for clocks that drift (a minute, as Vault and Kubernetes allow). */
export const CLOCK_SKEW_SECONDS = 60;
/** The longest lifetime (exp − iat) accepted: projected tokens default to 1 h, CI tokens live minutes. */
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;
/** GitHub's tokens are ~1.5 KB, Kubernetes' ~1 KB; a token far larger is not one of them. */
export const MAX_JWT_LENGTH = 8192;
/** Longest `sub` recorded (GitHub's for an environment is ~100 characters). */
const MAX_SUBJECT_LENGTH = 255;
/** Longest API token (edgeca tokens are 50 characters). */
const MAX_API_TOKEN_LENGTH = 512;

/** Three base64url segments, the first a JSON object ("eyJ" is base64url of '{"'). API tokens contain no dots. */
export function looksLikeJwt(credential: string): boolean {
  return credential.startsWith("eyJ") && credential.split(".").length === 3;
}

function invalidToken(detail: string): ApiError {
  return new ApiError("invalid_token", detail, { headers: { "WWW-Authenticate": `${REALM}, error="invalid_token"` } });
}

export function tokenAuthenticator(tokens: TokenStore | string): Authenticator {
  return {
    async authenticate(credential) {
      if (typeof tokens === "string") throw new ApiError("config_invalid", tokens);
      const principal = credential.length > MAX_API_TOKEN_LENGTH ? null : await tokens.findByHash(await sha256(utf8(credential)));
      if (!principal) throw new ApiError("unauthorized", "the bearer token is not known", { headers: { "WWW-Authenticate": `${REALM}, error="invalid_token"` } });
      return principal;
    },
  };
}

export function oidcAuthenticator(trust: readonly TrustPolicy[] | string, keys: OidcKeySource): Authenticator {
  return {
    async authenticate(jwt, now) {
      if (typeof trust === "string") throw new ApiError("config_invalid", trust);
      if (trust.length === 0) throw invalidToken("this service trusts no OIDC issuer (OIDC_TRUST is not set): send an API token");
      if (jwt.length > MAX_JWT_LENGTH) throw invalidToken(`the token is longer than ${MAX_JWT_LENGTH} characters`);
      const { decodeJwt, decodeProtectedHeader, jwtVerify } = await jose();
      const { header, claims } = decodeUnverified(jwt, decodeProtectedHeader, decodeJwt);
      const nowSeconds = Math.floor(now.getTime() / 1000);
      precheck(header.alg, claims);
      // Keys come only from the policies' configured issuers: a token's iss never chooses a URL to fetch.
      const candidates = trust.filter((p) => p.issuer === claims.iss);
      if (candidates.length === 0) throw invalidToken("the token's issuer is not trusted by any OIDC_TRUST policy");
      const { payload: verified, verifiedBy } = await verify(jwt, header, candidates, keys, now, jwtVerify);
      const iat = verified.iat!;
      if (iat > nowSeconds + CLOCK_SKEW_SECONDS) throw invalidToken("the token is not yet valid (iat is in the future)");
      const subject = verified.sub;
      if (typeof subject !== "string" || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH) {
        throw invalidToken(`the token's sub claim must be a string of 1 to ${MAX_SUBJECT_LENGTH} characters`);
      }
      const selected = selectPolicy(candidates, verified as Record<string, unknown>, subject, verifiedBy);
      if (selected.ok) return selected.principal;
      const refusal = selected.refusal;
      switch (refusal.reason) {
        case "audience_mismatch":
          throw invalidToken(`the token's audience is not the one its issuer's OIDC_TRUST policies expect (policies tried: ${refusal.tried.join(", ")})`);
        case "no_policy_matched":
          throw invalidToken(`no OIDC_TRUST policy's claims match the token (policies tried: ${refusal.tried.join(", ")})`);
        case "placeholder_invalid":
          throw invalidToken(`the claim ${JSON.stringify(refusal.claim)} cannot fill a name placeholder of policy "${refusal.policy}": it must be one DNS label (letters, digits, hyphens, at most 63)`);
      }
    },
  };
}

interface Unverified {
  header: { alg: unknown; kid: unknown };
  claims: JWTPayload;
}

type Jose = Awaited<ReturnType<typeof jose>>;

function decodeUnverified(jwt: string, decodeProtectedHeader: Jose["decodeProtectedHeader"], decodeJwt: Jose["decodeJwt"]): Unverified {
  try {
    const header = decodeProtectedHeader(jwt);
    const claims = decodeJwt(jwt);
    return { header: { alg: header.alg, kid: header.kid }, claims };
  } catch {
    throw invalidToken("the token is not a well-formed JWT (RFC 7519 §7.2)");
  }
}

/** Refusals that need no key: they come first so a misconfigured caller learns the real problem, and no key is fetched for them. */
function precheck(alg: unknown, claims: JWTPayload): void {
  if (typeof alg !== "string" || !(ASYMMETRIC_ALGS as readonly string[]).includes(alg)) {
    // "none" (RFC 7518 §3.6) and HMAC (which would let a public key serve as the shared secret) are never accepted.
    throw invalidToken(`the token's algorithm is not accepted: only asymmetric signatures (${ASYMMETRIC_ALGS.join(", ")})`);
  }
  if (claims.exp === undefined) {
    throw invalidToken(
      "the token has no exp claim: legacy service-account token Secrets never expire and are not accepted; mount a projected service-account token with an audience instead",
    );
  }
  for (const claim of ["iss", "aud", "iat"] as const) if (claims[claim] === undefined) throw invalidToken(`the token has no ${claim} claim`);
  if (typeof claims.exp !== "number" || typeof claims.iat !== "number") throw invalidToken("the token's exp and iat claims must be numbers (RFC 7519 §2 NumericDate)");
  if (claims.exp - claims.iat > MAX_TOKEN_LIFETIME_SECONDS) {
    throw invalidToken("the token's lifetime (exp − iat) is longer than 24 h: use a short-lived token, e.g. a projected service-account token (expirationSeconds ≤ 86400)");
  }
  if (typeof claims.iss !== "string") throw invalidToken("the token's iss claim must be a string");
}

/**
 * Verifies signature and times with the keys of each distinct key source
 * among the candidates (usually one per cluster or CI issuer), and returns
 * every source whose keys verified it: the policy is then chosen among the
 * policies of those sources only. Every source is tried, not just the first
 * that verifies, so two sources that publish the same key both count; a kid
 * absent from a source costs a map lookup, and fetch failures are cached.
 */
async function verify(
  jwt: string,
  header: Unverified["header"],
  candidates: readonly TrustPolicy[],
  keys: OidcKeySource,
  now: Date,
  jwtVerify: Jose["jwtVerify"],
): Promise<{ payload: JWTPayload; verifiedBy: Set<string> }> {
  const seen = new Set<string>();
  const verifiedBy = new Set<string>();
  let payload: JWTPayload | undefined;
  let refusal: ApiError | undefined;
  for (const policy of candidates) {
    if (seen.has(policy.keySource)) continue;
    seen.add(policy.keySource);
    const found = await keys.key(policy.keys, { alg: header.alg as string, kid: typeof header.kid === "string" ? header.kid : undefined }, now.getTime());
    if (!found.ok) {
      switch (found.reason) {
        case "unknown_key":
          refusal ??= invalidToken("the token's key (kid) is not among the issuer's current keys");
          continue;
        case "alg_mismatch":
          refusal ??= invalidToken("the token's algorithm does not match its key");
          continue;
        case "unavailable":
          refusal ??= new ApiError("identity_provider_unavailable", `the keys for trust policy "${policy.name}" cannot be fetched (${found.detail}); retry later`, {
            headers: { "Retry-After": String(found.retryAfterSeconds) },
          });
          continue;
      }
    }
    for (const key of found.keys.slice(0, 4)) {
      try {
        ({ payload } = await jwtVerify(jwt, key, { ...VERIFY_OPTIONS, currentDate: now }));
        verifiedBy.add(policy.keySource);
        break;
      } catch (e) {
        if (joseCode(e) !== "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") throw describe(e);
        if (payload === undefined) refusal = describe(e);
      }
    }
  }
  if (payload !== undefined) return { payload, verifiedBy };
  throw refusal ?? invalidToken("the token could not be verified");
}

const VERIFY_OPTIONS = {
  algorithms: [...ASYMMETRIC_ALGS],
  clockTolerance: CLOCK_SKEW_SECONDS,
  requiredClaims: ["iss", "aud", "exp", "iat"],
} as const satisfies Omit<JWTVerifyOptions, "currentDate">;

/** jose's error code (its errors carry a stable `code`, e.g. ERR_JWT_EXPIRED). */
function joseCode(e: unknown): unknown {
  return (e as { code?: unknown } | null)?.code;
}

function describe(e: unknown): ApiError {
  switch (joseCode(e)) {
    case "ERR_JWT_EXPIRED":
      return invalidToken("the token has expired");
    case "ERR_JWT_CLAIM_VALIDATION_FAILED": {
      const { claim, reason } = e as { claim: string; reason: string };
      if (claim === "nbf") return invalidToken("the token is not yet valid (nbf is in the future)");
      return invalidToken(`the token's ${claim} claim is not valid (${reason})`);
    }
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return invalidToken("the token's signature does not verify");
    case "ERR_JOSE_ALG_NOT_ALLOWED":
    case "ERR_JOSE_NOT_SUPPORTED":
      return invalidToken("the token's algorithm does not match its key");
  }
  // jose throws TypeError for claims of the wrong type (e.g. a numeric sub): still the caller's token, still 401.
  return invalidToken("the token is not a well-formed JWT (RFC 7519 §7.2)");
}

/** Dispatches on the credential's shape: a JWS compact token goes to OIDC, anything else is an API token. */
export function bearerAuthenticator(tokens: Authenticator, oidc: Authenticator): Authenticator {
  return {
    authenticate: (credential, now) => (looksLikeJwt(credential) ? oidc : tokens).authenticate(credential, now),
  };
}
