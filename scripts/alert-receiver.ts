/**
 * `npm run alert:receiver`: a webhook receiver for trying edgeca's expiry alerts locally
 * (docs/monitoring.md, "Try it locally"). It listens on 127.0.0.1 (`--port`, default 9000), prints
 * every request it gets — method, path, edgeca's headers, the `text` a chat app would show and the
 * JSON body — and answers 200. With ALERT_WEBHOOK_SECRET in its environment it checks
 * X-Edgeca-Signature the way a real receiver should (HMAC-SHA256 over "<timestamp>.<body>",
 * compared in constant time, timestamp at most 5 minutes old, as Stripe's and Slack's request
 * signing) and answers 401 to a request that fails, so edgeca records a failed delivery and retries.
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { signAlert, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "../src/store/webhook-alert-sink.ts";

/** How old a signed timestamp may be: a captured request cannot be replayed after this. */
const MAX_AGE_SECONDS = 300;

export interface AlertReceiver {
  server: Server;
  /** http://127.0.0.1:<port>/hook, the value for ALERT_WEBHOOK_URL */
  url: string;
  close(): Promise<void>;
}

export interface AlertReceiverOptions {
  port: number;
  /** ALERT_WEBHOOK_SECRET: when set, signatures are checked. */
  secret?: string | undefined;
  log: (text: string) => void;
  /** Unix seconds, for the timestamp check. */
  now?: () => number;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The verdict on a request's signature, in words; `ok` false means refuse it. */
async function checkSignature(secret: string, timestamp: string, signature: string, body: string, now: number): Promise<{ ok: boolean; verdict: string }> {
  if (!timestamp || !signature) return { ok: false, verdict: `INVALID: no ${TIMESTAMP_HEADER} / ${SIGNATURE_HEADER} header` };
  const expected = Buffer.from(await signAlert(secret, timestamp, body));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, verdict: "INVALID: the signature does not match (another ALERT_WEBHOOK_SECRET?)" };
  const age = now - Number(timestamp);
  if (!Number.isFinite(age) || Math.abs(age) > MAX_AGE_SECONDS) return { ok: false, verdict: `INVALID: the timestamp is ${age} s old (at most ${MAX_AGE_SECONDS})` };
  return { ok: true, verdict: `valid (HMAC-SHA256 with ALERT_WEBHOOK_SECRET, timestamp ${age} s old)` };
}

export async function startAlertReceiver(options: AlertReceiverOptions): Promise<AlertReceiver> {
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const header = (name: string) => String(req.headers[name.toLowerCase()] ?? "");
      const lines = [`${req.method} ${req.url} at ${new Date().toISOString()}`];
      for (const name of ["content-type", "user-agent", TIMESTAMP_HEADER, SIGNATURE_HEADER]) if (header(name)) lines.push(`  ${name}: ${header(name)}`);
      let status = 200;
      if (options.secret) {
        const check = await checkSignature(options.secret, header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER), body, options.now?.() ?? Math.floor(Date.now() / 1000));
        lines.push(`  signature: ${check.verdict}`);
        if (!check.ok) status = 401;
      } else {
        lines.push("  signature: not checked (no ALERT_WEBHOOK_SECRET here)");
      }
      try {
        const json = JSON.parse(body) as { text?: unknown };
        if (typeof json.text === "string") lines.push("  text, as a chat app shows it:", ...json.text.split("\n").map((l) => `    ${l}`));
        lines.push("  body:", ...JSON.stringify(json, null, 2).split("\n").map((l) => `    ${l}`));
      } catch {
        lines.push(`  body (not JSON, ${body.length} bytes): ${body.slice(0, 500)}`);
      }
      lines.push(`  → ${status}`);
      options.log(lines.join("\n") + "\n");
      res.writeHead(status, { "Content-Type": "text/plain" }).end(status === 200 ? "ok\n" : "refused\n");
    })().catch((error: unknown) => {
      options.log(`error: ${(error as Error).message}\n`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { server, url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { port: { type: "string", default: "9000" } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`alert-receiver: --port must be a port number, not ${values.port}`);
    process.exit(2);
  }
  const secret = process.env["ALERT_WEBHOOK_SECRET"] || undefined;
  try {
    const receiver = await startAlertReceiver({ port, secret, log: (text) => process.stdout.write(text) });
    console.log(`edgeca alert receiver: listening on ${receiver.url}${secret ? ", checking signatures" : ""} (Ctrl-C to stop)`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    console.error(code === "EADDRINUSE" ? `alert-receiver: port ${port} is in use: pick another with --port` : `alert-receiver: ${(error as Error).message}`);
    process.exit(1);
  }
}
