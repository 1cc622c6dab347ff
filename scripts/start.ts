/**
 * `npm start`: ensure the local development setup exists, then run the
 * worker with wrangler dev on http://127.0.0.1:8787 (PORT or --port to
 * change it) with local persisted state, and say where its pages are once it
 * answers. `npm start -- --help` lists the options.
 */
import { spawn, spawnSync } from "node:child_process";
import { buildPublic } from "./build-public.ts";
import { DEV_TOKEN, DEV_VARS, ensureDevSetup } from "./lib/dev-setup.ts";
import { localBase, parseStartOptions, portBusyLine, portInUse, readyLines, START_HELP } from "./lib/start-options.ts";

const options = parseStartOptions(process.argv.slice(2), process.env);
if ("error" in options) {
  console.error(options.error);
  process.exit(2);
}
if (options.help) {
  console.log(START_HELP);
  process.exit(0);
}
const { host, port, wranglerArgs } = options;
// Checked first, before anything is written: a second `npm start` gets one line, not workerd's stack trace.
if (await portInUse(port, host)) {
  console.error(portBusyLine(port));
  process.exit(1);
}

buildPublic();
const setup = await ensureDevSetup();
for (const what of setup.created) console.log(`edgeca: created ${what} in ${DEV_VARS}`);
console.log(`edgeca: CA ${setup.caSubject}`);
console.log(`edgeca: CA SHA-256 fingerprint ${setup.fingerprint}`);
console.log(`edgeca: admin token in ${DEV_TOKEN}  (curl -H "Authorization: Bearer $(cat ${DEV_TOKEN})" …)`);

// Offline, Miniflare's fetch of https://workers.cloudflare.com/cf.json (the Request.cf placeholder data) prints
// "getaddrinfo ENOTFOUND" with a stack trace; edgeca never reads request.cf, so its documented switch turns the
// fetch off (miniflare src/cf.ts: CLOUDFLARE_CF_FETCH_ENABLED=false → the built-in placeholder). Set it to true to fetch.
const env = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env };
// Apply D1 migrations to the local database before serving (idempotent; CI=true answers wrangler's prompt).
const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "edgeca", "--local", "--persist-to", ".wrangler/state"], { env: { CI: "true", ...env }, encoding: "utf8" });
if (migrate.status !== 0) {
  console.error(migrate.stdout, migrate.stderr);
  console.error("edgeca: applying D1 migrations failed");
  process.exit(1);
}
console.log(`edgeca: ledger migrated (${/No migrations to apply/.test(migrate.stdout) ? "up to date" : "applied new migrations"})`);

const child = spawn("npx", ["wrangler", "dev", "--ip", host, "--port", String(port), "--persist-to", ".wrangler/state", ...wranglerArgs], { stdio: "inherit", env });
child.on("error", (e) => {
  console.error(`edgeca: cannot run wrangler: ${e.message}`);
  process.exit(1);
});
let exited = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => {
  exited = true;
  process.exit(code ?? 0);
});

// Say where things are once the worker answers (any HTTP status will do: it is up).
const base = localBase(host, port);
for (let i = 0; i < 600 && !exited; i++) {
  try {
    await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
    for (const line of readyLines(host, port)) console.log(line);
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 250));
  }
}
