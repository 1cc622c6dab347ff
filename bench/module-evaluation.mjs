// Times the top-level evaluation of a built Worker module in a fresh V8 (this Node process):
// timestamps are injected as the module's first and last statements, so compile and load are
// not counted, only what the module runs when an isolate starts. Prints milliseconds.
// Usage: node bench/module-evaluation.mjs <module.js>
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "edgeca-eval-"));
const file = join(dir, "module.mjs");
writeFileSync(file, `globalThis.__t0 = performance.now();\n${readFileSync(process.argv[2], "utf8")}\nglobalThis.__evalMs = performance.now() - globalThis.__t0;\n`);
try {
  const mod = await import(file);
  if (typeof mod.default?.fetch !== "function") throw new Error("the module has no default fetch handler");
  console.log(globalThis.__evalMs.toFixed(3));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
