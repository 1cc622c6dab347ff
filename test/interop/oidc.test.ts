/**
 * Workload identity end to end: the real worker in workerd, a real OIDC
 * issuer on loopback (discovery + JWKS over HTTP), tokens shaped like
 * GitHub's, GitLab's and Kubernetes', and the negative matrix of issue 13 —
 * each row with its exact status and code.
 */
import { X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, opensslVerify } from "../helpers/interop.ts";
import { edgeca, outsideEnv } from "./cli-harness.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base64url } from "jose";
import { githubClaims, gitlabClaims, kubernetesClaims, signingKey, startOidcServer, type OidcServer, type TestIssuer } from "../helpers/oidc-issuer.ts";
import { startRunningWorker, type RunningWorker } from "../helpers/running-worker.ts";

const AUDIENCE = "https://ca.example.com";
let oidc: OidcServer;
let worker: RunningWorker;
/** Issuers by role; each negative row that touches the cache has its own. */
const I: Record<string, TestIssuer> = {};

const issuerNames = ["github", "gitlab", "k8s", "rotate", "down", "cold-down", "slow", "oversized", "private", "es"] as const;

beforeAll(async () => {
  oidc = await startOidcServer();
  for (const name of issuerNames) I[name] = await oidc.issuer(name, name === "es" ? [await signingKey("ES256")] : undefined);
  const ghClaims = { sub: "repo:example/infra:ref:refs/heads/main" };
  const policy = (name: string, extra: Record<string, unknown> = {}) => ({
    name: `${name}-policy`,
    issuer: I[name]!.url,
    audience: AUDIENCE,
    claims: ghClaims,
    scopes: ["issue", "sign", "read", "revoke"],
    allow: ["*.zone-a.mesh.example.com"],
    ...extra,
  });
  const trust = [
    // Tried first: a policy of the same issuer whose claims do not match a main-branch push.
    policy("github", { name: "github-tags", claims: { sub: "repo:example/infra:ref:refs/tags/v*" } }),
    policy("github", { claims: { repository: "example/infra", ref: ["refs/heads/main", "refs/tags/v*"], event_name: "push" } }),
    policy("gitlab", { claims: { project_path: "example/infra", ref_protected: "true" } }),
    // Kubernetes: the namespace fills the pattern, so each zone CP gets only its own names.
    policy("k8s", {
      claims: { "/kubernetes.io/serviceaccount/name": "kuma-control-plane" },
      allow: ["kuma-control-plane.{/kubernetes.io/namespace}.svc", "*.{/kubernetes.io/namespace}.mesh.example.com"],
    }),
    ...(["rotate", "down", "cold-down", "slow", "oversized", "private", "es"] as const).map((n) => policy(n)),
  ];
  worker = await startRunningWorker({ bindings: { OIDC_TRUST: JSON.stringify(trust) } });
});

afterAll(async () => {
  await worker?.stop();
  await oidc?.close();
});

