/**
 * A local OIDC issuer on loopback for tests: OpenID discovery, a JWKS
 * endpoint, key rotation, failure modes (down, slow, oversized, private
 * members), and tokens shaped like GitHub Actions', GitLab CI's and
 * Kubernetes' projected service-account tokens (their documented claim
 * sets), signed with real RSA and EC keys by jose. One server hosts many
 * issuers under /i/<name>, so each test can have a cold cache of its own.
 */
import { createServer, type Server } from "node:http";
import { closeServer, listenLoopback } from "./net.ts";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";

export type IssuerMode = "ok" | "down" | "slow" | "oversized" | "private-members";

export interface SigningKey {
  kid: string;
  alg: "RS256" | "ES256";
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
}

export async function signingKey(alg: "RS256" | "ES256", kid = `${alg.toLowerCase()}-${Math.random().toString(36).slice(2, 10)}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
  return { kid, alg, privateKey, publicJwk, privateJwk };
}

export class TestIssuer {
  mode: IssuerMode = "ok";
  keys: SigningKey[];
  jwksFetches = 0;
  discoveryFetches = 0;
  constructor(
    readonly url: string,
    keys: SigningKey[],
  ) {
    this.keys = keys;
  }
  get jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }
  /** Publishes a new key (the old ones are dropped): tokens signed with it carry an unknown kid until refetched. */
  async rotate(alg: "RS256" | "ES256" = "RS256"): Promise<SigningKey> {
    const key = await signingKey(alg);
    this.keys = [key];
    return key;
  }
  /** Signs `claims` with `key` (default: the first published key), header alg/kid from the key unless overridden. */
  sign(claims: Record<string, unknown>, key: SigningKey = this.keys[0]!, header: Record<string, unknown> = {}): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...header } as never).sign(key.privateKey);
  }
}

export interface OidcServer {
  origin: string;
  issuer(name: string, keys?: SigningKey[]): Promise<TestIssuer>;
  close(): Promise<void>;
}

export async function startOidcServer(): Promise<OidcServer> {
  const issuers = new Map<string, TestIssuer>();
  const server: Server = createServer((req, res) => {
    const m = /^\/i\/([^/]+)(\/.*)$/.exec(req.url ?? "");
    const issuer = m ? issuers.get(m[1]!) : undefined;
    if (!issuer || !m) return void res.writeHead(404).end();
    if (issuer.mode === "down") return void res.writeHead(503, { "Content-Type": "text/plain" }).end("down");
    const json = (body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) }).end(text);
    };
    if (m[2] === "/.well-known/openid-configuration") {
      issuer.discoveryFetches++;
      // The fields GitHub's and GitLab's discovery documents carry.
      return json({
        issuer: issuer.url,
        jwks_uri: `${issuer.url}/.well-known/jwks`,
        subject_types_supported: ["public", "pairwise"],
        response_types_supported: ["id_token"],
        id_token_signing_alg_values_supported: ["RS256", "ES256"],
        claims_supported: ["sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "repository", "repository_owner", "namespace_path", "project_path"],
        scopes_supported: ["openid"],
      });
    }
    if (m[2] === "/.well-known/jwks") {
      issuer.jwksFetches++;
      if (issuer.mode === "slow") {
        // Headers at once, then nothing: the client's timeout must end it.
        res.writeHead(200, { "Content-Type": "application/json" });
        res.write('{"keys": [');
        const t = setTimeout(() => res.end("]}"), 20_000);
        res.on("close", () => clearTimeout(t));
        return;
      }
      if (issuer.mode === "oversized") {
        const pad = "x".repeat(200 * 1024);
        res.writeHead(200, { "Content-Type": "application/json" });
        return void res.end(JSON.stringify({ keys: issuer.jwks.keys, padding: pad }));
      }
      if (issuer.mode === "private-members") return json({ keys: issuer.keys.map((k) => k.privateJwk) });
      return json(issuer.jwks);
    }
    res.writeHead(404).end();
  });
  const origin = `http://127.0.0.1:${await listenLoopback(server)}`;
  return {
    origin,
    async issuer(name, keys) {
      const issuer = new TestIssuer(`${origin}/i/${name}`, keys ?? [await signingKey("RS256")]);
      issuers.set(name, issuer);
      return issuer;
    },
    close: () => closeServer(server),
  };
}

const now = () => Math.floor(Date.now() / 1000);

/**
 * GitHub Actions' ID token claims (docs.github.com, "About security hardening with OpenID Connect":
 * the example token), for a push to main of example/infra.
 */
