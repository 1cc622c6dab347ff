/**
 * Tools for the interop tier: calling the running service, writing bundles
 * to temp files, and driving real clients (the OpenSSL CLI, node:tls) over
 * them. OpenSSL is always spawned with an argument vector, never a shell.
 */
import { execFile, spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { closeServer, listenLoopback } from "./net.ts";
import type { RunningWorker } from "./running-worker.ts";
import type { IssuedCertificateJson } from "../../src/http/render.ts";

export const KEY_ALGORITHMS = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519"] as const;
export type KeyAlgorithmName = (typeof KEY_ALGORITHMS)[number];

export type Issued = IssuedCertificateJson;

export interface ApiResponse {
  status: number;
  contentType: string;
  body: Buffer;
  json<T = unknown>(): T;
}

/** POST a JSON body to the running worker with a bearer token. */
export async function post(worker: RunningWorker, path: string, body: unknown, token = worker.authority.tokens.admin): Promise<ApiResponse> {
  const res = await fetch(`${worker.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const buf = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    contentType: res.headers.get("content-type") ?? "",
    body: buf,
    json: <T>() => JSON.parse(buf.toString("utf8")) as T,
  };
}

/** POST /v1/certificates and insist on 201; the error message carries the problem document. */
export async function issue(worker: RunningWorker, body: Record<string, unknown>, token?: string): Promise<Issued> {
  const res = await post(worker, "/v1/certificates", body, token);
  if (res.status !== 201) throw new Error(`issue ${JSON.stringify(body)} → ${res.status}: ${res.body.toString("utf8")}`);
  return res.json<Issued>();
}

/** The PEM blocks of a bundle, each ending with a newline. */
export function splitPem(pem: string): string[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => `${b}\n`);
}

export function makeTempDir(prefix = "edgeca-interop-"): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface BundleFiles {
  dir: string;
  /** tls.crt: leaf + intermediates */
  chain: string;
  /** the leaf alone */
  leaf: string;
  /** the intermediates from tls.crt (for -untrusted) */
  intermediates: string;
  /** tls.key (absent for CSR-signed certificates) */
  key: string;
  /** ca.crt: the trust bundle */
  ca: string;
}

/** Write a bundle the way a user would lay it out, in a fresh directory under `parent`. */
export function writeBundle(parent: string, name: string, bundle: { chain: string; ca: string; private_key?: string | undefined }): BundleFiles {
  const dir = mkdtempSync(join(parent, `${name.replace(/[^a-z0-9.-]/gi, "_")}-`));
  const blocks = splitPem(bundle.chain);
  const files: BundleFiles = {
    dir,
    chain: join(dir, "tls.crt"),
    leaf: join(dir, "leaf.pem"),
    intermediates: join(dir, "intermediates.pem"),
    key: join(dir, "tls.key"),
    ca: join(dir, "ca.crt"),
  };
  writeFileSync(files.chain, bundle.chain);
  writeFileSync(files.leaf, blocks[0] ?? "");
  writeFileSync(files.intermediates, blocks.slice(1).join(""));
  writeFileSync(files.ca, bundle.ca);
  if (bundle.private_key !== undefined) writeFileSync(files.key, bundle.private_key, { mode: 0o600 });
  return files;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `openssl …args` synchronously (for commands that do not talk to a server in this process). */
export function openssl(args: string[], input?: string | Buffer): RunResult {
  const r = spawnSync("openssl", args, { input, encoding: "utf8", timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Like openssl() but throws with stderr when the command fails. */
export function opensslOk(args: string[], input?: string | Buffer): string {
  const r = openssl(args, input);
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export interface VerifyOptions {
  ca: string;
  untrusted?: string;
  cert: string;
  purpose?: "sslserver" | "sslclient";
  hostname?: string;
  ip?: string;
}

/** `openssl verify -x509_strict -purpose … [-verify_hostname|-verify_ip] -CAfile … -untrusted … cert` */
export function opensslVerify(o: VerifyOptions): RunResult & { ok: boolean } {
  const args = ["verify", "-x509_strict", "-purpose", o.purpose ?? "sslserver", "-CAfile", o.ca];
  if (o.untrusted !== undefined) args.push("-untrusted", o.untrusted);
  if (o.hostname !== undefined) args.push("-verify_hostname", o.hostname);
  if (o.ip !== undefined) args.push("-verify_ip", o.ip);
  args.push(o.cert);
  const r = openssl(args);
  // openssl verify prints "<file>: OK" on success; the exit status alone is enough, both are required.
  return { ...r, ok: r.status === 0 && r.stdout.trim().endsWith(": OK") };
}

/** Run a command without blocking the event loop (needed when it talks to a server in this process). */
export function runAsync(file: string, args: string[], input = ""): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { encoding: "utf8", timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && typeof (error as NodeJS.ErrnoException).code === "string") return reject(error);
      resolve({ status: child.exitCode, stdout, stderr });
    });
    // The child may exit before reading stdin (s_client on a refused handshake): the write's EPIPE is that exit,
    // which the callback above reports; without a listener it would be an uncaught 'error'.
    child.stdin?.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE" && e.code !== "ECONNRESET") reject(e);
    });
    child.stdin?.end(input);
  });
}

export interface TlsServer {
  port: number;
  /** handshake failures the server saw (e.g. a client certificate it refused) */
  clientErrors: NodeJS.ErrnoException[];
  close(): Promise<void>;
}

/** A TLS server on 127.0.0.1 serving `cert` (full chain) and `key`; it writes "hello" and closes. */
export async function startTlsServer(options: { cert: string; key: string; clientCa?: string }): Promise<TlsServer> {
  // With clientCa, the server asks for a client certificate and answers "hello <CN>" only when it
  // verified (rejectUnauthorized is off so the reason reaches the client as "denied <code>").
  const mutual = options.clientCa !== undefined ? { requestCert: true, rejectUnauthorized: false, ca: options.clientCa } : {};
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({ cert: options.cert, key: options.key, minVersion: "TLSv1.2", ...mutual }, (socket) => {
    // After the handshake a socket's errors are the server's to handle: a client that refuses our certificate
    // (TLS 1.3: after the server finished) resets the connection while "hello" is written — ECONNRESET/EPIPE,
    // which without a listener is an uncaught exception. Record it like a handshake failure.
    socket.on("error", (err: NodeJS.ErrnoException) => clientErrors.push(err));
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    if (!mutual.requestCert) return socket.end("hello\n");
    if (!socket.authorized) return socket.end(`denied ${String((socket.authorizationError as NodeJS.ErrnoException | null)?.code ?? socket.authorizationError)}\n`);
    socket.end(`hello ${socket.getPeerCertificate().subject?.CN ?? ""}\n`);
  });
  // Failed handshakes are expected in negative tests: record them for assertions.
  const clientErrors: NodeJS.ErrnoException[] = [];
  server.on("tlsClientError", (err: NodeJS.ErrnoException) => clientErrors.push(err));
  const port = await listenLoopback(server);
  return {
    port,
    clientErrors,
    close: () => {
      const closed = closeServer(server);
      for (const s of sockets) s.destroy();
      return closed;
    },
  };
}

export interface HandshakeResult {
  authorized: boolean;
  error?: string;
  code?: string;
  data?: string;
  protocol?: string | null;
  peerSubjectAltName?: string;
}

/**
 * Connect to 127.0.0.1:port trusting only `ca`, with `servername` (omit it to
 * connect by IP, when Node checks the IP SAN against the host), and report
 * whether the handshake and the name check succeeded.
 */
export function tlsHandshake(options: {
  port: number;
  ca: string;
  servername?: string;
  maxVersion?: tls.SecureVersion;
  /** a client certificate chain and key, for mutual TLS */
  cert?: string;
  key?: string;
}): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port: options.port,
      ca: options.ca,
      ...(options.servername !== undefined ? { servername: options.servername } : {}),
      ...(options.maxVersion !== undefined ? { maxVersion: options.maxVersion } : {}),
      ...(options.cert !== undefined ? { cert: options.cert, key: options.key } : {}),
      rejectUnauthorized: true,
    });
    let data = "";
    let settled = false;
    const finish = (r: HandshakeResult) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(10_000, () => finish({ authorized: false, error: "timeout" }));
    socket.on("secureConnect", () => {
      const peer = socket.getPeerCertificate();
      const protocol = socket.getProtocol();
      socket.on("data", (chunk) => (data += chunk.toString("utf8")));
      socket.on("end", () => finish({ authorized: socket.authorized, data, protocol, peerSubjectAltName: peer.subjectaltname }));
    });
    socket.on("error", (err: NodeJS.ErrnoException) => finish({ authorized: false, error: err.message, code: err.code }));
  });
}

/** `openssl s_client -verify_return_error -verify_hostname <name> -CAfile ca.crt` against 127.0.0.1:port. */
export function sClient(options: { port: number; ca: string; servername: string }): Promise<RunResult> {
  return runAsync("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${options.port}`,
    "-servername",
    options.servername,
    "-verify_return_error",
    "-verify_hostname",
    options.servername,
    "-CAfile",
    options.ca,
  ]);
}

