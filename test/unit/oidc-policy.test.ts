/**
 * OIDC trust policies (pure): OIDC_TRUST parsing with entry+field messages,
 * claim conditions (names, RFC 6901 pointers, globs), placeholder filling
 * that can never widen a pattern, first-match order; and the key source's
 * timing rules against a real loopback issuer with the clock passed in.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimValue, selectPolicy } from "../../src/authority/oidc-policy.ts";
import { claimPath, parseTrustPolicies, type TrustPolicy } from "../../src/config/oidc-trust.ts";
import { normalizeNames } from "../../src/pki/names.ts";
import { createOidcKeySource, KEYS_TTL_MS, MAX_STALE_MS, UNKNOWN_KID_INTERVAL_MS } from "../../src/store/oidc-keys.ts";
import { signingKey, startOidcServer, type OidcServer } from "../helpers/oidc-issuer.ts";

function names(list: string[]) {
  const r = normalizeNames(list);
  if (!r.ok) throw new Error("bad test names");
  return r.value;
}

const base = { name: "gh", issuer: "https://token.actions.githubusercontent.com", audience: "https://ca.example.com", claims: { sub: "repo:example/infra:*" }, scopes: ["issue"], allow: ["*.mesh.example.com"] };
/** Every policy's key source, as if each had verified the token. */
const sources = (policies: readonly TrustPolicy[]) => new Set(policies.map((p) => p.keySource));
const parse = (entries: unknown[]) => parseTrustPolicies(JSON.stringify(entries), ["zone-a-pipeline"]);

describe("OIDC_TRUST parsing", () => {
  it("accepts a GitHub policy and an inline-JWKS Kubernetes policy with a placeholder", async () => {
    const k = await signingKey("ES256");
    const policies = parse([base, { ...base, name: "k8s", issuer: "https://kubernetes.default.svc", jwks: { keys: [k.publicJwk] }, allow: ["cp.{/kubernetes.io/namespace}.svc"] }]);
    expect(typeof policies).not.toBe("string");
    expect((policies as TrustPolicy[]).map((p) => p.name)).toEqual(["gh", "k8s"]);
  });

  it.each([
    [[{ ...base, name: "" }], "OIDC_TRUST[0].name"],
    [[base, base], "OIDC_TRUST[1].name"],
    [[{ ...base, name: "zone-a-pipeline" }], "OIDC_TRUST[0].name"],
    [[{ ...base, audience: 1 }], "OIDC_TRUST[0].audience"],
    [[{ ...base, issuer: "http://idp.example.com" }], "OIDC_TRUST[0].issuer"],
    [[{ ...base, jwks_uri: "http://idp.example.com/keys" }], "OIDC_TRUST[0].jwks_uri"],
    [[{ ...base, claims: {} }], "OIDC_TRUST[0].claims"],
    [[{ ...base, claims: { sub: 1 } }], "OIDC_TRUST[0].claims"],
    [[{ ...base, claims: { "/a~2": "x" } }], "OIDC_TRUST[0].claims"],
    [[{ ...base, scopes: ["root"] }], "OIDC_TRUST[0].scopes"],
    [[{ ...base, allow: ["{sub}..example.com"] }], "OIDC_TRUST[0].allow"],
    [[{ ...base, allow: ["cp.{}.svc"] }], "OIDC_TRUST[0].allow"],
    [[{ ...base, max_ttl: "forever" }], "OIDC_TRUST[0].max_ttl"],
    [[{ ...base, claim: { sub: "x" } }], "OIDC_TRUST[0].claim"],
    [[{ ...base, jwks: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } }], "OIDC_TRUST[0].jwks"],
  ])("rejects %j naming %s", (entries, where) => {
    const result = parse(entries);
    expect(typeof result).toBe("string");
    expect(result).toContain(where);
  });

  it("rejects a JWKS with private members, naming the member", async () => {
    const k = await signingKey("RS256");
    expect(parse([{ ...base, jwks: { keys: [k.privateJwk] } }])).toMatch(/OIDC_TRUST\[0\]\.jwks .*private key members/);
  });
});

