/**
 * Driving Debian's ACME clients (certbot, lego) from interop tests: whether
 * they are installed, a recording front (HTTP or HTTPS) that shows what each
 * client sent, scratch configuration so no run touches /etc/letsencrypt or
 * ./.lego, and Pebble (Let's Encrypt's reference server) as a second target
 * to check the harness itself against (`EDGECA_ACME_TARGET=pebble`).
 * Every client is spawned with an argument vector or `bash -c` of a doc
 * block, never with a command line built from strings.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { freePort } from "../helpers/running-worker.ts";
import { openssl, opensslOk } from "../helpers/interop.ts";

/** True when `name` runs from PATH (`name --version` exits 0). */
export function onPath(name: string): boolean {
  const r = spawnSync(name, ["--version"], { stdio: "ignore", timeout: 30_000 });
  return r.error === undefined && r.status === 0;
}

export const HAVE_CERTBOT = onPath("certbot");
export const HAVE_LEGO = onPath("lego");

/** One request through the front: the JWS protected header and payload decoded when the body is a flattened JWS. */
export interface Exchange {
  method: string;
  path: string;
  status: number;
  requestContentType: string | undefined;
  responseContentType: string | undefined;
  protected?: Record<string, unknown>;
  payload?: unknown;
  /** the response body when it is JSON (ACME objects and problems) */
  response?: unknown;
}

export interface Fetched {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP(S) exchange with node:http(s), trusting `ca` for https (global fetch cannot take a CA). */
export function request(url: string, o: { method?: string; headers?: Record<string, string>; body?: Buffer | string; ca?: string } = {}): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(u, { method: o.method ?? "GET", headers: o.headers, ...(o.ca !== undefined ? { ca: o.ca } : {}), agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.end(o.body);
  });
}

function decodeSegment(s: string): unknown {
  const text = Buffer.from(s, "base64url").toString("utf8");
  if (text === "") return "";
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface Front {
  /** https://127.0.0.1:port or http://127.0.0.1:port */
  url: string;
  port: number;
  exchanges: Exchange[];
  /** where requests go; may be set after start (a worker that must know the front's URL starts after it) */
  target: string;
  close(): Promise<void>;
}

/**
 * A reverse proxy on 127.0.0.1:0 that records each exchange. With `tls`, it
 * serves HTTPS with that certificate (lego and certbot then trust its CA via
 * LEGO_CA_CERTIFICATES / REQUESTS_CA_BUNDLE). `targetCa` trusts an HTTPS
 * target (Pebble's own certificate). With `preserveHost` the target sees the
 * front's Host, so a server that builds its URLs from Host (Pebble) sends
 * the clients back through the front. `rewrite` maps request paths (edgeca's
 * /acme/directory to Pebble's /dir).
 */
export async function startFront(o: { target?: string; tls?: { cert: string; key: string }; targetCa?: string; preserveHost?: boolean; rewrite?: Record<string, string> }): Promise<Front> {
  const exchanges: Exchange[] = [];
  const front: Front = { url: "", port: 0, exchanges, target: o.target ?? "", close: async () => {} };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const exchange: Exchange = { method: req.method ?? "", path: req.url ?? "", status: 0, requestContentType: req.headers["content-type"], responseContentType: undefined };
        if (body.length > 0) {
          try {
            const jws = JSON.parse(body.toString("utf8")) as { protected?: string; payload?: string };
            if (typeof jws.protected === "string") exchange.protected = decodeSegment(jws.protected) as Record<string, unknown>;
            if (typeof jws.payload === "string") exchange.payload = decodeSegment(jws.payload);
          } catch {
            // not JSON: recorded without a decoded body
          }
        }
        exchanges.push(exchange);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && (k !== "host" || o.preserveHost) && k !== "connection") headers[k] = v;
        try {
          const path = o.rewrite?.[req.url ?? "/"] ?? req.url ?? "/";
          const upstream = await request(front.target + path, { method: req.method ?? "GET", headers, body, ...(o.targetCa !== undefined ? { ca: o.targetCa } : {}) });
          exchange.status = upstream.status;
          exchange.responseContentType = upstream.headers["content-type"];
          if (/json/.test(exchange.responseContentType ?? "")) {
            try {
              exchange.response = JSON.parse(upstream.body.toString("utf8"));
            } catch {
              // recorded without it
            }
          }
          const outHeaders: IncomingHttpHeaders = {};
          for (const [k, v] of Object.entries(upstream.headers)) {
            if (k === "transfer-encoding" || k === "connection" || k === "keep-alive") continue;
            outHeaders[k] = v;
          }
          res.writeHead(upstream.status, outHeaders as Record<string, string | string[]>).end(upstream.body);
        } catch (error) {
          exchange.status = 502;
          res.writeHead(502, { "content-type": "text/plain" }).end(String(error));
        }
      })();
    });
  };
  const server = o.tls ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key }, handler) : createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  front.port = (server.address() as AddressInfo).port;
  front.url = `${o.tls ? "https" : "http"}://127.0.0.1:${front.port}`;
  front.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return front;
}