/** Read one DER TLV at `offset`: tag, header length and content length. */
function readTlv(der: Uint8Array, offset: number): { tag: number; start: number; length: number } {
  const tag = der[offset]!;
  let len = der[offset + 1]!;
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  return { tag, start, length: len };
}

/** The content octets of the serialNumber INTEGER in a certificate's DER (RFC 5280 §4.1.2.2). */
export function serialOctets(certDer: Uint8Array): Uint8Array {
  const cert = readTlv(certDer, 0);
  const tbs = readTlv(certDer, cert.start);
  let field = readTlv(certDer, tbs.start);
  if (field.tag === 0xa0) field = readTlv(certDer, field.start + field.length); // skip [0] version
  if (field.tag !== 0x02) throw new Error(`expected INTEGER serial, found tag 0x${field.tag.toString(16)}`);
  return certDer.subarray(field.start, field.start + field.length);
}

/** The colon-separated upper-case hex of an extension value printed by `openssl x509 -text`. */
export function textExtension(text: string, name: string): { critical: boolean; value: string } | undefined {
  const re = new RegExp(`X509v3 ${name}:( critical)?\\s*\\n([\\s\\S]*?)(?=\\n\\s*(X509v3 |Signature Algorithm|Authority Information|Netscape|CT Precert|$))`);
  const m = re.exec(text);
  if (!m) return undefined;
  return { critical: m[1] !== undefined, value: m[2]!.trim() };
}

/** The keyid printed for SKI / AKI (OpenSSL 3.0 prints "keyid:AB:CD…" for AKI, bare hex for SKI). */
export function keyIdHex(value: string): string {
  const m = /(?:keyid:)?([0-9A-F]{2}(?::[0-9A-F]{2})+)/i.exec(value);
  if (!m) throw new Error(`no key id in ${JSON.stringify(value)}`);
  return m[1]!.toUpperCase();
}

export function x509(pem: string): X509Certificate {
  return new X509Certificate(pem);
}
