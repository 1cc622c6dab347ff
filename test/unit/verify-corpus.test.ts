/**
 * Runs the path validator over the OpenSSL-generated corpus
 * (test/fixtures/verify-corpus, made by test/corpus/verify/generate.sh) and
 * checks each case under both profiles: the `go` verdict (Go crypto/x509's,
 * checked against Go itself by `npm run verify:go-oracle`), its error and
 * warning code, and the exact set of RFC 5280 §4 profile findings, which are
 * warnings under `go` and errors under `strict`.
 */
import { describe, expect, it } from "vitest";
import { PROFILE_FINDING_CODES, PROFILE_RULES } from "../../src/pki/path-validation.ts";
import { manifest, validateCase } from "../corpus/verify/cases.ts";

const FINDINGS: ReadonlySet<string> = new Set(PROFILE_FINDING_CODES);
const findingCodes = (issues: { code: string }[]) => [...new Set(issues.map((i) => i.code).filter((c) => FINDINGS.has(c)))].sort();

describe("verify corpus (OpenSSL-generated, RFC 5280 §6 / RFC 6125)", () => {
  it("has at least 200 cases, and every profile rule has a case that trips it", () => {
    expect(manifest.cases.length).toBeGreaterThanOrEqual(200);
    const seen = new Set(manifest.cases.flatMap((c) => c.expect.findings));
    expect(PROFILE_RULES.map((r) => r.code).filter((code) => !seen.has(code))).toEqual([]);
  });

  it.each(manifest.cases.map((c) => [`${c.expect.valid ? "accepts" : `rejects (${c.expect.error})`} ${c.id}: ${c.description}`, c] as const))("%s", async (_name, c) => {
    const go = await validateCase(c, "go");
    const codes = go.errors.map((e) => e.code);
    expect({ valid: go.valid, codes }).toMatchObject({ valid: c.expect.valid });
    if (c.expect.error !== null) expect(codes).toContain(c.expect.error);
    if (c.expect.warning !== null) expect(go.warnings.map((w) => w.code)).toContain(c.expect.warning);
    expect(go.chain.length).toBeGreaterThan(0);
    // Under `go`, findings are warnings only; each names its certificate and RFC clause.
    expect(findingCodes(go.errors)).toEqual([]);
    expect(findingCodes(go.warnings)).toEqual(c.expect.findings);
    for (const w of go.warnings.filter((x) => FINDINGS.has(x.code))) expect(w.message).toMatch(/^certificate \d+, .*RFC 5280 §/);

    const strict = await validateCase(c, "strict");
    expect(strict.valid).toBe(c.expect.strict_valid);
    expect(findingCodes(strict.errors)).toEqual(c.expect.findings);
    expect(findingCodes(strict.warnings)).toEqual([]);
  });
});
