#!/usr/bin/env node
// The edgeca CLI on Node 20: Node 20 cannot run TypeScript itself, so the
// sources under src/cli are loaded through tsx's ESM loader (a dependency),
// registered in-process (node:module register, Node >= 20.6).
import { register } from "node:module";

if (typeof register !== "function") {
  process.stderr.write(`edgeca: Node ${process.versions.node} is too old; use Node 20.6 or newer\n`);
  process.exit(2);
}
const { register: registerTsx } = await import("tsx/esm/api");
registerTsx();
const { main } = await import("../src/cli/main.ts");
await main();
