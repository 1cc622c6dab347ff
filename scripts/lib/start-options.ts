/**
 * `npm start`'s own options, separated from wrangler's: the port (PORT or
 * --port, which wrangler would otherwise receive twice and refuse: "expects a
 * single value, but received multiple"), --help, and whether the port is free
 * before wrangler is spawned (workerd's answer to a busy port is a stack trace).
 */
import { createServer } from "node:net";

export const DEFAULT_PORT = 8787;
export const HOST = "127.0.0.1";

export const START_HELP = `npm start [-- options]: run edgeca locally (wrangler dev on workerd) with a development CA and admin token.

  PORT=8788 npm start           listen on another port (default ${DEFAULT_PORT})
  npm start -- --port 8788      the same
  npm start -- --test-scheduled also serve /__scheduled (run the daily cron by hand)
  Other options are passed to wrangler dev (npx wrangler dev --help).

Pages once it is ready: /  /ui  /docs  /docs/problems  /v1/ca  /healthz`;

export type StartOptions = { help: true } | { help: false; host: string; port: number; wranglerArgs: string[] } | { error: string };

function parsePort(value: string | undefined, from: string): number | string {
  if (value === undefined || !/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    return `edgeca: ${from} must be a port number from 1 to 65535, not ${JSON.stringify(value ?? "")}`;
  }
  return Number(value);
}

/** argv after `npm start --` and the environment → the port and what goes to wrangler dev. --port wins over PORT. */
export function parseStartOptions(argv: readonly string[], env: Record<string, string | undefined>): StartOptions {
  let port: number | string = env["PORT"] !== undefined && env["PORT"] !== "" ? parsePort(env["PORT"], "PORT") : DEFAULT_PORT;
  let host = HOST;
  const wranglerArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--help" || a === "-h") return { help: true };
    const eq = /^--port=(.*)$/.exec(a);
    if (eq) port = parsePort(eq[1], "--port");
    else if (a === "--port") port = parsePort(argv[++i], "--port");
    else if (a.startsWith("--ip=")) host = a.slice(5);
    else if (a === "--ip") host = argv[++i] ?? HOST;
    else wranglerArgs.push(a);
  }
  if (typeof port === "string") return { error: port };
  return { help: false, host, port, wranglerArgs };
}

/** True when something already listens on host:port (bind fails with EADDRINUSE); the probe is closed before returning. */
export function portInUse(port: number, host = HOST): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (e: NodeJS.ErrnoException) => (e.code === "EADDRINUSE" ? resolve(true) : reject(e)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

export function portBusyLine(port: number): string {
  return `edgeca: port ${port} is in use; set PORT=… (e.g. PORT=${port === 65535 ? port - 1 : port + 1} npm start)`;
}

/** The lines printed once the worker answers. */
/** The URL to reach the server on: a wildcard bind is reached on loopback. */
export function localBase(host: string, port: number): string {
  return `http://${host === "0.0.0.0" || host === "::" ? HOST : host.includes(":") ? `[${host}]` : host}:${port}`;
}

export function readyLines(host: string, port: number): string[] {
  const base = localBase(host, port);
  return [
    `edgeca: ready on ${base}  (another port: PORT=${port === 65535 ? port - 1 : port + 1} npm start, or npm start -- --port ${port === 65535 ? port - 1 : port + 1})`,
    `edgeca:   inventory      ${base}/ui`,
    `edgeca:   API reference  ${base}/docs`,
    `edgeca:   trust bundle   ${base}/v1/ca`,
    `edgeca:   health         ${base}/healthz`,
    `edgeca: CLI against it: EDGECA_URL=${base} EDGECA_TOKEN=$(cat .dev.token) npx edgeca …`,
  ];
}
