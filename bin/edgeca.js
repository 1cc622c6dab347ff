#!/usr/bin/env node
// The edgeca CLI. Installed from the package (npm pack / npm publish), it runs
// the JavaScript compiled at pack time (dist/cli, scripts/build-cli.ts), with
// no dependencies and no TypeScript loader. In a clone (src/ is there, the
// package leaves it out) it runs the sources through tsx, a devDependency, so
// what runs is always what is checked out and never a stale build.
import { existsSync } from "node:fs";

const source = new URL("../src/cli/main.ts", import.meta.url);
let main;
if (existsSync(source)) {
  // Node 20 cannot strip types itself: tsx's ESM loader, registered in-process (node:module register, Node >= 20.6).
  const { register } = await import("node:module");
  if (typeof register !== "function") {
    process.stderr.write(`edgeca: Node ${process.versions.node} is too old to run the sources; use Node 20.6 or newer\n`);
    process.exit(2);
  }
  let tsx;
  try {
    tsx = await import("tsx/esm/api");
  } catch {
    process.stderr.write("edgeca: running from a clone needs its devDependencies (tsx): run npm install in it\n");
    process.exit(2);
  }
  tsx.register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import("../dist/cli/edgeca.js"));
}
await main();
