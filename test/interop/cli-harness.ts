/**
 * Running the real `edgeca` bin (bin/edgeca.js → tsx → src/cli) and shell
 * snippets that call it, from interop tests; plus a tiny HTTP proxy that
 * records requests and can fail the first N with 503. Always asynchronous:
 * the worker under test answers from this process's event loop.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(REPO, "bin", "edgeca.js");

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function spawnAsync(file: string, args: string[], o: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { cwd: o.cwd ?? REPO, env: o.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 60_000);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout, stderr });
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
      const upstream = await fetch(target + (req.url ?? "/"), { method: req.method, headers, body: req.method === "GET" || req.method === "HEAD" ? undefined : body });
      record.status = upstream.status;
      const out = Buffer.from(await upstream.arrayBuffer());
      const outHeaders: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (k !== "content-encoding" && k !== "content-length" && k !== "transfer-encoding") outHeaders[k] = v;
      });
      res.writeHead(upstream.status, outHeaders).end(out);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
