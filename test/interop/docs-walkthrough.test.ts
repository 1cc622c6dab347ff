/**
 * The documented path, followed as a newcomer follows it, in order: README.md's
 * quick start puts `edgeca` on the PATH (`npm link` into a fresh npm prefix; the
 * `alias` line too), then its CLI and curl blocks run top to bottom, then
 * docs/kuma.md's "against a local npm start" setup and every recipe of sections
 * 1–5, in document order, in one `bash -euo pipefail` session, exactly as
 * written. The only change to the text is the local service's port
 * (http://127.0.0.1:8787 → the test worker's ephemeral port).
 *
 * The scratch directory stands in for the clone after `npm start`: it holds the
 * `.dev.token` and `.dev.vars` npm start writes (here with the running worker's
 * admin token and CA), and everything the blocks write lands in it. Afterwards
 * `git status` there, under the repository's .gitignore, must show nothing: the
 * examples' output (keys included) is never one `git add -A` away from a commit.
 * kubectl and helm are recording stand-ins; nothing of the repository is on the
 * PATH but what the README's step puts there. The CA rotation runbook needs a
 * restart per phase and runs in rotation.test.ts.
 */
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeDevVars } from "../../src/cli/dev-vars.ts";
import { makeTempDir } from "../helpers/interop.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";
import { outsideEnv, REPO, spawnAsync, sh } from "./cli-harness.ts";
import { FAKE_HELM, FAKE_KUBECTL, plainBlock, ROTATION_RECIPES, runnableBlocks, walkthroughScript } from "./recipe-harness.ts";

let worker: RunningWorker;
const temp = makeTempDir("edgeca-walkthrough-");
const clone = join(temp.dir, "clone");
const prefix = join(temp.dir, "npm-global");
const kubeState = join(temp.dir, "kube-state");
const readme = readFileSync(join(REPO, "README.md"), "utf8");
const kuma = readFileSync(join(REPO, "docs", "kuma.md"), "utf8");

