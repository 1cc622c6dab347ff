/**
 * examples/: the GitHub Actions workflow and the GitLab CI job parse (YAML,
 * with the shape each CI expects), and their shell steps run against the
 * local service. Install steps (GitHub `id: install`, GitLab
 * `before_script`) and `uses:` actions are not run: the bin from this clone
 * is on PATH instead. `${{ secrets.X }}` / `${{ vars.X }}` and CI/CD
 * variables are supplied as the CI would.
 */
import { X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { makeTempDir, opensslVerify } from "../helpers/interop.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";
import { cliEnv, makeToolDir, REPO, sh } from "./cli-harness.ts";

let worker: RunningWorker;
let toolDir: string;
let ciValues: Record<string, string>;
const temp = makeTempDir("edgeca-examples-");

beforeAll(async () => {
  worker = await startRunningWorker();
  toolDir = makeToolDir(temp.dir);
  ciValues = {
    EDGECA_URL: worker.url,
    EDGECA_TOKEN: worker.authority.tokens.admin,
    EDGECA_CA_FINGERPRINT: new X509Certificate(worker.authority.rootPem).fingerprint256.replace(/:/g, "").toLowerCase(),
  };
});

afterAll(async () => {
  await worker?.stop();
  temp.cleanup();
});

function baseEnv(): NodeJS.ProcessEnv {
  const env = cliEnv("", "", { PATH: `${toolDir}:${process.env.PATH}` });
  delete env.EDGECA_URL;
  delete env.EDGECA_TOKEN;
  return env;
}

/** GitHub expressions the example uses: ${{ secrets.X }} and ${{ vars.X }}. */
function expand(value: unknown): string {
  return String(value).replace(/\$\{\{\s*(secrets|vars)\.([A-Z_]+)\s*\}\}/g, (_, _kind, name: string) => {
    expect(ciValues[name], `a value for ${name}`).toBeDefined();
    return ciValues[name]!;
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
    const workflowEnv = Object.fromEntries(Object.entries(wf.env).map(([k, v]) => [k, expand(v)]));
    let ran = 0;
    for (const step of job.steps) {
      expect(Boolean(step.uses) !== Boolean(step.run), `step ${step.name ?? step.uses} has uses or run`).toBe(true);
      if (!step.run || step.id === "install") continue;
      const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v)]));
      // GitHub runs `run:` with bash -e {0} (and pipefail) on Linux runners.
      const r = await sh(step.run, { cwd: dir, env: { ...baseEnv(), ...workflowEnv, ...stepEnv } });
      expect(r.status, `step "${step.name}" failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
      ran++;
    }
    expect(ran).toBe(3);
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
    const dir = join(temp.dir, "gitlab");
    mkdirSync(dir);
    // GitLab joins script lines into one shell script that stops at the first failure.
    const r = await sh(job.script.join("\n"), { cwd: dir, env: { ...baseEnv(), ...ciValues, ...job.variables } });
    expect(r.status, `script failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
    checkIssuedFiles(dir);
    const issued = JSON.parse(readFileSync(join(dir, "issued.json"), "utf8")) as { key_source: string; hostnames: string[] };
    expect(issued).toMatchObject({ key_source: "local", hostnames: ["global.mesh.example.com"] });
  });
});
