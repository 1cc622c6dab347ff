/**
 * The verify corpus manifest (test/fixtures/verify-corpus/cases.json, made by
 * generate.sh) and its certificates, for the corpus test and compare-openssl.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodePem } from "../../../src/pki/pem.ts";
import { validatePath, type CertificateUsage, type VerifyProfile } from "../../../src/pki/path-validation.ts";

export interface CorpusCase {
  id: string;
  description: string;
  leaf: string;
  intermediates: string[];
  roots: string[];
  at: string;
  hostname: string | null;
  usage: CertificateUsage;
  /** valid/error: the `go` profile (Go's verdict); findings: the profile findings expected; strict_valid: the `strict` verdict. */
  expect: { valid: boolean; error: string | null; warning: string | null; findings: string[]; strict_valid: boolean };
}

export const CORPUS_DIR = fileURLToPath(new URL("../../fixtures/verify-corpus/", import.meta.url));
export const manifest = JSON.parse(readFileSync(join(CORPUS_DIR, "cases.json"), "utf8")) as { openssl: string; cases: CorpusCase[] };

/** The DER of the first certificate in a corpus PEM file. */
export function corpusDer(path: string): Uint8Array {
  const r = decodePem(readFileSync(join(CORPUS_DIR, path), "utf8"));
  if (!r.ok) throw new Error(`${path}: not PEM`);
  return r.value[0]!.der;
}

/** validatePath over one corpus case under a profile. */
export function validateCase(c: CorpusCase, profile: VerifyProfile = "go") {
  return validatePath({
    leaf: corpusDer(c.leaf),
    intermediates: c.intermediates.map(corpusDer),
    roots: c.roots.map(corpusDer),
    at: new Date(c.at),
    ...(c.hostname !== null ? { hostname: c.hostname } : {}),
    usage: c.usage,
    profile,
  });
}
