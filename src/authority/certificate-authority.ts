/**
 * Resolves the CA set for a request (the issuing CA, the previous one while
 * configured, the trust anchors): loads and checks the material once per
 * isolate (keys are imported non-extractable and kept), re-checks the issuing
 * CA's validity window on every call, and turns CA problems into 503 errors
 * that say how to fix them.
 */
import { ApiError } from "../errors.ts";
import { describeCaProblem, isNotConfigured, loadCaSet, type CaMaterial, type CaProblem, type CaSet, type CertificateAuthority } from "../pki/certificate-authority.ts";
import type { Result } from "../pki/result.ts";

const FIELDS = ["certPem", "keyPem", "trustPem", "previousCertPem", "previousKeyPem"] as const;

let cached: { material: CaMaterial; result: Result<CaSet, CaProblem> } | undefined;

/** Same secrets as last time: compared field by field (the same strings come back on every request, so === is cheap). */
function sameMaterial(a: CaMaterial, b: CaMaterial): boolean {
  return FIELDS.every((f) => a[f] === b[f]);
}

function problemToError(problem: CaProblem): ApiError {
  return new ApiError(isNotConfigured(problem) ? "ca_not_configured" : "ca_invalid", describeCaProblem(problem));
}

/** The CA set as a result value, for endpoints that report its state (health). */
export async function inspectCaSet(material: CaMaterial, now: Date): Promise<Result<CaSet, CaProblem>> {
  if (!cached || !sameMaterial(cached.material, material) || !cached.result.ok) {
    cached = { material: Object.fromEntries(FIELDS.map((f) => [f, material[f]])), result: await loadCaSet(material, now) };
  }
  const result = cached.result;
  if (!result.ok) return result;
  // The material was valid when loaded; time moves on.
  const { notBefore, notAfter } = result.value.issuing;
  if (now > notAfter) return { ok: false, error: { reason: "expired", notAfter: notAfter.toISOString() } };
  if (now < notBefore) return { ok: false, error: { reason: "not_yet_valid", notBefore: notBefore.toISOString() } };
  return result;
}

/** The CA set, or an ApiError (503 ca_not_configured / ca_invalid). */
export async function requireCaSet(material: CaMaterial, now: Date): Promise<CaSet> {
  const result = await inspectCaSet(material, now);
  if (!result.ok) throw problemToError(result.error);
  return result.value;
}

/** The issuing CA, or an ApiError (503 ca_not_configured / ca_invalid). */
export async function requireCertificateAuthority(material: CaMaterial, now: Date): Promise<CertificateAuthority> {
  return (await requireCaSet(material, now)).issuing;
}

/** The CA whose certificate has this SHA-256 fingerprint among the issuing and previous ones, if configured. */
export function issuerByFingerprint(set: CaSet, fingerprint: string): CertificateAuthority | undefined {
  return [set.issuing, set.previous].find((ca) => ca?.fingerprint === fingerprint) ?? undefined;
}
