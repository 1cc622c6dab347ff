/**
 * Resolves the CA set for a request (the issuing CA, the previous one while
 * configured, the trust anchors) as the configuration loaded it once per
 * isolate (src/config/ca.ts), re-checks the issuing CA's validity window on
 * every call, and turns CA problems into 503 errors that say how to fix them.
 */
import { caSetFrom } from "../config/ca.ts";
import { ApiError } from "../errors.ts";
import { describeCaProblem, isNotConfigured, issuerIdentity, type CaMaterial, type CaProblem, type CaSet, type CertificateAuthority } from "../pki/certificate-authority.ts";
import { parseCertificateDer } from "../pki/path-validation/certificate.ts";
import { decodePem } from "../pki/pem.ts";
import type { Result } from "../pki/result.ts";
import type { CertificateRecord } from "../store/types.ts";

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

/** The identity (issuerIdentity) of the CA that signed a leaf: its issuer name and authorityKeyIdentifier; null without them. */
async function leafIssuerIdentity(pem: string): Promise<string | null> {
  const blocks = decodePem(pem, 1);
  if (!blocks.ok) return null;
  const parsed = parseCertificateDer(blocks.value[0]!.der);
  const aki = parsed.ok ? parsed.value.extensions.authorityKeyId : undefined;
  return parsed.ok && aki ? issuerIdentity(parsed.value.issuerRaw, aki) : null;
}

/**
 * The configured CA that signed a ledger certificate: the one with its issuer fingerprint, else the
 * configured certificate of the same CA identity (issue 20: a CA re-certified with the same subject and
 * key has a new fingerprint, and its earlier leaves still chain to it). The issuing CA wins when both
 * configured certificates share the identity (a "rotation" that only re-certified the key).
 */
export async function issuerOfRecord(set: CaSet, record: Pick<CertificateRecord, "pem" | "issuer_fingerprint">): Promise<CertificateAuthority | undefined> {
  const direct = issuerByFingerprint(set, record.issuer_fingerprint);
  if (direct) return direct;
  const identity = await leafIssuerIdentity(record.pem);
  if (identity === null) return undefined;
  return [set.issuing, set.previous].find((ca) => ca?.identity === identity) ?? undefined;
}

/** Whether CA_PREVIOUS_CERT's CA (by fingerprint or identity) signed the certificate: a rotation waits for its renewal. */
export async function issuedByPreviousCa(set: CaSet, record: Pick<CertificateRecord, "pem" | "issuer_fingerprint">): Promise<boolean> {
  if (set.previous === null) return false;
  if (record.issuer_fingerprint === set.previous.fingerprint) return true;
  if (record.issuer_fingerprint === set.issuing.fingerprint) return false;
  return (await issuerOfRecord(set, record)) === set.previous;
}
