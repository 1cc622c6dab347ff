/**
 * Workload identity inside workerd: OIDC_TRUST with inline JWKS (a cluster
 * whose issuer is not reachable, `kubectl get --raw /openid/v1/jwks`), real
 * RS256/ES256 signatures by jose, and the records an OIDC caller leaves:
 * ledger and audit by policy name and sub, idempotency keys per sub,
 * revocation bounded by the filled names. (The URL/discovery path and the
 * full negative matrix run against the real worker in test/interop/oidc.test.ts.)
 */
import { beforeAll, describe, expect, it } from "vitest";
import { callWithEnv, expectProblem, tokens, type CallOptions } from "./helpers.ts";
import { clusterKey, inlineTrust, k8sClaims, OIDC_AUDIENCE, OIDC_ISSUER, type ClusterKey, type InlineTrust } from "./oidc-helpers.ts";

let trust: InlineTrust;
let OIDC_TRUST: string;
const sign = (claims: Record<string, unknown>, alg?: "RS256" | "ES256") => trust.sign(claims, alg);

beforeAll(async () => {
  trust = await inlineTrust();
  OIDC_TRUST = trust.OIDC_TRUST;
});

const oidcCall = (path: string, opts: CallOptions) => callWithEnv({ OIDC_TRUST }, path, opts);

