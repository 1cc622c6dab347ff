/**
 * `npm start`: ensure the local development setup exists, then run the
 * worker with wrangler dev on http://127.0.0.1:8787 with local persisted state.
 */
import { spawn } from "node:child_process";
import { DEV_TOKEN, DEV_VARS, ensureDevSetup } from "./lib/dev-setup.ts";

const setup = await ensureDevSetup();
for (const what of setup.created) console.log(`edgeca: created ${what} in ${DEV_VARS}`);
console.log(`edgeca: CA ${setup.caSubject}`);
console.log(`edgeca: CA SHA-256 fingerprint ${setup.fingerprint}`);
console.log(`edgeca: admin token in ${DEV_TOKEN}  (curl -H "Authorization: Bearer $(cat ${DEV_TOKEN})" …)`);

const port = process.env["PORT"] ?? "8787";
const child = spawn("npx", ["wrangler", "dev", "--ip", "127.0.0.1", "--port", port, "--persist-to", ".wrangler/state", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { WRANGLER_SEND_METRICS: "false", ...process.env },
});
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
