/**
 * An OIDC trust policy with an inline JWKS (as for a cluster whose issuer is
 * not reachable) and real RS256/ES256 keys made by jose inside workerd, plus
 * the claims of a Kubernetes projected service-account token.
 */
import { exportJWK, generateKeyPair, SignJWT } from "jose";

export const OIDC_ISSUER = "https://kubernetes.default.svc.cluster.local";
export const OIDC_AUDIENCE = "https://ca.example.com";

export interface InlineTrust {
  /** The OIDC_TRUST value: policy "zone-cp" (issue, read, revoke; kuma-control-plane.{namespace}.svc; max 30d). */
  OIDC_TRUST: string;
  sign(claims: Record<string, unknown>, alg?: "RS256" | "ES256"): Promise<string>;
}

export async function inlineTrust(): Promise<InlineTrust> {
  const rsa = await generateKeyPair("RS256", { extractable: true });
  const ec = await generateKeyPair("ES256", { extractable: true });
  const jwks = { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" }, { ...(await exportJWK(ec.publicKey)), kid: "ec-1", use: "sig" }] };
  return {
    OIDC_TRUST: JSON.stringify([
      {
        name: "zone-cp",
        issuer: OIDC_ISSUER,
        audience: OIDC_AUDIENCE,
        jwks,
        claims: { "/kubernetes.io/serviceaccount/name": "kuma-control-plane" },
        scopes: ["issue", "read", "revoke"],
        allow: ["kuma-control-plane.{/kubernetes.io/namespace}.svc"],
        max_ttl: "30d",
      },
    ]),
    sign: (claims, alg = "RS256") =>
      new SignJWT(claims).setProtectedHeader({ alg, kid: alg === "RS256" ? "rsa-1" : "ec-1", typ: "JWT" }).sign(alg === "RS256" ? rsa.privateKey : ec.privateKey),
  };
}

/** A projected service-account token's claims (kubernetes.io "Service account token volume projection"). */
export function k8sClaims(namespace: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const t = Math.floor(Date.now() / 1000);
  return {
    aud: [OIDC_AUDIENCE],
    iss: OIDC_ISSUER,
    iat: t,
    nbf: t,
    exp: t + 3600,
    jti: crypto.randomUUID(),
    sub: `system:serviceaccount:${namespace}:kuma-control-plane`,
    "kubernetes.io": { namespace, serviceaccount: { name: "kuma-control-plane", uid: "5a2c1b0d" }, pod: { name: "kuma-control-plane-7f9c4-secretpod", uid: "0c1f7e3a" } },
    ...extra,
  };
}

/** One Kubernetes cluster's service-account signing key, published as an inline JWKS (`kubectl get --raw /openid/v1/jwks`). */
export interface ClusterKey {
  jwks: { keys: Record<string, unknown>[] };
  sign(claims: Record<string, unknown>): Promise<string>;
}

/**
 * A cluster's RS256 key. Every cluster has the same default issuer; the kid is
 * given so two clusters can publish the same kid for different keys.
 */
export async function clusterKey(kid: string): Promise<ClusterKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  return {
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" }] },
    sign: (claims) => new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid, typ: "JWT" }).sign(privateKey),
  };
}
