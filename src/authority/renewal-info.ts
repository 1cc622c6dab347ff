/**
 * Use case: renewal information (RFC 9773). The window a certificate should be renewed in, the
 * same for ARI (GET /acme/renewal-info/{certID}), GET /v1/certificates/{serial}'s renewal_window,
 * `edgeca renew`, and /v1/ca/status's awaiting_renewal, from one pure rule (src/pki/ari.ts).
 */
import { bytesEqual } from "../pki/path-validation/certificate.ts";
import { parseCertId, renewalWindow, type CertIdProblem, type RenewalWindow } from "../pki/ari.ts";
import type { CaSet } from "../pki/certificate-authority.ts";
import { err, ok, type Result } from "../pki/result.ts";
import type { CertificateRecord, Ledger } from "../store/types.ts";

/** The window of a ledger record; `previousFingerprint`: CA_PREVIOUS_CERT's fingerprint while a rotation is under way. */
export function renewalWindowOf(record: CertificateRecord, previousFingerprint: string | null, now: Date): RenewalWindow {
  return renewalWindow({
    notBefore: new Date(record.not_before),
    notAfter: new Date(record.not_after),
    revoked: record.revoked_at !== null,
    issuedByPreviousCa: previousFingerprint !== null && record.issuer_fingerprint === previousFingerprint,
    now,
  });
}

export type RenewalInfoProblem = { reason: "malformed"; problem: CertIdProblem } | { reason: "unknown" };

/**
 * The ledger's certificate a certID names. The certID's key identifier must be the SKI of the
 * issuing or the previous CA (RFC 9773 §4.1: it is the certificate's AKI), and the ledger's
 * certificate with that serial must have been signed by that CA; anything else is unknown.
 */
export async function certificateByCertId(ctx: { set: CaSet; ledger: Ledger }, certId: string): Promise<Result<CertificateRecord, RenewalInfoProblem>> {
  const parsed = parseCertId(certId);
  if (!parsed.ok) return err({ reason: "malformed", problem: parsed.error });
  const issuers = [ctx.set.issuing, ctx.set.previous].filter((ca) => ca !== null && bytesEqual(ca.subjectKeyIdentifier, parsed.value.keyIdentifier));
  if (issuers.length === 0) return err({ reason: "unknown" });
  const record = await ctx.ledger.get(parsed.value.serialHex);
  if (!record || !issuers.some((ca) => ca!.fingerprint === record.issuer_fingerprint)) return err({ reason: "unknown" });
  return ok(record);
}

/** The suggested window for a certID (GET /acme/renewal-info/{certID}); unknown IDs are 404s there. */
export async function renewalInfo(ctx: { set: CaSet; ledger: Ledger; now: Date }, certId: string): Promise<Result<{ record: CertificateRecord; window: RenewalWindow }, RenewalInfoProblem>> {
  const found = await certificateByCertId(ctx, certId);
  if (!found.ok) return found;
  return ok({ record: found.value, window: renewalWindowOf(found.value, ctx.set.previous?.fingerprint ?? null, ctx.now) });
}
