/**
 * examples/: the GitHub Actions workflow and the GitLab CI job parse (YAML,
 * with the shape each CI expects), and their shell steps run against the
 * local service, the install step included: EDGECA_CLI is the tarball
 * `npm pack` makes of this repository (as a release's URL would be), npm's
 * global prefix is a temporary directory, and nothing of the repository is
 * on PATH. `uses:` actions are not run (Node is already here).
 * `${{ secrets.X }}` / `${{ vars.X }}` and CI/CD variables are supplied as
 * the CI would.
 */
import { X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { makeTempDir, opensslVerify } from "../helpers/interop.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";
import { outsideEnv, packCli, REPO, sh } from "./cli-harness.ts";

let worker: RunningWorker;
let ciValues: Record<string, string>;
const temp = makeTempDir("edgeca-examples-");
const version = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;

beforeAll(async () => {
  let tarball: string;
  [worker, tarball] = await Promise.all([startRunningWorker(), packCli()]);
  ciValues = {
    EDGECA_URL: worker.url,
    EDGECA_TOKEN: worker.authority.tokens.admin,
    EDGECA_CA_FINGERPRINT: new X509Certificate(worker.authority.rootPem).fingerprint256.replace(/:/g, "").toLowerCase(),
    EDGECA_CLI: tarball,
  };
});

afterAll(async () => {
  await worker?.stop();
  temp.cleanup();
});

/**
 * A runner with Node and nothing of this repository: `npm install -g` goes
 * to a fresh prefix whose bin/ is on PATH, offline with an empty cache (the
 * tarball needs nothing from a registry).
 */
function runnerEnv(dir: string): NodeJS.ProcessEnv {
  const prefix = join(dir, ".npm-global");
  const env = outsideEnv({ npm_config_prefix: prefix, npm_config_cache: join(prefix, ".cache"), npm_config_offline: "true", npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false", EDGECA_RETRY_DELAY_MS: "50", NODE_NO_WARNINGS: "1" });
  env.PATH = `${join(prefix, "bin")}:${env.PATH}`;
  for (const name of Object.keys(env)) if (name.startsWith("EDGECA_") && name !== "EDGECA_RETRY_DELAY_MS") delete env[name];
  return env;
}

/** GitHub expressions the example uses: ${{ secrets.X }}, ${{ vars.X }} and ${{ vars.X || 'default' }}. */
function expand(value: unknown): string {
  return String(value).replace(/\$\{\{\s*(secrets|vars)\.([A-Z_]+)\s*(?:\|\|\s*'([^']*)'\s*)?\}\}/g, (_, _kind, name: string, fallback?: string) => {
    const v = ciValues[name] ?? fallback;
    expect(v, `a value for ${name}`).toBeDefined();
    return v!;
  });
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
  it("is a workflow whose run steps issue and verify against the service", async () => {
    const wf = parse(readFileSync(join(REPO, "examples", "github-actions.yml"), "utf8")) as {
      on: unknown;
      env: Record<string, string>;
      jobs: Record<string, { "runs-on": string; steps: GhStep[] }>;
    };
    expect(wf.on).toBeDefined();
    const jobs = Object.values(wf.jobs);
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job["runs-on"]).toBeTruthy();
    const dir = join(temp.dir, "github");
    mkdirSync(dir);
    // Without the variable, the registry's package of this version.
    expect(wf.env.EDGECA_CLI).toBe(`\${{ vars.EDGECA_CLI || 'edgeca@${version}' }}`);
    const workflowEnv = Object.fromEntries(Object.entries(wf.env).map(([k, v]) => [k, expand(v)]));
    let ran = 0;
    for (const step of job.steps) {
      expect(Boolean(step.uses) !== Boolean(step.run), `step ${step.name ?? step.uses} has uses or run`).toBe(true);
      if (!step.run) continue;
      const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v)]));
      // GitHub runs `run:` with bash -e {0} (and pipefail) on Linux runners.
      const r = await sh(step.run, { cwd: dir, env: { ...runnerEnv(dir), ...workflowEnv, ...stepEnv } });
      expect(r.status, `step "${step.name}" failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
      ran++;
    }
    expect(ran).toBe(4);
    expect(job.steps.find((s) => s.id === "install")?.run).toBe('npm install -g "$EDGECA_CLI"');
    checkIssuedFiles(dir);
    expect(readFileSync(join(dir, "kds.env"), "utf8")).toContain(`KUMA_MULTIZONE_GLOBAL_KDS_TLS_CERT_FILE=${dir}/kds-tls/tls.crt`);
  });
});

describe("examples/gitlab-ci.yml", () => {
  it("is a job whose script issues and verifies against the service", async () => {
    const ci = parse(readFileSync(join(REPO, "examples", "gitlab-ci.yml"), "utf8")) as Record<string, unknown>;
    expect(ci.stages).toEqual(["certificates"]);
    const job = ci["kds-certificate"] as { stage: string; variables: Record<string, string>; before_script: string[]; script: string[]; artifacts: { paths: string[] } };
    expect(job.stage).toBe("certificates");
    expect(job.artifacts.paths).not.toContain("kds-tls/tls.key");
    expect(job.variables.EDGECA_CLI).toBe(`edgeca@${version}`);
    const dir = join(temp.dir, "gitlab");
    mkdirSync(dir);
    // GitLab runs before_script and script as one shell script that stops at the first failure; project
    // CI/CD variables (here EDGECA_CLI too) win over the job's `variables:`.
    const r = await sh([...job.before_script, ...job.script].join("\n"), { cwd: dir, env: { ...runnerEnv(dir), ...job.variables, ...ciValues } });
    expect(r.status, `script failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
    checkIssuedFiles(dir);
    const issued = JSON.parse(readFileSync(join(dir, "issued.json"), "utf8")) as { key_source: string; hostnames: string[] };
    expect(issued).toMatchObject({ key_source: "local", hostnames: ["global.mesh.example.com"] });
  });
});