describe("OIDC callers in workerd", () => {
  it("issues with an RS256 and an ES256 projected token, recording policy and sub in ledger and audit", async () => {
    const jwt = await sign(k8sClaims("zone-a"));
    const res = await oidcCall("/v1/certificates", { token: jwt, body: { hostnames: ["kuma-control-plane.zone-a.svc"], ttl: "30d" } });
    expect(res.status, await res.clone().text()).toBe(201);
    const { serial_number } = (await res.json()) as { serial_number: string };
    expect((await oidcCall("/v1/certificates", { token: await sign(k8sClaims("zone-a"), "ES256"), body: { hostnames: ["kuma-control-plane.zone-a.svc"] } })).status).toBe(201);
    await expectProblem(await oidcCall("/v1/certificates", { token: jwt, body: { hostnames: ["kuma-control-plane.zone-a.svc"], ttl: "31d" } }), 400, "ttl_too_long");

    const list = await oidcCall(`/v1/certificates?token=zone-cp&subject=${encodeURIComponent("system:serviceaccount:zone-a:kuma-control-plane")}`, { token: jwt });
    const { certificates } = (await list.json()) as { certificates: { serial_number: string; token_name: string; principal_subject: string | null }[] };
    expect(certificates.length).toBeGreaterThanOrEqual(2);
    expect(certificates.every((c) => c.token_name === "zone-cp" && c.principal_subject === "system:serviceaccount:zone-a:kuma-control-plane")).toBe(true);
    expect(certificates.map((c) => c.serial_number)).toContain(serial_number);

    const audit = await oidcCall("/v1/audit?token=zone-cp", { token: tokens.admin });
    const { events } = (await audit.json()) as { events: { event: string; serial: string | null; principal_subject: string | null; code: string | null }[] };
    expect(events.find((e) => e.serial === serial_number)).toMatchObject({ event: "issue", principal_subject: "system:serviceaccount:zone-a:kuma-control-plane" });
    expect(events.some((e) => e.code === "ttl_too_long" && e.principal_subject?.endsWith("zone-a:kuma-control-plane"))).toBe(true);
  });

  it("keeps Idempotency-Keys apart per sub under one policy, and replays for the same sub", async () => {
    const key = `oidc-${crypto.randomUUID()}`;
    const body = { hostnames: [] as string[], usage: ["server"] };
    const a1 = await oidcCall("/v1/certificates", { token: await sign(k8sClaims("zone-a")), body: { ...body, hostnames: ["kuma-control-plane.zone-a.svc"] }, headers: { "Idempotency-Key": key } });
    const a2 = await oidcCall("/v1/certificates", { token: await sign(k8sClaims("zone-a")), body: { ...body, hostnames: ["kuma-control-plane.zone-a.svc"] }, headers: { "Idempotency-Key": key } });
    const b = await oidcCall("/v1/certificates", { token: await sign(k8sClaims("zone-b")), body: { ...body, hostnames: ["kuma-control-plane.zone-b.svc"] }, headers: { "Idempotency-Key": key } });
    expect([a1.status, a2.status, b.status]).toEqual([201, 201, 201]);
    expect(a2.headers.get("Idempotent-Replayed")).toBe("true");
    expect(b.headers.get("Idempotent-Replayed")).toBeNull();
    const [s1, s2, s3] = await Promise.all([a1, a2, b].map(async (r) => ((await r.json()) as { serial_number: string }).serial_number));
    expect(s1).toBe(s2);
    expect(s3).not.toBe(s1);
  });

  it("bounds revocation by the names the caller's own namespace fills in", async () => {
    const zoneB = await oidcCall("/v1/certificates", { token: await sign(k8sClaims("zone-b")), body: { hostnames: ["kuma-control-plane.zone-b.svc"] } });
    const { serial_number } = (await zoneB.json()) as { serial_number: string };
    await expectProblem(await oidcCall(`/v1/certificates/${serial_number}/revoke`, { token: await sign(k8sClaims("zone-a")), body: {} }), 403, "name_not_allowed");
    expect((await oidcCall(`/v1/certificates/${serial_number}/revoke`, { token: await sign(k8sClaims("zone-b")), body: { reason: "superseded" } })).status).toBe(200);
  });

  it("refuses with 401 invalid_token and WWW-Authenticate, and 403 for a missing scope", async () => {
    const res = await oidcCall("/v1/certificates", { token: await sign(k8sClaims("zone-a", { exp: Math.floor(Date.now() / 1000) - 3600 })), body: { hostnames: ["kuma-control-plane.zone-a.svc"] } });
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="edgeca", error="invalid_token"');
    expect((await expectProblem(res, 401, "invalid_token")).detail).toMatch(/expired/);
    await expectProblem(await oidcCall("/v1/verify", { token: await sign(k8sClaims("zone-a")), body: { chain: "x" } }), 403, "insufficient_scope");
    // Without OIDC_TRUST a JWT is refused as such, not looked up as an API token.
    await expectProblem(await callWithEnv({}, "/v1/certificates", { token: await sign(k8sClaims("zone-a")), body: { hostnames: ["x.example.com"] } }), 401, "invalid_token");
  });

  it.each([
    ["[{]", /OIDC_TRUST is not valid JSON/],
    ['[{"name":"a","issuer":"https://i.example","audience":"x","claims":{"sub":"*"},"scopes":["issue"],"max_ttl":"soon"}]', /OIDC_TRUST\[0\]\.max_ttl/],
    ['[{"name":"test-admin","issuer":"https://i.example","audience":"x","claims":{"sub":"*"},"scopes":["issue"]}]', /OIDC_TRUST\[0\]\.name/],
  ])("answers 503 config_invalid for OIDC_TRUST %s, naming entry and field", async (trust, detail) => {
    const p = await expectProblem(await callWithEnv({ OIDC_TRUST: trust }, "/v1/certificates", { token: await sign(k8sClaims("zone-a")), body: { hostnames: ["x.example.com"] } }), 503, "config_invalid");
    expect(p.detail).toMatch(detail);
    // /healthz says so too, and API tokens keep working (each credential path fails closed on its own secret).
    expect((await expectProblem(await callWithEnv({ OIDC_TRUST: trust }, "/healthz"), 503, "config_invalid")).detail).toMatch(detail);
    expect((await callWithEnv({ OIDC_TRUST: trust }, "/v1/certificates?limit=1", { token: tokens.admin })).status).toBe(200);
  });
});

/**
 * Issue 21, finding 1: two clusters share the default issuer and the `sub` of
 * their control plane's service account; only their keys differ. A token
 * signed by cluster B must never act as cluster A's policy.
 */
