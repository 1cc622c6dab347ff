/**
 * Resolves the issuing CA for a request: loads and checks the material once
 * per isolate (the key is imported non-extractable and kept), re-checks the
 * validity window on every call, and turns CA problems into 503 errors that
 * say how to fix them.
 */
import { ApiError } from "../errors.ts";
import {
  describeCaProblem,
  isNotConfigured,
  loadCertificateAuthority,
  type CaMaterial,
  type CaProblem,
  type CertificateAuthority,
} from "../pki/certificate-authority.ts";
import type { Result } from "../pki/result.ts";

let cached: { material: CaMaterial; result: Result<CertificateAuthority, CaProblem> } | undefined;

/** Same secrets as last time: compared field by field (the same strings come back on every request, so === is cheap). */
function sameMaterial(a: CaMaterial, b: CaMaterial): boolean {
  return a.certPem === b.certPem && a.keyPem === b.keyPem && a.trustPem === b.trustPem;
}

function problemToError(problem: CaProblem): ApiError {
  return new ApiError(isNotConfigured(problem) ? "ca_not_configured" : "ca_invalid", describeCaProblem(problem));
}

/** The CA as a result value, for endpoints that report its state (health). */
export async function inspectCertificateAuthority(material: CaMaterial, now: Date): Promise<Result<CertificateAuthority, CaProblem>> {
  if (!cached || !sameMaterial(cached.material, material) || !cached.result.ok) {
    cached = { material: { certPem: material.certPem, keyPem: material.keyPem, trustPem: material.trustPem }, result: await loadCertificateAuthority(material, now) };
  }
  const result = cached.result;
  if (!result.ok) return result;
  // The material was valid when loaded; time moves on.
  if (now > result.value.notAfter) return { ok: false, error: { reason: "expired", notAfter: result.value.notAfter.toISOString() } };
  if (now < result.value.notBefore) return { ok: false, error: { reason: "not_yet_valid", notBefore: result.value.notBefore.toISOString() } };
  return result;
}

/** The CA, or an ApiError (503 ca_not_configured / ca_invalid). */
export async function requireCertificateAuthority(material: CaMaterial, now: Date): Promise<CertificateAuthority> {
  const result = await inspectCertificateAuthority(material, now);
  if (!result.ok) throw problemToError(result.error);
  return result.value;
}
