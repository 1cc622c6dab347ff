/**
 * Runs the path validator over the OpenSSL-generated corpus
 * (test/fixtures/verify-corpus, made by test/corpus/verify/generate.sh) and
 * checks each case's expected verdict, error code and warning code.
 */
import { describe, expect, it } from "vitest";
import { validatePath } from "../../src/pki/path-validation.ts";
import { corpusDer as der, manifest } from "../corpus/verify/cases.ts";


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
