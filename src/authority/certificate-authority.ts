/**
 * Resolves the CA set for a request (the issuing CA, the previous one while
 * configured, the trust anchors) as the configuration loaded it once per
 * isolate (src/config/ca.ts), re-checks the issuing CA's validity window on
 * every call, and turns CA problems into 503 errors that say how to fix them.
 */
import { caSetFrom } from "../config/ca.ts";
import { ApiError } from "../errors.ts";
import { describeCaProblem, isNotConfigured, type CaMaterial, type CaProblem, type CaSet, type CertificateAuthority } from "../pki/certificate-authority.ts";
import type { Result } from "../pki/result.ts";

function problemToError(problem: CaProblem): ApiError {
  return new ApiError(isNotConfigured(problem) ? "ca_not_configured" : "ca_invalid", describeCaProblem(problem));
}

/** The CA set as a result value, for endpoints that report its state (health). */
export async function inspectCaSet(material: CaMaterial, now: Date): Promise<Result<CaSet, CaProblem>> {
  const result = await caSetFrom(material, now);
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