/** A user's shell: nothing of the repository on the PATH, no EDGECA_* set, the stand-ins for kubectl and helm. */
function userEnv(): NodeJS.ProcessEnv {
  const tools = join(temp.dir, "tools");
  const env = outsideEnv({ npm_config_prefix: prefix, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false", KUBE_STATE: kubeState, EDGECA_RETRY_DELAY_MS: "50", NODE_NO_WARNINGS: "1" });
  for (const name of Object.keys(env)) if (name.startsWith("EDGECA_") && name !== "EDGECA_RETRY_DELAY_MS") delete env[name];
  env.PATH = `${join(prefix, "bin")}:${tools}:${env.PATH}`;
  return env;
}

beforeAll(async () => {
  worker = await startRunningWorker();
  mkdirSync(clone, { recursive: true });
  mkdirSync(kubeState, { recursive: true });
  // What npm start leaves in the clone: the admin token, and the secrets wrangler dev reads (the same format).
  writeFileSync(join(clone, ".dev.token"), worker.authority.tokens.admin + "\n", { mode: 0o600 });
  writeDevVars(join(clone, ".dev.vars"), new Map(Object.entries(worker.authority.bindings)));
  const tools = join(temp.dir, "tools");
  mkdirSync(tools);
  writeFileSync(join(tools, "package.json"), '{ "type": "commonjs" }\n');
  for (const [name, script] of Object.entries({ kubectl: FAKE_KUBECTL, helm: FAKE_HELM })) {
    writeFileSync(join(tools, name), script);
    chmodSync(join(tools, name), 0o755);
  }
});

afterAll(async () => {
  await worker?.stop();
  temp.cleanup();
});

describe("README.md, then docs/kuma.md, followed in order", () => {
  const pathBlock = plainBlock(readme, "npm link");
  let linked: Promise<Awaited<ReturnType<typeof sh>>> | undefined;
  /** The README's `npm link` line, run once in the clone (the repository), into the test's npm prefix. */
  const npmLink = () => (linked ??= sh(pathBlock!.split("\n").find((l) => /^npm link\b/.test(l))!, { env: userEnv(), cwd: REPO }));

  it("the README says how to put edgeca on the PATH, and `npm link` in the clone does", async () => {
    expect(pathBlock, "README.md has a ```sh block with npm link").toBeDefined();
    const before = await sh("command -v edgeca || true", { env: userEnv(), cwd: temp.dir });
    expect(before.stdout.trim(), "no edgeca on the PATH before the README's step").toBe("");
    const r = await npmLink();
    expect(r.status, r.stderr).toBe(0);
    const after = await sh("command -v edgeca && edgeca --version", { env: userEnv(), cwd: temp.dir });
    expect(after.status, after.stderr).toBe(0);
    expect(after.stdout).toContain(join(prefix, "bin", "edgeca"));
    expect(after.stdout).toMatch(/^edgeca \d+\.\d+\.\d+$/m);
  });

  it("the README's alias line works from the clone too (an interactive shell expands aliases)", async () => {
    const alias = pathBlock!.split("\n").find((l) => /^alias edgeca=/.test(l))!;
    expect(alias).toBeDefined();
    const env = { ...userEnv(), PATH: outsideEnv().PATH! };
    const r = await sh(`shopt -s expand_aliases\n${alias}\ncd ${JSON.stringify(temp.dir)}\nedgeca --version`, { env, cwd: REPO });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^edgeca \d+\.\d+\.\d+$/m);
  });

  it("the README's blocks and the Kuma recipes run top to bottom without a failure, and every file they write is git-ignored", async () => {
    const readmeBlocks = runnableBlocks(readme);
    expect(readmeBlocks.map((b) => b.id)).toEqual(["readme-cli", "readme-curl"]);
    const kumaBlocks = runnableBlocks(kuma).filter((b) => !ROTATION_RECIPES.includes(b.id));
    expect(kumaBlocks[0]).toMatchObject({ kind: "setup", id: "local" });
    expect((await npmLink()).status, "npm link").toBe(0);
    const script = walkthroughScript([...readmeBlocks, ...kumaBlocks], worker.url);
    expect(script).not.toContain("127.0.0.1:8787");

    const r = await spawnAsync("bash", ["-euo", "pipefail", "-c", script], { env: userEnv(), cwd: clone, timeoutMs: 300_000 });
    const lastBlock = [...r.stdout.matchAll(/^::block (\S+)$/gm)].at(-1)?.[1];
    expect(r.status, `stopped in block ${lastBlock}:\n${r.stderr}`).toBe(0);
    // Every block ran, in the order of the text.
    expect([...r.stdout.matchAll(/^::block (\S+)$/gm)].map((m) => m[1])).toEqual([...readmeBlocks, ...kumaBlocks].map((b) => b.id));

    // The README's two issuances went to different directories: the verify of tls/tls.crt for cp.example.com passed.
    expect(r.stdout).toMatch(/^VALID\b/m);
    const leaf = (dir: string) => new X509Certificate(readFileSync(join(clone, dir, "tls.crt"))).subjectAltName;
    expect(leaf("tls")).toBe("DNS:cp.example.com, IP Address:10.0.0.5");
    expect(leaf("tls-general")).toContain("DNS:kuma-control-plane.kuma-system.svc");
    expect(leaf("curl-tls")).toBe("DNS:cp.example.com");
    expect(readFileSync(join(clone, "tls-general", "secret.yaml"), "utf8")).toMatch(/^kind: Secret$/m);
    expect(readFileSync(join(clone, "ca.crt"), "utf8")).toBe(worker.authority.rootPem.trim() + "\n");
    // The Kuma recipes ran inside kuma-recipes/, pinned to the root read from .dev.vars.
    expect(readFileSync(join(clone, "kuma-recipes", "dp-ca.crt"), "utf8")).toBe(worker.authority.rootPem.trim() + "\n");
    expect(readFileSync(join(clone, "kuma-recipes", "cp-tls", "kuma.env"), "utf8")).toContain(`KUMA_GENERAL_TLS_CERT_FILE=${join(clone, "kuma-recipes", "cp-tls", "tls.crt")}`);
    expect(existsSync(join(kubeState, "kuma-system", "general-tls-certs", "tls.key"))).toBe(true);

    // git status in the clone shows nothing the examples wrote.
    copyFileSync(join(REPO, ".gitignore"), join(clone, ".gitignore"));
    execFileSync("git", ["init", "-q"], { cwd: clone });
    const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: clone, encoding: "utf8" });
    expect(status.trim().split("\n")).toEqual(["?? .gitignore"]);
  });
});
