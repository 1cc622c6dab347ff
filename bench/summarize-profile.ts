/**
 * Summarizes a V8 .cpuprofile: self time by function and by package
 * (node_modules/<pkg> or src/...), to say where CPU goes.
 * Usage: tsx bench/summarize-profile.ts <file.cpuprofile> [top]
 */
import { readFileSync } from "node:fs";

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error("usage: summarize-profile <file.cpuprofile> [top]");
const prof = JSON.parse(readFileSync(file, "utf8")) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map<string, number>();
const pkg = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const url = n.callFrame.url;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  const where = m ? m[1]! : url.includes("/src/") ? "src/" + url.split("/src/")[1] : url ? "other:" + url.split("/").slice(-1)[0] : `(${n.callFrame.functionName || "native"})`;
  pkg.set(where.startsWith("src/") ? where : where, (pkg.get(where) ?? 0) + us);
  const key = `${n.callFrame.functionName || "(anon)"} ${where}:${n.callFrame.lineNumber}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
}
const top = Number(topArg ?? 25);
const show = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join("\n");
console.log(`total ${(total / 1000).toFixed(0)} ms\n-- by package/file --\n${show(pkg)}\n-- by function --\n${show(fn)}`);
