/**
 * The RFC 5280 §4 profile findings outside /v1/verify: the CA material at
 * load (caMaterialFindings, listed by /healthz) and the rules' own contract
 * (every rule names its RFC clause and has a stable code).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { caMaterialFindings } from "../../src/pki/ca-profile.ts";
import { createIntermediateCa, createRootCa } from "../../src/pki/ca-certificate.ts";
import { PROFILE_FINDING_CODES, PROFILE_RULES } from "../../src/pki/path-validation.ts";
import { CORPUS_DIR } from "../corpus/verify/cases.ts";

const pem = (name: string) => readFileSync(join(CORPUS_DIR, "certs", `${name}.pem`), "utf8");

describe("profile rules", () => {
  it("each has a stable code from PROFILE_FINDING_CODES and an RFC 5280 clause", () => {
    for (const r of PROFILE_RULES) {
      expect(PROFILE_FINDING_CODES).toContain(r.code);
      expect(r.clause).toMatch(/^§4\.\d/);
    }
  });
});

describe("caMaterialFindings (CA_CERT / CA_TRUST at load)", () => {
  it("finds nothing in a root and issuing CA made by edgeca ca init", async () => {
    const notBefore = new Date("2026-01-01T00:00:00Z");
    const notAfter = new Date("2036-01-01T00:00:00Z");
    const root = await createRootCa({ subject: "CN=profile root,O=edgeca tests", keyAlgorithm: "ecdsa-p256", notBefore, notAfter });
    const issuing = await createIntermediateCa({ certificate: root.certificate, privateKey: root.keys.privateKey, keyAlgorithm: "ecdsa-p256" }, { subject: "CN=profile issuing CA,O=edgeca tests", keyAlgorithm: "ecdsa-p256", notBefore, notAfter });
    expect(caMaterialFindings({ certPem: issuing.certificatePem + root.certificatePem, trustPem: root.certificatePem })).toEqual([]);
  });

  it("names the secret, block, subject, code and clause of each defect", () => {
    const findings = caMaterialFindings({ certPem: pem("pfIntBcNonCrit") + pem("rootA"), trustPem: pem("pfRootBcNonCrit") + pem("rootA") });
    expect(findings.map(({ source, block, code }) => ({ source, block, code }))).toEqual([
      { source: "CA_CERT", block: 0, code: "basic_constraints_not_critical" },
      { source: "CA_TRUST", block: 0, code: "basic_constraints_not_critical" },
    ]);
    expect(findings[0]!.subject).toContain("Non-critical BC");
    expect(findings[0]!.message).toContain("RFC 5280 §4.2.1.9");
  });

  it("checks CA_PREVIOUS_CERT too (the previous issuer's leaves still chain through it), each certificate once", () => {
    // A rotation's switch phase: the previous intermediate has a defect, the root is in CA_TRUST and in CA_PREVIOUS_CERT.
    const material = { certPem: pem("rootA"), trustPem: pem("rootA"), previousCertPem: pem("pfIntBcNonCrit") + pem("rootA") };
    const findings = caMaterialFindings(material);
    expect(findings.map(({ source, block, code }) => ({ source, block, code }))).toEqual([{ source: "CA_PREVIOUS_CERT", block: 0, code: "basic_constraints_not_critical" }]);
    // The per-isolate cache notices when only the previous CA changes (retire phase).
    expect(caMaterialFindings({ ...material, previousCertPem: undefined })).toEqual([]);
  });

  it("reports a self-signed CA_CERT as a trust anchor (its AKI must be its own SKI)", () => {
    expect(caMaterialFindings({ certPem: pem("pfRootAkiOther") }).map((f) => f.code)).toEqual(["self_signed_aki_invalid"]);
  });
});
