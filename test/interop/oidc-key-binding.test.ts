/**
 * Issue 21, finding 1, with keys fetched from jwks_uri: two clusters share the
 * default Kubernetes issuer and their control plane's `sub`, and publish their
 * keys at two URLs (a real loopback JWKS endpoint each). A token signed by
 * cluster B must never act as cluster A's policy — not for issuance, not for
 * revocation, not to replay A's Idempotency-Key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubernetesClaims, signingKey, startOidcServer, type OidcServer, type TestIssuer } from "../helpers/oidc-issuer.ts";
import { startRunningWorker, type RunningWorker } from "../helpers/running-worker.ts";

const ISSUER = "https://kubernetes.default.svc.cluster.local";
const AUDIENCE = "https://ca.example.com";
const ZONE_A = "kds.zone-a.mesh.example.com";
const ZONE_B = "kds.zone-b.mesh.example.com";
let oidc: OidcServer;
let worker: RunningWorker;
let clusterA: TestIssuer;
let clusterB: TestIssuer;

beforeAll(async () => {
  oidc = await startOidcServer();
  // The same kid in both sets: B's token finds a key in A's set, whose signature check must fail and move on.
  clusterA = await oidc.issuer("cluster-a", [await signingKey("RS256", "sa-key")]);
  clusterB = await oidc.issuer("cluster-b", [await signingKey("RS256", "sa-key")]);
  const policy = (name: string, cluster: TestIssuer, allow: string) => ({
    name,
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks_uri: `${cluster.url}/.well-known/jwks`,
    claims: { "/kubernetes.io/serviceaccount/name": "kuma-control-plane" },
    scopes: ["issue", "read", "revoke"],
    allow: [allow],
  });
  worker = await startRunningWorker({ bindings: { OIDC_TRUST: JSON.stringify([policy("zone-a-cp", clusterA, ZONE_A), policy("zone-b-cp", clusterB, ZONE_B)]) } });
});

afterAll(async () => {
  await worker?.stop();
  await oidc?.close();
});

const tokenOf = (cluster: TestIssuer) => cluster.sign(kubernetesClaims(ISSUER, AUDIENCE, "kuma-system"));

async function post(path: string, token: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${worker.url}${path}`, { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
}

describe("a policy is selected only by a token its own jwks_uri keys verified (issue 21 #1)", () => {
  it("cluster B's token asking for zone A's name → 403 under zone-b-cp; its own name → 201", async () => {
    const refused = await post("/v1/certificates", await tokenOf(clusterB), { hostnames: [ZONE_A] });
    const body = (await refused.json()) as { code: string; detail: string };
    expect({ status: refused.status, code: body.code }).toEqual({ status: 403, code: "name_not_allowed" });
    expect(body.detail).toContain('"zone-b-cp"');
    expect((await post("/v1/certificates", await tokenOf(clusterB), { hostnames: [ZONE_B] })).status).toBe(201);
  });

  it("cluster B's token cannot revoke a zone-A certificate", async () => {
    const a = await post("/v1/certificates", await tokenOf(clusterA), { hostnames: [ZONE_A] });
    expect(a.status).toBe(201);
    const { serial_number } = (await a.json()) as { serial_number: string };
    const revoke = await post(`/v1/certificates/${serial_number}/revoke`, await tokenOf(clusterB), {});
    expect({ status: revoke.status, code: ((await revoke.json()) as { code: string }).code }).toEqual({ status: 403, code: "name_not_allowed" });
    const status = await fetch(`${worker.url}/v1/certificates/${serial_number}`, { headers: { Authorization: `Bearer ${worker.authority.tokens.admin}` } });
    expect(((await status.json()) as { revoked_at: string | null }).revoked_at).toBeNull();
  });

  it("cluster B's token replaying zone A's Idempotency-Key gets neither zone A's certificate nor its key", async () => {
    const headers = { "Idempotency-Key": `zone-a-${crypto.randomUUID()}` };
    const a = await post("/v1/certificates", await tokenOf(clusterA), { hostnames: [ZONE_A] }, headers);
    const issuedA = (await a.json()) as { serial_number: string; private_key?: string };
    expect(issuedA.private_key).toContain("PRIVATE KEY");
    const b = await post("/v1/certificates", await tokenOf(clusterB), { hostnames: [ZONE_A] }, headers);
    const text = await b.text();
    expect(b.status).toBe(403);
    expect(b.headers.get("Idempotent-Replayed")).toBeNull();
    expect(text).not.toContain(issuedA.serial_number);
    expect(text).not.toContain("PRIVATE KEY");
    const again = await post("/v1/certificates", await tokenOf(clusterA), { hostnames: [ZONE_A] }, headers);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
  });
});
