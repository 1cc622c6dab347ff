/**
 * Running the real `edgeca` bin and shell snippets that call it, from interop
 * tests: from this clone (bin/edgeca.js → tsx → src/cli), or as users get it
 * (`npm pack`, installed into a prefix outside the repository, compiled
 * JavaScript); plus a tiny HTTP proxy that records requests and can fail the
 * first N with 503. Always asynchronous: the worker under test answers from
 * this process's event loop.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { delimiter, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { closeServer, listenLoopback } from "../helpers/net.ts";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(REPO, "bin", "edgeca.js");

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function spawnAsync(file: string, args: string[], o: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { cwd: o.cwd ?? REPO, env: o.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    // On timeout, also drop the pipes: a grandchild (a shell's background job) holding them open would otherwise keep 'close' from firing.
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      child.stdout.destroy();
      child.stderr.destroy();
    }, o.timeoutMs ?? 60_000);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout, stderr });
    });
    // A child may exit before reading its stdin (a usage error, a fake that
    // ignores input): the write then fails with EPIPE (or ECONNRESET) on the
    // pipe's own stream, asynchronously. That is the child having exited, which
    // 'close' reports with its status; anything else is a real failure.
    child.stdin.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE" || e.code === "ECONNRESET" || e.code === "ERR_STREAM_DESTROYED") return;
      clearTimeout(timer);
      reject(e);
    });
    child.stdin.end(o.input ?? "");
  });
}

/** The environment a user would have: EDGECA_URL/EDGECA_TOKEN set, fast retries. */
export function cliEnv(url: string, token: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, EDGECA_URL: url, EDGECA_TOKEN: token, EDGECA_RETRY_DELAY_MS: "50", NODE_NO_WARNINGS: "1", ...extra };
}

