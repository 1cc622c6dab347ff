/**
 * The worker's static import graph, from src/index.ts: it must not reach
 * @peculiar/x509 or its stack (asn1js, @peculiar/asn1-*, tsyringe,
 * reflect-metadata), which made up half of the bundle and of module
 * evaluation at cold start (docs/performance.md); and src/pki must import
 * nothing from hono, cloudflare:* or the store (architecture: pki is pure).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const HEAVY = /^(@peculiar\/|asn1js$|tsyringe$|reflect-metadata$|pvtsutils$|pvutils$)/;

/** Module specifiers a file imports at run time (type-only imports are erased and skipped). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?["']([^"']+)["']/gm)) if (!m[2]) out.push(m[3]!);
  for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1]!);
  return out;
}

/** Every file reachable from `entry`, with the bare (package) specifiers each one imports. */
function graph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    const bare: string[] = [];
    seen.set(file, bare);
    for (const s of specifiers(file)) {
      if (s.startsWith(".")) {
        const target = resolve(dirname(file), s);
        if (!existsSync(target)) throw new Error(`${relative(ROOT, file)} imports missing ${s}`);
        queue.push(target);
      } else {
        bare.push(s);
      }
    }
  }
  return seen;
}

describe("the worker bundle's import graph", () => {
  const g = graph(join(ROOT, "src/index.ts"));

  it("reaches the PKI core and the packages the worker needs", () => {
    const files = [...g.keys()].map((f) => relative(ROOT, f));
    expect(files).toContain("src/pki/csr.ts");
    expect(files).toContain("src/pki/crl.ts");
    expect(files).toContain("src/pki/certificate-authority.ts");
    expect(new Set([...g.values()].flat())).toContain("hono");
  });

  // Classic zod's method classes and JSON-schema processors were ~60 KB of the minified bundle;
  // the worker validates with zod/mini (src/http/zod.ts), only the Node-side OpenAPI build uses classic.
  it("validates with zod/mini: no worker module imports classic zod", () => {
    const offenders = [...g.entries()].flatMap(([f, bare]) => bare.filter((s) => s === "zod" || s.startsWith("zod/v4/classic") || s === "zod/v4").map((s) => `${relative(ROOT, f)} → ${s}`));
    expect(offenders).toEqual([]);
    expect(new Set([...g.values()].flat())).toContain("zod/mini");
  });

  it("rejects any path to @peculiar/x509, asn1js, tsyringe or reflect-metadata", () => {
    const offenders = [...g.entries()].flatMap(([f, bare]) => bare.filter((s) => HEAVY.test(s)).map((s) => `${relative(ROOT, f)} → ${s}`));
    expect(offenders).toEqual([]);
    expect([...g.keys()].map((f) => relative(ROOT, f))).not.toContain("src/pki/x509.ts");
  });

  it("finds such a path where there is one (the check can fail)", () => {
    const cli = graph(join(ROOT, "src/pki/leaf-reference.ts"));
    expect([...cli.values()].flat()).toContain("@peculiar/x509");
  });

  it("keeps src/pki free of hono, cloudflare:* and the store", () => {
    const pki = [...g.entries()].filter(([f]) => relative(ROOT, f).startsWith("src/pki/"));
    const bad = pki.flatMap(([f, bare]) => bare.filter((s) => s === "hono" || s.startsWith("hono/") || s.startsWith("cloudflare:")).map((s) => `${relative(ROOT, f)} → ${s}`));
    const store = pki.filter(([f]) => specifiers(f).some((s) => s.includes("/store/")));
    expect([bad, store.map(([f]) => relative(ROOT, f))]).toEqual([[], []]);
  });
});