export function githubClaims(issuer: string, audience: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return {
    jti: crypto.randomUUID(),
    sub: "repo:example/infra:ref:refs/heads/main",
    aud: audience,
    ref: "refs/heads/main",
    sha: "d7a3c5bbf8c7e0a21a3b7c8b63f2a3f5c7e0a21a",
    repository: "example/infra",
    repository_owner: "example",
    repository_owner_id: "65432",
    run_id: "5987654321",
    run_number: "42",
    run_attempt: "1",
    repository_visibility: "private",
    repository_id: "123456789",
    actor_id: "12345",
    actor: "octocat",
    workflow: "certificates",
    head_ref: "",
    base_ref: "",
    event_name: "push",
    ref_type: "branch",
    ref_protected: "true",
    workflow_ref: "example/infra/.github/workflows/certificates.yml@refs/heads/main",
    workflow_sha: "d7a3c5bbf8c7e0a21a3b7c8b63f2a3f5c7e0a21a",
    job_workflow_ref: "example/infra/.github/workflows/certificates.yml@refs/heads/main",
    job_workflow_sha: "d7a3c5bbf8c7e0a21a3b7c8b63f2a3f5c7e0a21a",
    runner_environment: "github-hosted",
    iss: issuer,
    nbf: t - 5,
    exp: t + 300,
    iat: t,
    ...overrides,
  };
}

/** GitLab CI's id_tokens claims (docs.gitlab.com, "OpenID Connect (OIDC) Authentication Using ID Tokens"). */
export function gitlabClaims(issuer: string, audience: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return {
    namespace_id: "72",
    namespace_path: "example",
    project_id: "20",
    project_path: "example/infra",
    user_id: "1",
    user_login: "deployer",
    user_email: "deployer@example.com",
    user_access_level: "maintainer",
    pipeline_id: "574",
    pipeline_source: "push",
    job_id: "302",
    ref: "main",
    ref_type: "branch",
    ref_path: "refs/heads/main",
    ref_protected: "true",
    environment: "production",
    environment_protected: "true",
    deployment_tier: "production",
    runner_id: 1,
    runner_environment: "gitlab-hosted",
    sha: "714a629c0b401fdce83e847fc9589983fc6f46bc",
    project_visibility: "private",
    ci_config_ref_uri: "gitlab.com/example/infra//.gitlab-ci.yml@refs/heads/main",
    ci_config_sha: "714a629c0b401fdce83e847fc9589983fc6f46bc",
    jti: crypto.randomUUID(),
    iss: issuer,
    iat: t,
    nbf: t - 5,
    exp: t + 300,
    sub: "project_path:example/infra:ref_type:branch:ref:main",
    aud: audience,
    ...overrides,
  };
}

/** A Kubernetes projected service-account token's claims (kubernetes.io, "Service account token volume projection"; the kubernetes.io claim). */
export function kubernetesClaims(issuer: string, audience: string, namespace = "zone-a", overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return {
    aud: [audience],
    exp: t + 3600,
    iat: t,
    iss: issuer,
    jti: crypto.randomUUID(),
    "kubernetes.io": {
      namespace,
      node: { name: "node-1", uid: "7f5b7d7e-9b66-4d0a-8d0c-2f3f6b0a1c11" },
      pod: { name: "kuma-control-plane-6d5f8b7c9-x2k4p", uid: "0c1f7e3a-5d47-4b9e-9b2a-6a8f0c2d4e13" },
      serviceaccount: { name: "kuma-control-plane", uid: "5a2c1b0d-3e4f-4a5b-8c6d-7e8f9a0b1c2d" },
      warnafter: t + 3000,
    },
    nbf: t,
    sub: `system:serviceaccount:${namespace}:kuma-control-plane`,
    ...overrides,
  };
}

export interface ActionsRuntime {
  /** What the runner sets when the job has `permissions: id-token: write`. */
  env: { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string };
  /** The audiences requested, in order. */
  audiences: string[];
  close(): Promise<void>;
}

/**
 * A stand-in for the GitHub Actions runtime's ID token endpoint: GET
 * ACTIONS_ID_TOKEN_REQUEST_URL&audience=… with the runtime's bearer token
 * answers {"value": "<jwt>"}, a GitHub-shaped token from `issuer` for that
 * audience; a wrong bearer is 401, as on a runner.
 */
export async function startActionsRuntime(issuer: TestIssuer, claims: Record<string, unknown> = {}): Promise<ActionsRuntime> {
  const requestToken = `runtime-${crypto.randomUUID()}`;
  const audiences: string[] = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.headers.authorization !== `Bearer ${requestToken}`) return void res.writeHead(401).end();
    if (url.pathname !== "/_apis/pipelines/workflows/42/idtoken" || url.searchParams.get("api-version") !== "2.0") return void res.writeHead(404).end();
    const audience = url.searchParams.get("audience") ?? "https://github.com/example";
    audiences.push(audience);
    // An async handler's rejection would be unhandled: answer 500 so the CLI under test reports it instead.
    try {
      const value = await issuer.sign(githubClaims(issuer.url, audience, claims));
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ count: 1, value }));
    } catch (e) {
      res.writeHead(500, { "Content-Type": "text/plain" }).end(String(e));
    }
  });
  const origin = `http://127.0.0.1:${await listenLoopback(server)}`;
  return {
    env: { ACTIONS_ID_TOKEN_REQUEST_URL: `${origin}/_apis/pipelines/workflows/42/idtoken?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken },
    audiences,
    close: () => closeServer(server),
  };
}