/** `edgeca …args` */
export function edgeca(args: string[], o: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Run> {
  return spawnAsync(process.execPath, [BIN, ...args], o);
}

/**
 * A directory for PATH holding `edgeca` (the real bin) and, when asked, fakes
 * for commands a recipe runs that have no place in a test (kubectl, helm,
 * systemctl): each records its arguments and stdin under `state`.
 */
export function makeToolDir(parent: string, fakes: Record<string, string> = {}): string {
  const dir = join(parent, "bin");
  mkdirSync(dir, { recursive: true });
  // The fakes are extension-less CommonJS scripts: say so, whatever package.json a parent of the temp dir may hold.
  writeFileSync(join(dir, "package.json"), '{ "type": "commonjs" }\n');
  symlinkSync(BIN, join(dir, "edgeca"));
  // The fakes are CommonJS scripts: pin that, whatever package.json a parent of the temp dir may hold.
  writeFileSync(join(dir, "package.json"), '{ "type": "commonjs" }\n');
  for (const [name, script] of Object.entries(fakes)) {
    writeFileSync(join(dir, name), script);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

/** `bash -euo pipefail -c script` in `cwd` with `env`. */
export function sh(script: string, o: { env: NodeJS.ProcessEnv; cwd: string }): Promise<Run> {
  return spawnAsync("bash", ["-euo", "pipefail", "-c", script], { ...o, timeoutMs: 120_000 });
}

/** An environment without the repository: no npm_* variables of a parent npm run, no node_modules/.bin on PATH, no NODE_PATH/NODE_OPTIONS. */
export function outsideEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === "NODE_PATH" || k === "NODE_OPTIONS" || k === "INIT_CWD") continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((p) => p && !p.includes("node_modules") && !p.startsWith(REPO))
    .join(delimiter);
  return { ...env, ...extra };
}

/**
 * A runner with Node and nothing of this repository: `npm install -g` goes
 * to a fresh prefix whose bin/ is on PATH, offline with an empty cache (the
 * tarball needs nothing from a registry).
 */
export function runnerEnv(dir: string): NodeJS.ProcessEnv {
  const prefix = join(dir, ".npm-global");
  const env = outsideEnv({ npm_config_prefix: prefix, npm_config_cache: join(prefix, ".cache"), npm_config_offline: "true", npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false", EDGECA_RETRY_DELAY_MS: "50", NODE_NO_WARNINGS: "1" });
  env.PATH = `${join(prefix, "bin")}:${env.PATH}`;
  for (const name of Object.keys(env)) if (name.startsWith("EDGECA_") && name !== "EDGECA_RETRY_DELAY_MS") delete env[name];
  return env;
}

async function mustRun(file: string, args: string[], o: { env: NodeJS.ProcessEnv; cwd: string }): Promise<Run> {
  const r = await spawnAsync(file, args, { ...o, timeoutMs: 180_000 });
  if (r.status !== 0) throw new Error(`${file} ${args.join(" ")} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** What decides the tarball's content: the manifest, the lock file, the README, the bin, the build script and src/. */
function packInputsHash(): string {
  const hash = createHash("sha256");
  const add = (file: string) => hash.update(relative(REPO, file)).update("\0").update(readFileSync(file)).update("\0");
  for (const f of ["package.json", "package-lock.json", "README.md", "bin/edgeca.js", "scripts/build-cli.ts"]) add(join(REPO, f));
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else add(join(dir, e.name));
    }
  };
  walk(join(REPO, "src"));
  return hash.digest("hex").slice(0, 16);
}

/**
 * `npm pack` of this repository (prepack compiles src/cli to dist/cli): the
 * path of edgeca-<version>.tgz. Packing takes seconds, so it is done once per
 * content, kept under node_modules/.cache/edgeca-cli-pack/<hash>/; test files
 * (separate processes) asking at the same time wait on a lock directory for
 * the first one's pack — two concurrent packs would also race on dist/cli.
 */
export async function packCli(): Promise<string> {
  const { version } = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string };
  const cacheRoot = join(REPO, "node_modules", ".cache", "edgeca-cli-pack");
  const dir = join(cacheRoot, packInputsHash());
  const tarball = join(dir, `edgeca-${version}.tgz`);
  const lock = `${dir}.lock`;
  mkdirSync(cacheRoot, { recursive: true });
  for (const deadline = Date.now() + 180_000; !existsSync(tarball); ) {
    try {
      mkdirSync(lock);
    } catch {
      // Another process is packing; a lock older than 3 minutes was left by one that died.
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > 180_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    try {
      if (existsSync(tarball)) break;
      const staging = `${dir}.tmp`;
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging);
      await mustRun("npm", ["pack", "--pack-destination", staging, "--silent"], { cwd: REPO, env: { ...outsideEnv(), PATH: process.env.PATH ?? "" } });
      renameSync(staging, dir);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return tarball;
}

/** The files inside a tarball (without npm's package/ prefix), sorted. */
export function tarballFiles(tarball: string): string[] {
  return execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l && !l.endsWith("/"))
    .map((l) => l.replace(/^package\//, ""))
    .sort();
}

/**
 * `npm install -g --prefix <prefix> <tarball>` from outside the repository,
 * offline and with an empty npm cache, so it succeeds only if the tarball
 * needs nothing from a registry. Returns the directory holding `edgeca`.
 */
export async function installCli(tarball: string, prefix: string): Promise<string> {
  const cache = join(prefix, ".npm-cache");
  mkdirSync(cache, { recursive: true });
  await mustRun("npm", ["install", "-g", "--prefix", prefix, "--offline", "--no-audit", "--no-fund", "--loglevel=error", tarball], {
    cwd: prefix,
    env: outsideEnv({ npm_config_cache: cache, npm_config_update_notifier: "false" }),
  });
  return join(prefix, "bin");
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface Proxy {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Forwards to `target`, recording every request. The first `failures`
 * requests to `failPath` (default: any) are answered 503 problem+json
 * instead, the last of them with `Retry-After: retryAfter` when given.
 */
export async function startProxy(target: string, o: { failures?: number; failPath?: string; retryAfter?: string } = {}): Promise<Proxy> {
  const requests: RecordedRequest[] = [];
  let failed = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const record: RecordedRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body, status: 0 };
      requests.push(record);
      if (failed < (o.failures ?? 0) && (!o.failPath || (req.url ?? "").startsWith(o.failPath))) {
        failed++;
        record.status = 503;
        const headers: Record<string, string> = { "content-type": "application/problem+json" };
        if (failed === o.failures && o.retryAfter !== undefined) headers["retry-after"] = o.retryAfter;
        res.writeHead(503, headers).end(JSON.stringify({ title: "Service Unavailable", status: 503, code: "overloaded", detail: "try again" }));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "content-length") headers[k] = v;
      // An async listener's rejection is nobody's: an unreachable upstream must become a 502 the CLI sees, not an unhandled rejection.
      try {
        const upstream = await fetch(target + (req.url ?? "/"), { method: req.method, headers, body: req.method === "GET" || req.method === "HEAD" ? undefined : body });
        record.status = upstream.status;
        const out = Buffer.from(await upstream.arrayBuffer());
        const outHeaders: Record<string, string> = {};
        upstream.headers.forEach((v, k) => {
          if (k !== "content-encoding" && k !== "content-length" && k !== "transfer-encoding") outHeaders[k] = v;
        });
        res.writeHead(upstream.status, outHeaders).end(out);
      } catch (e) {
        record.status = 502;
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
        res.end(`proxy: ${(e as Error).message}`);
      }
    });
  });
  const port = await listenLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => closeServer(server),
  };
}