describe("claims and placeholders", () => {
  const claims = { iss: base.issuer, aud: [base.audience], sub: "repo:example/infra:ref:refs/heads/main", ref: "refs/tags/v1.2.0", n: 5, "kubernetes.io": { namespace: "Zone-A", "a/b": "slash" } };

  it("reads claim names and RFC 6901 pointers (~1 is /), own properties only", () => {
    expect(claimPath("/kubernetes.io/a~1b")).toEqual(["kubernetes.io", "a/b"]);
    expect(claimValue(claims, "/kubernetes.io/a~1b")).toBe("slash");
    expect(claimValue(claims, "/kubernetes.io/namespace")).toBe("Zone-A");
    expect(claimValue(claims, "constructor")).toBeUndefined();
    expect(claimValue(claims, "/sub/length")).toBeUndefined();
  });

  it("matches globs, lists, and only strings; the first matching policy in order wins", () => {
    const policies = parse([
      { ...base, name: "tags", claims: { ref: ["refs/heads/main", "refs/tags/v*"], n: "5" } },
      { ...base, name: "main", claims: { sub: "repo:example/infra:ref:refs/heads/*" } },
      { ...base, name: "any", claims: { sub: "*" } },
    ]) as TrustPolicy[];
    const picked = selectPolicy(policies, claims, claims.sub, sources(policies));
    expect(picked.ok && picked.principal).toMatchObject({ name: "main", subject: claims.sub });
    const none = selectPolicy(policies.slice(0, 1), claims, claims.sub, sources(policies));
    expect(none).toEqual({ ok: false, refusal: { reason: "no_policy_matched", tried: ["tags"] } });
    expect(selectPolicy(policies, { ...claims, aud: ["https://other.example"] }, claims.sub, sources(policies))).toEqual({ ok: false, refusal: { reason: "audience_mismatch", tried: ["tags", "main", "any"] } });
  });

  it("selects only among policies whose own key source verified the token (issue 21, finding 1); same source: claims and order decide", async () => {
    const [ka, kb] = [await signingKey("ES256"), await signingKey("ES256")];
    const k8s = { ...base, issuer: "https://kubernetes.default.svc.cluster.local", claims: { sub: "system:serviceaccount:kuma-system:kuma-control-plane" } };
    const kubeClaims = { ...claims, iss: k8s.issuer, sub: k8s.claims.sub };
    const policies = parse([
      { ...k8s, name: "zone-a-cp", jwks: { keys: [ka.publicJwk] }, allow: ["kds.zone-a.mesh.example.com"] },
      { ...k8s, name: "zone-b-cp", jwks: { keys: [kb.publicJwk] }, allow: ["kds.zone-b.mesh.example.com"] },
      { ...k8s, name: "zone-b-other", jwks: { keys: [kb.publicJwk] }, claims: { sub: "*" }, allow: ["other.zone-b.mesh.example.com"] },
    ]) as TrustPolicy[];
    const [a, b, b2] = policies;
    expect(a!.keySource).not.toBe(b!.keySource);
    // The same key set written twice is one source.
    expect(b2!.keySource).toBe(b!.keySource);
    const byB = selectPolicy(policies, kubeClaims, kubeClaims.sub, new Set([b!.keySource]));
    expect(byB.ok && byB.principal.name).toBe("zone-b-cp");
    const byA = selectPolicy(policies, kubeClaims, kubeClaims.sub, new Set([a!.keySource]));
    expect(byA.ok && byA.principal.name).toBe("zone-a-cp");
    expect(selectPolicy(policies, kubeClaims, kubeClaims.sub, new Set())).toEqual({ ok: false, refusal: { reason: "audience_mismatch", tried: [] } });
    const otherSub = selectPolicy(policies, { ...kubeClaims, sub: "system:serviceaccount:x:y" }, "system:serviceaccount:x:y", new Set([b!.keySource]));
    expect(otherSub.ok && otherSub.principal.name).toBe("zone-b-other");
  });

  it.each([["a.b"], ["*"], [""], ["x".repeat(64)], [7], [null]])("refuses %j as a placeholder value", (ns) => {
    const [p] = parse([{ ...base, allow: ["cp.{/kubernetes.io/namespace}.svc"] }]) as TrustPolicy[];
    const r = selectPolicy([p!], { ...claims, "kubernetes.io": { namespace: ns } }, claims.sub, sources([p!]));
    expect(r).toEqual({ ok: false, refusal: { reason: "placeholder_invalid", policy: "gh", claim: "/kubernetes.io/namespace" } });
  });

  it("fills a one-label value, lowercased, and allows only that label's names", () => {
    const [p] = parse([{ ...base, allow: ["cp.{/kubernetes.io/namespace}.svc", "*.{/kubernetes.io/namespace}.mesh.example.com"] }]) as TrustPolicy[];
    const r = selectPolicy([p!], claims, claims.sub, sources([p!]));
    if (!r.ok) throw new Error("expected a principal");
    expect(r.principal.policy.disallowed(names(["cp.zone-a.svc", "x.zone-a.mesh.example.com", "cp.zone-b.svc"])).map((n) => n.value)).toEqual(["cp.zone-b.svc"]);
  });
});