describe("a policy is selected only by a token its own keys verified (issue 21 #1)", () => {
  const ZONE_A = "kds.zone-a.mesh.example.com";
  const ZONE_B = "kds.zone-b.mesh.example.com";
  let clusterA: ClusterKey;
  let clusterB: ClusterKey;
  let clusterC: ClusterKey;
  let twoClusters: string;
  const kdsClaims = () => k8sClaims("kuma-system");

  beforeAll(async () => {
    // The same kid in both clusters: B's token finds a key in A's set, whose signature check must fail and move on.
    [clusterA, clusterB, clusterC] = [await clusterKey("sa-key"), await clusterKey("sa-key"), await clusterKey("other")];
    const policy = (name: string, jwks: ClusterKey["jwks"], allow: string) => ({
      name,
      issuer: OIDC_ISSUER,
      audience: OIDC_AUDIENCE,
      jwks,
      claims: { "/kubernetes.io/serviceaccount/name": "kuma-control-plane" },
      scopes: ["issue", "read", "revoke"],
      allow: [allow],
    });
    twoClusters = JSON.stringify([policy("zone-a-cp", clusterA.jwks, ZONE_A), policy("zone-b-cp", clusterB.jwks, ZONE_B)]);
  });
  const zoneCall = (path: string, opts: CallOptions) => callWithEnv({ OIDC_TRUST: twoClusters }, path, opts);

  it("cluster B's token asking for zone A's name → 403 under zone-b-cp; its own name → 201", async () => {
    const tokenB = await clusterB.sign(kdsClaims());
    const refused = await expectProblem(await zoneCall("/v1/certificates", { token: tokenB, body: { hostnames: [ZONE_A] } }), 403, "name_not_allowed");
    expect(refused.detail).toContain('"zone-b-cp"');
    const own = await zoneCall("/v1/certificates", { token: tokenB, body: { hostnames: [ZONE_B] } });
    expect(own.status, await own.clone().text()).toBe(201);
    const a = await zoneCall("/v1/certificates", { token: await clusterA.sign(kdsClaims()), body: { hostnames: [ZONE_A] } });
    expect(a.status, await a.clone().text()).toBe(201);
    // A cluster neither policy trusts: not verified by any key source.
    await expectProblem(await zoneCall("/v1/certificates", { token: await clusterC.sign(kdsClaims()), body: { hostnames: [ZONE_A] } }), 401, "invalid_token");
  });

  it("cluster B's token cannot revoke a zone-A certificate", async () => {
    const a = await zoneCall("/v1/certificates", { token: await clusterA.sign(kdsClaims()), body: { hostnames: [ZONE_A] } });
    const { serial_number } = (await a.json()) as { serial_number: string };
    await expectProblem(await zoneCall(`/v1/certificates/${serial_number}/revoke`, { token: await clusterB.sign(kdsClaims()), body: {} }), 403, "name_not_allowed");
    const status = await zoneCall(`/v1/certificates/${serial_number}`, { token: tokens.admin });
    expect(((await status.json()) as { revoked_at: string | null }).revoked_at).toBeNull();
  });

  it("cluster B's token replaying zone A's Idempotency-Key gets neither zone A's certificate nor its key", async () => {
    const key = `zone-a-${crypto.randomUUID()}`;
    const body = { hostnames: [ZONE_A] };
    const a = await zoneCall("/v1/certificates", { token: await clusterA.sign(kdsClaims()), body, headers: { "Idempotency-Key": key } });
    expect(a.status).toBe(201);
    const issuedA = (await a.json()) as { serial_number: string; private_key?: string };
    expect(issuedA.private_key).toContain("PRIVATE KEY");
    const b = await zoneCall("/v1/certificates", { token: await clusterB.sign(kdsClaims()), body, headers: { "Idempotency-Key": key } });
    const text = await b.text();
    expect(b.status).toBe(403);
    expect(b.headers.get("Idempotent-Replayed")).toBeNull();
    expect(text).not.toContain(issuedA.serial_number);
    expect(text).not.toContain("PRIVATE KEY");
    // Cluster A itself still replays.
    const again = await zoneCall("/v1/certificates", { token: await clusterA.sign(kdsClaims()), body, headers: { "Idempotency-Key": key } });
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(((await again.json()) as { serial_number: string }).serial_number).toBe(issuedA.serial_number);
  });
});
