/**
 * Runs the path validator over the OpenSSL-generated corpus
 * (test/fixtures/verify-corpus, made by test/corpus/verify/generate.sh) and
 * checks each case's expected verdict, error code and warning code.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decodePem } from "../../src/pki/pem.ts";
import { validatePath, type CertificateUsage } from "../../src/pki/path-validation.ts";

interface CorpusCase {
  id: string;
  description: string;
  leaf: string;
  intermediates: string[];
  roots: string[];
  at: string;
  hostname: string | null;
  usage: CertificateUsage;
  expect: { valid: boolean; error: string | null; warning: string | null };
}

const dir = fileURLToPath(new URL("../fixtures/verify-corpus/", import.meta.url));
const manifest = JSON.parse(readFileSync(`${dir}cases.json`, "utf8")) as { cases: CorpusCase[] };

function der(path: string): Uint8Array {
  const r = decodePem(readFileSync(`${dir}${path}`, "utf8"));
  if (!r.ok) throw new Error(`${path}: not PEM`);
  return r.value[0]!.der;
}

describe("verify corpus (OpenSSL-generated, RFC 5280 §6 / RFC 6125)", () => {
  it("has at least 100 cases", () => {
    expect(manifest.cases.length).toBeGreaterThanOrEqual(100);
  });

  it.each(manifest.cases.map((c) => [`${c.expect.valid ? "accepts" : `rejects (${c.expect.error})`} ${c.id}: ${c.description}`, c] as const))("%s", async (_name, c) => {
    const report = await validatePath({
      leaf: der(c.leaf),
      intermediates: c.intermediates.map(der),
      roots: c.roots.map(der),
      at: new Date(c.at),
      ...(c.hostname !== null ? { hostname: c.hostname } : {}),
      usage: c.usage,
    });
    const codes = report.errors.map((e) => e.code);
    expect({ valid: report.valid, codes }).toMatchObject({ valid: c.expect.valid });
    if (c.expect.error !== null) expect(codes).toContain(c.expect.error);
    if (c.expect.warning !== null) expect(report.warnings.map((w) => w.code)).toContain(c.expect.warning);
    expect(report.chain.length).toBeGreaterThan(0);
  });
});
