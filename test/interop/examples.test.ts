/**
 * examples/: the GitHub Actions workflow and the GitLab CI job parse (YAML,
 * with the shape each CI expects), and their shell steps run against the
 * local service, keyless (the job's OIDC identity: a stand-in Actions
 * runtime token endpoint, a GitLab id_tokens token, both from a loopback
 * OIDC issuer the service trusts) and with an API token, the install step included: EDGECA_CLI is the tarball
 * `npm pack` makes of this repository (as a release's URL would be), npm's
 * global prefix is a temporary directory, and nothing of the repository is
 * on PATH. `uses:` actions are not run (Node is already here).
 * `${{ secrets.X }}` / `${{ vars.X }}` and CI/CD variables are supplied as
 * the CI would.
 */
import { X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { makeTempDir, opensslVerify } from "../helpers/interop.ts";
import { startActionsRuntime, gitlabClaims, startOidcServer, type ActionsRuntime, type OidcServer, type TestIssuer } from "../helpers/oidc-issuer.ts";
import { freePort, type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";
import { packCli, REPO, runnerEnv, sh } from "./cli-harness.ts";

let worker: RunningWorker;
let oidc: OidcServer;
let github: TestIssuer;
let gitlab: TestIssuer;
let runtime: ActionsRuntime;
let ciValues: Record<string, string>;
const temp = makeTempDir("edgeca-examples-");
const version = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;

beforeAll(async () => {
  oidc = await startOidcServer();
  [github, gitlab] = await Promise.all([oidc.issuer("github"), oidc.issuer("gitlab")]);
  runtime = await startActionsRuntime(github);
  // The policies docs/kuma.md gives with the examples; the audience is the service URL, so the port is chosen first.
  const port = await freePort();
  const grant = { scopes: ["sign", "verify"], allow: ["global.mesh.example.com"], max_ttl: "30d" };
  const trust = [
    { name: "infra-kds", issuer: github.url, audience: `http://127.0.0.1:${port}`, claims: { repository: "example/infra", ref: "refs/heads/main" }, ...grant },
    { name: "infra-kds-gitlab", issuer: gitlab.url, audience: `http://127.0.0.1:${port}`, claims: { project_path: "example/infra", ref_protected: "true" }, ...grant },
  ];
  let tarball: string;
  [worker, tarball] = await Promise.all([startRunningWorker({ port, bindings: { OIDC_TRUST: JSON.stringify(trust) } }), packCli()]);
  ciValues = {
    EDGECA_URL: worker.url,
    EDGECA_CA_FINGERPRINT: new X509Certificate(worker.authority.rootPem).fingerprint256.replace(/:/g, "").toLowerCase(),
    EDGECA_CLI: tarball,
  };
});

afterAll(async () => {
  await worker?.stop();
  await runtime?.close();
  await oidc?.close();
  temp.cleanup();
});

/** GitHub expressions the example uses: ${{ secrets.X }}, ${{ vars.X }} and ${{ vars.X || 'default' }}; a secret not set is "", as on GitHub. */
function expand(value: unknown, secrets: Record<string, string>): string {
  return String(value).replace(/\$\{\{\s*(secrets|vars)\.([A-Z_]+)\s*(?:\|\|\s*'([^']*)'\s*)?\}\}/g, (_, kind: string, name: string, fallback?: string) => {
    if (kind === "secrets") return secrets[name] ?? "";
    const v = ciValues[name] ?? fallback;
    expect(v, `a value for ${name}`).toBeDefined();
    return v!;
  });
}

/** Which principal obtained the newest certificate (the ledger, read with the admin token). */
async function lastIssuer(): Promise<{ token_name: string; principal_subject: string | null }> {
  const res = await fetch(`${worker.url}/v1/certificates?limit=1`, { headers: { Authorization: `Bearer ${worker.authority.tokens.admin}` } });
  return ((await res.json()) as { certificates: { token_name: string; principal_subject: string | null }[] }).certificates[0]!;
}

interface GhStep {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
}

function checkIssuedFiles(dir: string) {
  const tls = join(dir, "kds-tls");
  expect(statSync(join(tls, "tls.key")).mode & 0o777).toBe(0o600);
  expect(opensslVerify({ ca: join(tls, "ca.crt"), untrusted: join(tls, "tls.crt"), cert: join(tls, "tls.crt"), hostname: "global.mesh.example.com" }).ok).toBe(true);
}

describe("examples/github-actions.yml", () => {
  it.each([
    ["keyless, with the job's OIDC identity", {}, { token_name: "infra-kds", principal_subject: "repo:example/infra:ref:refs/heads/main" }],
    ["with the EDGECA_TOKEN secret (token variant)", { EDGECA_TOKEN: "admin" }, { token_name: "test-admin", principal_subject: null }],
  ])("is a workflow whose run steps issue and verify against the service: %s", async (variant, secretNames, principal) => {
    const secrets = Object.fromEntries(Object.keys(secretNames).map((k) => [k, worker.authority.tokens.admin]));
    const wf = parse(readFileSync(join(REPO, "examples", "github-actions.yml"), "utf8")) as {
      on: unknown;
      permissions: Record<string, string>;
      env: Record<string, string>;
      jobs: Record<string, { "runs-on": string; steps: GhStep[] }>;
    };
    expect(wf.on).toBeDefined();
    expect(wf.permissions["id-token"]).toBe("write");
    const jobs = Object.values(wf.jobs);
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job["runs-on"]).toBeTruthy();
    const dir = join(temp.dir, `github-${Object.keys(secrets).length}`);
    mkdirSync(dir);
    // Without the variable, the registry's package of this version.
    expect(wf.env.EDGECA_CLI).toBe(`\${{ vars.EDGECA_CLI || 'edgeca@${version}' }}`);
    const workflowEnv = Object.fromEntries(Object.entries(wf.env).map(([k, v]) => [k, expand(v, secrets)]));
    const requested = runtime.audiences.length;
    let ran = 0;
    for (const step of job.steps) {
      expect(Boolean(step.uses) !== Boolean(step.run), `step ${step.name ?? step.uses} has uses or run`).toBe(true);
      if (!step.run) continue;
      const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v, secrets)]));
      // GitHub runs `run:` with bash -e {0} (and pipefail) on Linux runners; id-token: write sets the runtime's two variables.
      const r = await sh(step.run, { cwd: dir, env: { ...runnerEnv(dir), ...runtime.env, ...workflowEnv, ...stepEnv } });
      expect(r.status, `step "${step.name}" failed (${variant}):\n${r.stdout}\n${r.stderr}`).toBe(0);
      ran++;
    }
    expect(ran).toBe(4);
    expect(job.steps.find((s) => s.id === "install")?.run).toBe('npm install -g "$EDGECA_CLI"');
    checkIssuedFiles(dir);
    expect(readFileSync(join(dir, "kds.env"), "utf8")).toContain(`KUMA_MULTIZONE_GLOBAL_KDS_TLS_CERT_FILE=${dir}/kds-tls/tls.crt`);
    expect(await lastIssuer()).toMatchObject(principal);
    // Keyless: ID tokens were requested for the service URL (issue and verify); with a token, none.
    const audiences = runtime.audiences.slice(requested);
    if (principal.principal_subject) expect(audiences).toEqual([worker.url, worker.url]);
    else expect(audiences).toEqual([]);
  });
});

