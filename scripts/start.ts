/**
 * `npm start`: ensure the local development setup exists, then run the
 * worker with wrangler dev on http://127.0.0.1:8787 with local persisted state.
 */
import { spawn, spawnSync } from "node:child_process";
import { buildPublic } from "./build-public.ts";
import { DEV_TOKEN, DEV_VARS, ensureDevSetup } from "./lib/dev-setup.ts";

buildPublic();
const setup = await ensureDevSetup();
for (const what of setup.created) console.log(`edgeca: created ${what} in ${DEV_VARS}`);
console.log(`edgeca: CA ${setup.caSubject}`);
console.log(`edgeca: CA SHA-256 fingerprint ${setup.fingerprint}`);
console.log(`edgeca: admin token in ${DEV_TOKEN}  (curl -H "Authorization: Bearer $(cat ${DEV_TOKEN})" …)`);

const env = { WRANGLER_SEND_METRICS: "false", CI: "true", ...process.env };
// Apply D1 migrations to the local database before serving (idempotent; CI=true answers wrangler's prompt).
const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "edgeca", "--local", "--persist-to", ".wrangler/state"], { env, encoding: "utf8" });
if (migrate.status !== 0) {
  console.error(migrate.stdout, migrate.stderr);
  console.error("edgeca: applying D1 migrations failed");
  process.exit(1);
}
console.log(`edgeca: ledger migrated (${/No migrations to apply/.test(migrate.stdout) ? "up to date" : "applied new migrations"})`);

const port = process.env["PORT"] ?? "8787";
const child = spawn("npx", ["wrangler", "dev", "--ip", "127.0.0.1", "--port", port, "--persist-to", ".wrangler/state", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { WRANGLER_SEND_METRICS: "false", ...process.env },
});
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
