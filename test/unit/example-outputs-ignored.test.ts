/**
 * Every file or directory the README's and docs/*.md's shell examples write
 * (--out-dir, --out, -out, -keyout, `> file`, `-o file`, `tar -C dir`), run
 * from the clone's root, is git-ignored: the examples write private keys, and
 * `git add -A` must not pick them up.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const docs = ["README.md", ...readdirSync("docs", { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".md") && !f.startsWith("_incoming")).map((f) => `docs/${f}`)];

/** Relative output paths named in fenced shell blocks. */
function outputs(text: string): string[] {
  const out = new Set<string>();
  for (const block of text.matchAll(/^```(\w*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm)) {
    if (!["sh", "bash", "shell", "console", ""].includes(block[1]!)) continue;
    const code = block[2]!;
    const patterns = [/--out-dir[ =]([^\s;|&]+)/g, /--out[ =]([^\s;|&]+)/g, /\s-(?:out|keyout)\s+([^\s;|&]+)/g, /(?:^|\s)>>?\s*([^\s;|&>]+)/g, /\s-o\s+([^\s;|&]+)/g, /tar\s+x\w*\s+-C\s+([^\s;|&]+)/g];
    for (const p of patterns) for (const m of code.matchAll(p)) out.add(m[1]!);
  }
  // Absolute paths, variables, devices and kubectl's output formats are not files in the clone.
  return [...out].filter((p) => !/^(\/|\$|~|&|-|yaml$|json$|name$|jsonpath)/.test(p) && !/[`"'()<{}*]/.test(p)).map((p) => p.replace(/^\.\//, ""));
}

describe("files the documented examples write", () => {
  const found = docs.flatMap((f) => outputs(readFileSync(f, "utf8")).map((p) => [f, p] as const));

  it("finds the examples' outputs (tls.key, req.csr, ca.crt, tls/ among them)", () => {
    const paths = new Set(found.map(([, p]) => p.replace(/\/.*$/, "")));
    for (const p of ["ca.crt", "tls", "req.csr", "tls.key"]) expect(paths).toContain(p);
    expect(found.length).toBeGreaterThan(10);
  });

  it.each(["tls.key", "req.csr", "ca.crt", "tls/tls.crt", "tls.crt"])("%s in the clone's root is ignored", (p) => {
    expect(() => execFileSync("git", ["check-ignore", "-q", "--no-index", p])).not.toThrow();
  });

  it("every one of them is git-ignored in the clone's root", () => {
    const notIgnored = found.filter(([, p]) => {
      try {
        execFileSync("git", ["check-ignore", "-q", "--no-index", p.endsWith("/") ? p : p]);
        return false;
      } catch {
        // A directory the example writes into: its files are what matter.
        try {
          execFileSync("git", ["check-ignore", "-q", "--no-index", `${p}/x`]);
          return false;
        } catch {
          return true;
        }
      }
    });
    expect(notIgnored).toEqual([]);
  });
});