describe("examples/gitlab-ci.yml", () => {
  it.each([["keyless, with the job's id_tokens token"], ["with the EDGECA_TOKEN variable (token variant)"]])("is a job whose script issues and verifies against the service: %s", async (variant) => {
    const keyless = variant.startsWith("keyless");
    const ci = parse(readFileSync(join(REPO, "examples", "gitlab-ci.yml"), "utf8")) as Record<string, unknown>;
    expect(ci.stages).toEqual(["certificates"]);
    const job = ci["kds-certificate"] as { stage: string; id_tokens: Record<string, { aud: string }>; variables: Record<string, string>; before_script: string[]; script: string[]; artifacts: { paths: string[] } };
    expect(job.id_tokens).toEqual({ EDGECA_ID_TOKEN: { aud: "$EDGECA_URL" } });
    expect(job.stage).toBe("certificates");
    expect(job.artifacts.paths).not.toContain("kds-tls/tls.key");
    expect(job.variables.EDGECA_CLI).toBe(`edgeca@${version}`);
    const dir = join(temp.dir, `gitlab-${keyless}`);
    mkdirSync(dir);
    // GitLab puts the signed id_tokens token (aud from $EDGECA_URL) in the job's environment; the token variant sets EDGECA_TOKEN.
    const credentials = keyless
      ? { EDGECA_ID_TOKEN: await gitlab.sign(gitlabClaims(gitlab.url, worker.url)) }
      : { EDGECA_TOKEN: worker.authority.tokens.admin, EDGECA_ID_TOKEN: await gitlab.sign(gitlabClaims(gitlab.url, worker.url)) };
    // GitLab runs before_script and script as one shell script that stops at the first failure; project
    // CI/CD variables (here EDGECA_CLI too) win over the job's `variables:`.
    const r = await sh([...job.before_script, ...job.script].join("\n"), { cwd: dir, env: { ...runnerEnv(dir), ...job.variables, ...ciValues, ...credentials } });
    expect(r.status, `script failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
    checkIssuedFiles(dir);
    const issued = JSON.parse(readFileSync(join(dir, "issued.json"), "utf8")) as { key_source: string; hostnames: string[] };
    expect(issued).toMatchObject({ key_source: "local", hostnames: ["global.mesh.example.com"] });
    expect(await lastIssuer()).toMatchObject(keyless ? { token_name: "infra-kds-gitlab", principal_subject: "project_path:example/infra:ref_type:branch:ref:main" } : { token_name: "test-admin", principal_subject: null });
  });
});

describe("action.yml (the composite GitHub Action)", () => {
  interface ActionStep extends GhStep {
    if?: string;
    shell?: string;
  }

  it("issues a Kuma bundle with the job's OIDC identity and no secret, which OpenSSL verifies", async () => {
    const action = parse(readFileSync(join(REPO, "action.yml"), "utf8")) as {
      inputs: Record<string, { required?: boolean; default?: string }>;
      outputs: Record<string, { value: string }>;
      runs: { using: string; steps: ActionStep[] };
    };
    expect(action.runs.using).toBe("composite");
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(["url", "purpose", "hostnames", "out-dir", "format", "local-key", "ttl", "ca-fingerprint"]));
    const dir = join(temp.dir, "action");
    mkdirSync(dir);
    const given: Record<string, string> = {
      url: worker.url,
      purpose: "kds-global",
      hostnames: "global.mesh.example.com",
      "out-dir": "kds-tls",
      format: "env",
      ttl: "30d",
      "ca-fingerprint": ciValues.EDGECA_CA_FINGERPRINT!,
      cli: ciValues.EDGECA_CLI!,
    };
    const inputs = Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, given[k] ?? v.default ?? ""]));
    // The expressions the action uses: ${{ inputs.x }} and ${{ inputs.x != '' }}.
    const expr = (text: string) =>
      text.replace(/\$\{\{\s*inputs\.([a-z-]+)\s*(!= '')?\s*\}\}/g, (_, name: string, notEmpty?: string) => {
        expect(name in inputs, `input ${name}`).toBe(true);
        return notEmpty ? String(inputs[name] !== "") : inputs[name]!;
      });
    const outputFile = join(dir, "github-output");
    writeFileSync(outputFile, "");
    const requested = runtime.audiences.length;
    for (const step of action.runs.steps) {
      expect(step.shell, `${step.name} declares its shell (composite steps must)`).toBe("bash");
      if (step.if !== undefined && expr(step.if) !== "true") continue;
      // No secret anywhere: only the runner's id-token variables (permissions: id-token: write).
      const env = { ...runnerEnv(dir), ...runtime.env, GITHUB_OUTPUT: outputFile, ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expr(v)])) };
      expect(step.run).not.toMatch(/\$\{\{/);
      const r = await sh(step.run!, { cwd: dir, env });
      expect(r.status, `step "${step.name}" failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
    }
    expect(runtime.audiences.slice(requested)).toEqual([worker.url]);
    checkIssuedFiles(dir);
    const outputs = Object.fromEntries(readFileSync(outputFile, "utf8").trim().split("\n").map((l) => l.split("=", 2) as [string, string]));
    expect(outputs).toEqual({ "cert-file": "kds-tls/tls.crt", "key-file": "kds-tls/tls.key", "ca-file": "kds-tls/ca.crt" });
    expect(readFileSync(join(dir, "kds-tls", "kuma.env"), "utf8")).toContain("KUMA_MULTIZONE_GLOBAL_KDS_TLS_CERT_FILE=");
    expect(await lastIssuer()).toMatchObject({ token_name: "infra-kds", principal_subject: "repo:example/infra:ref:refs/heads/main" });
  });
});
