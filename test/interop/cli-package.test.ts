/**
 * The CLI as an npm package: `npm pack` holds only the whitelisted files, the
 * tarball installs with `npm install -g --prefix` offline with an empty cache
 * (it needs nothing from a registry), and the installed `edgeca` runs from a
 * directory outside the repository with no TypeScript loader and no access
 * to the repository's node_modules, against the running service.
 */
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, opensslVerify } from "../helpers/interop.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";
import { installCli, outsideEnv, packCli, REPO, spawnAsync, tarballFiles } from "./cli-harness.ts";

const temp = makeTempDir("edgeca-cli-package-");
const version = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
let worker: RunningWorker;
let tarball: string;
let bin: string;

beforeAll(async () => {
  [worker, tarball] = await Promise.all([startRunningWorker(), packCli()]);
  bin = join(await installCli(tarball, join(temp.dir, "prefix")), "edgeca");
});

afterAll(async () => {
  await worker?.stop();
  temp.cleanup();
});

/** `edgeca …args` from the install prefix, in a directory outside the repository, with no npm/node_modules environment. */
function installed(args: string[], extra: Record<string, string> = {}) {
  return spawnAsync(bin, args, { cwd: temp.dir, env: outsideEnv({ NODE_NO_WARNINGS: "1", EDGECA_RETRY_DELAY_MS: "50", ...extra }) });
}

describe("npm pack", () => {
  it("is named edgeca-<version>.tgz and holds only the bin, the compiled CLI, its licences and the manifest", () => {
    expect(tarball.endsWith(`/edgeca-${version}.tgz`)).toBe(true);
    const files = tarballFiles(tarball);
    const fixed = ["README.md", "bin/edgeca.js", "dist/cli/THIRD-PARTY-LICENSES.txt", "dist/cli/edgeca.js", "package.json"];
    const chunks = files.filter((f) => !fixed.includes(f));
    expect(files.filter((f) => fixed.includes(f))).toEqual(fixed);
    // Everything else is a code-split chunk of the compiled CLI: no sources, tests, worker, migrations, keys or dev state.
    expect(chunks.length).toBeGreaterThan(0);
    for (const f of chunks) expect(f).toMatch(/^dist\/cli\/chunks\/[a-z-]+-[A-Z0-9]{8}\.js$/);
  });

  it("is the version the README, docs/kuma.md and the CI examples tell users to install", () => {
    for (const file of ["README.md", "docs/kuma.md", "examples/github-actions.yml", "examples/gitlab-ci.yml"]) {
      const named = [...readFileSync(join(REPO, file), "utf8").matchAll(/\bedgeca[@-](\d+\.\d+\.\d+)\b/g)].map((m) => m[1]);
      expect(named.length, file).toBeGreaterThan(0);
      expect(new Set(named), file).toEqual(new Set([version]));
    }
  });

  it("declares no runtime dependencies and no install scripts", () => {
    const manifest = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.private).toBeUndefined();
    for (const script of ["preinstall", "install", "postinstall", "prepare"]) expect(manifest.scripts?.[script], script).toBeUndefined();
  });
});

describe("the installed edgeca", () => {
  it("is the compiled CLI, alone in its prefix (no dependencies installed with it)", () => {
    const pkgDir = join(temp.dir, "prefix", "lib", "node_modules", "edgeca");
    expect(realpathSync(bin)).toBe(join(realpathSync(pkgDir), "bin", "edgeca.js"));
    expect(existsSync(join(pkgDir, "node_modules"))).toBe(false);
    expect(existsSync(join(pkgDir, "src"))).toBe(false);
  });

  it("--version prints package.json's version", async () => {
    const r = await installed(["--version"]);
    expect(r).toMatchObject({ status: 0, stdout: `edgeca ${version}\n`, stderr: "" });
  });

  it("--help lists the commands and exits 0", async () => {
    const r = await installed(["--help"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`edgeca ${version}: TLS certificates for Kuma / Kong Mesh control planes`);
    for (const command of ["issue", "renew", "ca", "verify", "ca init", "token create", "acme eab"]) expect(r.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
  });

  it("ca fetches the service's trust bundle, pinned to the root's fingerprint", async () => {
    const fingerprint = new X509Certificate(worker.authority.rootPem).fingerprint256.replace(/:/g, "").toLowerCase();
    const r = await installed(["ca", "--url", worker.url, "--out", "ca.crt", "--pin", `sha256:${fingerprint}`]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const written = new X509Certificate(readFileSync(join(temp.dir, "ca.crt")));
    expect(written.fingerprint256).toBe(new X509Certificate(worker.authority.rootPem).fingerprint256);
  });

  it("issue --local-key (the @peculiar/x509 chunk) gets a certificate OpenSSL accepts for the name", async () => {
    const r = await installed(["issue", "--hostname", "cp.package.example.com", "--local-key", "--out-dir", "tls"], { EDGECA_URL: worker.url, EDGECA_TOKEN: worker.authority.tokens.admin });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const dir = join(temp.dir, "tls");
    expect(opensslVerify({ ca: join(dir, "ca.crt"), untrusted: join(dir, "tls.crt"), cert: join(dir, "tls.crt"), hostname: "cp.package.example.com" }).ok).toBe(true);
  });
});
