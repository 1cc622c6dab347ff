/**
 * The Go oracle: runs test/corpus/verify/go-oracle (Go's crypto/x509,
 * standard library only) over every case of the verify corpus and compares
 * its verdict with validatePath's `go` profile, case by case. Not part of
 * `npm test` (it needs a Go toolchain); writes
 * test/fixtures/verify-corpus/go-oracle.json, which compare-openssl.ts folds
 * into docs/verify-corpus.md.
 *
 * Usage: npm run verify:go-oracle   (needs `go` on PATH, e.g. Debian's golang-go)
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CORPUS_DIR, manifest, validateCase } from "./cases.ts";
import { GO_EXCEPTIONS } from "./go-audit.ts";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const program = join(repo, "test/corpus/verify/go-oracle/main.go");
const env = { ...process.env, GOCACHE: process.env.GOCACHE ?? join(tmpdir(), "edgeca-go-cache"), GOFLAGS: "", GO111MODULE: "auto", GOTOOLCHAIN: "local" };
const version = execFileSync("go", ["version"], { env, encoding: "utf8" }).trim();
const lines = execFileSync("go", ["run", program, join(CORPUS_DIR, "cases.json")], { env, encoding: "utf8", maxBuffer: 16 << 20 }).trim().split("\n");
const goVerdicts = new Map(lines.map((l) => JSON.parse(l) as { id: string; parsed: boolean; valid: boolean; error?: string }).map((v) => [v.id, v]));

interface Row {
  id: string;
  go: { parsed: boolean; valid: boolean; error: string | null };
  edgeca: boolean;
  agree: boolean;
  exception: string | null;
}
const rows: Row[] = [];
for (const c of manifest.cases) {
  const g = goVerdicts.get(c.id);
  if (!g) throw new Error(`the Go oracle gave no verdict for ${c.id}`);
  const report = await validateCase(c, "go");
  const agree = report.valid === g.valid;
  rows.push({ id: c.id, go: { parsed: g.parsed, valid: g.valid, error: g.error ?? null }, edgeca: report.valid, agree, exception: agree ? null : (GO_EXCEPTIONS[c.id] ?? null) });
  const mark = agree ? "agree   " : GO_EXCEPTIONS[c.id] ? "EXCEPTED" : "DISAGREE";
  console.log(`${mark} ${c.id}: go=${g.valid ? "valid" : `invalid (${g.error})`} edgeca=${report.valid ? "valid" : report.errors.map((e) => e.code).join(",")}`);
}
const parsed = rows.filter((r) => r.go.parsed);
const summary = {
  go: version,
  cases: rows.length,
  parsed_by_go: parsed.length,
  agree: rows.filter((r) => r.agree).length,
  agree_parsed: parsed.filter((r) => r.agree).length,
  unexplained: rows.filter((r) => !r.agree && !r.exception).map((r) => r.id),
  rows,
};
writeFileSync(join(CORPUS_DIR, "go-oracle.json"), JSON.stringify(summary, null, 2) + "\n");
console.log(`\n${version}: the go profile agrees with Go on ${summary.agree}/${summary.cases} cases (${summary.agree_parsed}/${summary.parsed_by_go} where Go parses the leaf); ${summary.unexplained.length} unexplained`);
if (summary.unexplained.length > 0) process.exitCode = 1;