async function issue(jwt: string, hostnames = ["cp.zone-a.mesh.example.com"], headers: Record<string, string> = {}) {
  return fetch(`${worker.url}/v1/certificates`, {
    method: "POST",
    headers: { Authorization: `Bearer ${jwt}`, "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ hostnames, key: "ecdsa-p256" }),
  });
}

async function expectRefused(res: Response, status: number, code: string, detail?: RegExp): Promise<{ detail: string }> {
  const body = (await res.json()) as { code: string; detail: string };
  expect({ status: res.status, code: body.code }, body.detail).toEqual({ status, code });
  if (status === 401) expect(res.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
  if (detail) expect(body.detail).toMatch(detail);
  return body;
}

const gh = (overrides: Record<string, unknown> = {}, issuer = I.github!) => githubClaims(issuer.url, AUDIENCE, overrides);

describe("accepted tokens", () => {
  it("issues for a GitHub Actions token (RS256 via discovery) and records the policy and sub", async () => {
    const res = await issue(await I.github!.sign(gh()));
    expect(res.status, await res.clone().text()).toBe(201);
    const body = (await res.json()) as { serial_number: string; certificate: string };
    expect(new X509Certificate(body.certificate).subjectAltName).toContain("cp.zone-a.mesh.example.com");
    // Read back with the same identity: the ledger names the second policy (the first's claims did not match) and the sub.
    const list = await fetch(`${worker.url}/v1/certificates?token=github-policy&subject=${encodeURIComponent("repo:example/infra:ref:refs/heads/main")}`, {
      headers: { Authorization: `Bearer ${await I.github!.sign(gh())}` },
    });
    const records = ((await list.json()) as { certificates: { serial_number: string; token_name: string; principal_subject: string }[] }).certificates;
    expect(records.find((r) => r.serial_number === body.serial_number)).toMatchObject({ token_name: "github-policy", principal_subject: "repo:example/infra:ref:refs/heads/main" });
  });

  it("issues for a GitLab CI token and a Kubernetes projected token (namespace placeholder), and refuses another namespace's names", async () => {
    expect((await issue(await I.gitlab!.sign(gitlabClaims(I.gitlab!.url, AUDIENCE)))).status).toBe(201);
    const k8s = await I.k8s!.sign(kubernetesClaims(I.k8s!.url, AUDIENCE, "zone-a"));
    expect((await issue(k8s, ["kuma-control-plane.zone-a.svc"])).status).toBe(201);
    await expectRefused(await issue(k8s, ["kuma-control-plane.zone-b.svc"]), 403, "name_not_allowed", /trust policy "k8s-policy"/);
  });

  it("accepts ES256 keys", async () => {
    expect((await issue(await I.es!.sign(gh({}, I.es!)))).status).toBe(201);
  });
});

describe("the CLI with a projected service-account token", () => {
  it("issues with --id-token-file (re-read each run) and refuses two credentials", async () => {
    const temp = makeTempDir("edgeca-oidc-cli-");
    try {
      const tokenFile = join(temp.dir, "token");
      writeFileSync(tokenFile, (await I.k8s!.sign(kubernetesClaims(I.k8s!.url, AUDIENCE, "zone-a"))) + "\n");
      const env = outsideEnv({ EDGECA_RETRY_DELAY_MS: "50" });
      delete env.EDGECA_TOKEN;
      const out = join(temp.dir, "tls");
      const r = await edgeca(["issue", "--url", worker.url, "--id-token-file", tokenFile, "--hostname", "kuma-control-plane.zone-a.svc", "--local-key", "--out-dir", out], { env });
      expect(r.status, r.stderr).toBe(0);
      expect(opensslVerify({ ca: join(out, "ca.crt"), untrusted: join(out, "tls.crt"), cert: join(out, "tls.crt"), hostname: "kuma-control-plane.zone-a.svc" }).ok).toBe(true);
      const both = await edgeca(["issue", "--url", worker.url, "--token", "x", "--id-token-file", tokenFile, "--hostname", "a.example.com", "--out-dir", out], { env });
      expect(both.status).toBe(2);
      expect(both.stderr).toContain("give one credential");
    } finally {
      temp.cleanup();
    }
  });
});

describe("negative matrix", () => {
  const t = () => Math.floor(Date.now() / 1000);

  it("expired → 401 invalid_token", async () => {
    await expectRefused(await issue(await I.github!.sign(gh({ iat: t() - 600, nbf: t() - 600, exp: t() - 120 }))), 401, "invalid_token", /expired/);
  });

  it("nbf in the future → 401 invalid_token", async () => {
    await expectRefused(await issue(await I.github!.sign(gh({ nbf: t() + 300 }))), 401, "invalid_token", /not yet valid/);
  });

  it("wrong iss → 401 invalid_token", async () => {
    await expectRefused(await issue(await I.github!.sign(gh({ iss: "https://token.actions.githubusercontent.com" }))), 401, "invalid_token", /issuer is not trusted/);
  });

  it("wrong aud → 401 invalid_token naming the policies tried", async () => {
    await expectRefused(await issue(await I.github!.sign(gh({ aud: "https://other.example.com" }))), 401, "invalid_token", /audience is not .*\(policies tried: github-tags, github-policy\)/);
  });

  it("alg none → 401 invalid_token", async () => {
    const payload = base64url.encode(JSON.stringify(gh()));
    await expectRefused(await issue(`${base64url.encode('{"alg":"none","typ":"JWT"}')}.${payload}.`), 401, "invalid_token", /algorithm/);
  });

  it("HS256 signed with the issuer's public key as the secret → 401 invalid_token", async () => {
    const { createHmac } = await import("node:crypto");
    const secret = JSON.stringify(I.github!.keys[0]!.publicJwk);
    const input = `${base64url.encode(JSON.stringify({ alg: "HS256", typ: "JWT", kid: I.github!.keys[0]!.kid }))}.${base64url.encode(JSON.stringify(gh()))}`;
    const sig = createHmac("sha256", secret).update(input).digest("base64url");
    await expectRefused(await issue(`${input}.${sig}`), 401, "invalid_token", /only asymmetric/);
  });

  it("alg not matching the key (ES256 header on the RSA key's kid) → 401 invalid_token", async () => {
    const ec = await signingKey("ES256", I.github!.keys[0]!.kid);
    await expectRefused(await issue(await I.github!.sign(gh(), ec)), 401, "invalid_token", /does not match its key/);
  });

  it("unknown kid → 401; after a rotation the new key is accepted, fetched once", async () => {
    const issuer = I.rotate!;
    expect((await issue(await issuer.sign(gh({}, issuer)))).status).toBe(201);
    const before = issuer.jwksFetches;
    const next = await issuer.rotate();
    expect((await issue(await issuer.sign(gh({}, issuer), next))).status).toBe(201);
    expect(issuer.jwksFetches).toBe(before + 1);
    // Another unknown kid within the minute: refused without asking the issuer again.
    const stranger = await signingKey("RS256");
    await expectRefused(await issue(await issuer.sign(gh({}, issuer), stranger)), 401, "invalid_token", /key \(kid\)/);
    expect(issuer.jwksFetches).toBe(before + 1);
  });

  it("tampered payload → 401 invalid_token (signature)", async () => {
    const [h, , s] = (await I.github!.sign(gh())).split(".");
    const forged = base64url.encode(JSON.stringify(gh({ sub: "repo:example/infra:ref:refs/heads/main", repository: "example/infra", extra: 1 })));
    await expectRefused(await issue(`${h}.${forged}.${s}`), 401, "invalid_token", /signature/);
  });

  it("truncated and oversized tokens → 401 invalid_token", async () => {
    const jwt = await I.github!.sign(gh());
    await expectRefused(await issue(jwt.slice(0, jwt.lastIndexOf(".") + 20)), 401, "invalid_token", /signature|well-formed/);
    await expectRefused(await issue(jwt.slice(0, 60) + "." + jwt.split(".")[1]!.slice(0, 10) + "."), 401, "invalid_token");
    const big = await I.github!.sign(gh({ padding: "x".repeat(9000) }));
    await expectRefused(await issue(big), 401, "invalid_token", /longer than 8192/);
  });

  it("non-string claims where strings are expected → 401 invalid_token", async () => {
    await expectRefused(await issue(await I.github!.sign(gh({ sub: 12345 }))), 401, "invalid_token");
    await expectRefused(await issue(await I.github!.sign(gh({ repository: ["example/infra"] }))), 401, "invalid_token", /no OIDC_TRUST policy's claims match the token \(policies tried: github-tags, github-policy\)/);
    const k8s = kubernetesClaims(I.k8s!.url, AUDIENCE);
    (k8s["kubernetes.io"] as Record<string, unknown>)["namespace"] = { name: "zone-a" };
    await expectRefused(await issue(await I.k8s!.sign(k8s), ["kuma-control-plane.zone-a.svc"]), 401, "invalid_token", /placeholder/);
  });

  it.each([["a.b"], ["*"], [""], ["x".repeat(64)]])("placeholder injection %j → 401 invalid_token", async (namespace) => {
    const res = await issue(await I.k8s!.sign(kubernetesClaims(I.k8s!.url, AUDIENCE, namespace)), ["kuma-control-plane.a.b.svc"]);
    await expectRefused(res, 401, "invalid_token", /cannot fill a name placeholder of policy "k8s-policy"/);
  });

  it("issuer down: cached keys are used", async () => {
    const issuer = I.down!;
    expect((await issue(await issuer.sign(gh({}, issuer)))).status).toBe(201);
    issuer.mode = "down";
    expect((await issue(await issuer.sign(gh({}, issuer)))).status).toBe(201);
  });

  it("issuer down with no keys cached → 503 identity_provider_unavailable with Retry-After", async () => {
    I["cold-down"]!.mode = "down";
    const res = await issue(await I["cold-down"]!.sign(gh({}, I["cold-down"])));
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    await expectRefused(res, 503, "identity_provider_unavailable", /cold-down-policy.*HTTP 503/);
  });

  it("slow JWKS → 503 identity_provider_unavailable after the fetch timeout", async () => {
    I.slow!.mode = "slow";
    const started = Date.now();
    await expectRefused(await issue(await I.slow!.sign(gh({}, I.slow))), 503, "identity_provider_unavailable", /no answer within/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("oversized JWKS → 503 identity_provider_unavailable", async () => {
    I.oversized!.mode = "oversized";
    await expectRefused(await issue(await I.oversized!.sign(gh({}, I.oversized))), 503, "identity_provider_unavailable", /larger than/);
  });

  it("JWKS with private members → 503 identity_provider_unavailable", async () => {
    I.private!.mode = "private-members";
    await expectRefused(await issue(await I.private!.sign(gh({}, I.private))), 503, "identity_provider_unavailable", /private key members/);
  });

  it("legacy Kubernetes token without exp → 401 invalid_token pointing at projected tokens", async () => {
    // The claims of a legacy service-account token Secret (kubernetes/serviceaccount issuer, no exp, no aud).
    const legacy = {
      iss: "kubernetes/serviceaccount",
      "kubernetes.io/serviceaccount/namespace": "zone-a",
      "kubernetes.io/serviceaccount/secret.name": "kuma-control-plane-token-x2k4p",
      "kubernetes.io/serviceaccount/service-account.name": "kuma-control-plane",
      "kubernetes.io/serviceaccount/service-account.uid": "5a2c1b0d-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
      sub: "system:serviceaccount:zone-a:kuma-control-plane",
    };
    await expectRefused(await issue(await I.k8s!.sign(legacy)), 401, "invalid_token", /projected service-account token/);
  });

  it("lifetime over 24 h → 401 invalid_token", async () => {
    await expectRefused(await issue(await I.github!.sign(gh({ exp: t() + 25 * 3600 }))), 401, "invalid_token", /longer than 24 h/);
  });

  it("never echoes the token or its claims, and audits the refusal", async () => {
    const jwt = await I.github!.sign(gh({ aud: "https://other.example.com" }));
    const text = await (await issue(jwt)).text();
    expect(text).not.toContain(jwt.split(".")[1]!.slice(0, 40));
    expect(text).not.toContain("example/infra");
    expect(text).not.toContain("other.example.com");
  });
});