describe("key source timing (real loopback issuer, clock passed in)", () => {
  let server: OidcServer;
  beforeAll(async () => void (server = await startOidcServer()));
  afterAll(() => server.close());

  it("uses stale keys while the issuer is down, up to MAX_STALE_MS, then 503s with Retry-After", async () => {
    const issuer = await server.issuer("stale");
    const keys = createOidcKeySource();
    const hint = { alg: "RS256", kid: issuer.keys[0]!.kid };
    const t0 = 1_000_000;
    expect((await keys.key({ issuer: issuer.url }, hint, t0)).ok).toBe(true);
    issuer.mode = "down";
    expect((await keys.key({ issuer: issuer.url }, hint, t0 + KEYS_TTL_MS + 1)).ok).toBe(true);
    const late = await keys.key({ issuer: issuer.url }, hint, t0 + MAX_STALE_MS + 1);
    expect(late).toMatchObject({ ok: false, reason: "unavailable" });
    issuer.mode = "ok";
    const fetches = issuer.jwksFetches;
    // Within the failure backoff the issuer is not asked again; after it, keys come back.
    expect((await keys.key({ issuer: issuer.url }, hint, t0 + MAX_STALE_MS + 2)).ok).toBe(false);
    expect(issuer.jwksFetches).toBe(fetches);
    expect((await keys.key({ issuer: issuer.url }, hint, t0 + MAX_STALE_MS + 60_000)).ok).toBe(true);
  });

  it("refetches for an unknown kid at most once per UNKNOWN_KID_INTERVAL_MS, and fetches discovery once", async () => {
    const issuer = await server.issuer("kids");
    const keys = createOidcKeySource();
    const t0 = 5_000_000;
    await keys.key({ issuer: issuer.url }, { alg: "RS256", kid: issuer.keys[0]!.kid }, t0);
    for (let i = 0; i < 5; i++) expect(await keys.key({ issuer: issuer.url }, { alg: "RS256", kid: `made-up-${i}` }, t0 + i)).toEqual({ ok: false, reason: "unknown_key" });
    expect(issuer.jwksFetches).toBe(2);
    await keys.key({ issuer: issuer.url }, { alg: "RS256", kid: "made-up-late" }, t0 + UNKNOWN_KID_INTERVAL_MS + 10);
    expect(issuer.jwksFetches).toBe(3);
    expect(issuer.discoveryFetches).toBe(1);
  });

  it("times out a slow JWKS with the configured timeout", async () => {
    const issuer = await server.issuer("slow");
    issuer.mode = "slow";
    const started = Date.now();
    const r = await createOidcKeySource({ timeoutMs: 200 }).key({ issuer: issuer.url, jwksUri: `${issuer.url}/.well-known/jwks` }, { alg: "RS256", kid: "k" }, 0);
    expect(r).toMatchObject({ ok: false, reason: "unavailable", detail: expect.stringContaining("200 ms") });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