/** A throwaway TLS CA and a server certificate for 127.0.0.1 / localhost, made with OpenSSL, as PEM files in `dir`. */
export function loopbackTls(dir: string): { caFile: string; certFile: string; keyFile: string } {
  mkdirSync(dir, { recursive: true });
  const f = (n: string) => join(dir, n);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  opensslOk(["req", "-x509", ...ec, "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=acme interop test TLS CA"]);
  opensslOk(["req", ...ec, "-keyout", f("tls.key"), "-out", f("tls.csr"), "-subj", "/CN=localhost"]);
  writeFileSync(f("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n");
  opensslOk(["x509", "-req", "-in", f("tls.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-set_serial", "1", "-days", "2", "-out", f("tls.pem"), "-extfile", f("ext.cnf")]);
  return { caFile: f("ca.pem"), certFile: f("tls.pem"), keyFile: f("tls.key") };
}

export interface Pebble {
  /** https://127.0.0.1:port/dir */
  directory: string;
  /** the TLS CA that Pebble's HTTPS certificate chains to */
  tlsCaFile: string;
  /** EAB kids → unpadded base64url HMAC keys Pebble was configured with */
  eabKeys: Record<string, string>;
  /** Pebble's issuing root, fetched from its management interface */
  root(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Pebble with EAB required, every challenge valid without contacting the
 * client (PEBBLE_VA_ALWAYS_VALID), no artificial sleeps and no rejected
 * good nonces (its default 5% would make runs nondeterministic). Pebble
 * cannot listen on port 0, so the ports are chosen free beforehand.
 */
export async function startPebble(dir: string, eabKeys: Record<string, string>): Promise<Pebble> {
  const tls = loopbackTls(join(dir, "tls"));
  const [port, mgmt] = [await freePort(), await freePort()];
  const config = join(dir, "pebble-config.json");
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${mgmt}`,
        certificate: tls.certFile,
        privateKey: tls.keyFile,
        httpPort: 5002,
        tlsPort: 5001,
        ocspResponderURL: "",
        externalAccountBindingRequired: true,
        externalAccountMACKeys: eabKeys,
        // 90 days, like edgeca's DEFAULT_TTL, so `lego renew --days` behaves the same against both.
        certificateValidityPeriod: 90 * 86_400,
      },
    }),
  );
  const child = spawn("pebble", ["-config", config], {
    env: { ...process.env, PEBBLE_VA_ALWAYS_VALID: "1", PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d: Buffer) => (log += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (log += d.toString("utf8")));
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  const { readFileSync } = await import("node:fs");
  const ca = readFileSync(tls.caFile, "utf8");
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  const directory = `https://127.0.0.1:${port}/dir`;
  for (let i = 0; ; i++) {
    try {
      const r = await request(directory, { ca });
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (i > 100 || child.exitCode !== null) {
      await stop();
      throw new Error(`pebble did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    directory,
    tlsCaFile: tls.caFile,
    eabKeys,
    root: async () => (await request(`https://127.0.0.1:${mgmt}/roots/0`, { ca })).body.toString("utf8"),
    stop,
  };
}

/** An unpadded base64url key of 32 random bytes: what edgeca hands out and what go-jose accepts for HS256. */
export function randomHmacKey(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

/**
 * certbot reads $XDG_CONFIG_HOME/letsencrypt/cli.ini after /etc/letsencrypt/cli.ini
 * (certbot/_internal/constants.py): pointing config-dir, work-dir and
 * logs-dir at `dir` there lets a documented command run unchanged without
 * touching /etc/letsencrypt. `extra` adds settings (Pebble needs a free
 * http-01 port because it does run challenges).
 */
export function certbotScratch(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  const xdg = join(dir, "xdg");
  mkdirSync(join(xdg, "letsencrypt"), { recursive: true });
  const settings = { "config-dir": join(dir, "config"), "work-dir": join(dir, "work"), "logs-dir": join(dir, "logs"), ...extra };
  writeFileSync(join(xdg, "letsencrypt", "cli.ini"), Object.entries(settings).map(([k, v]) => `${k} = ${v}\n`).join(""));
  return { XDG_CONFIG_HOME: xdg };
}

/** The certificate's serial in lower-case hex without leading zeros, as edgeca's ledger names it. */
export function serialOf(pemFile: string): string {
  const r = openssl(["x509", "-noout", "-serial", "-in", pemFile]);
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim().replace(/^serial=/, "").toLowerCase();
}
