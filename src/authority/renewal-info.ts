/**
 * Use case: renewal information (RFC 9773). The window a certificate should be renewed in, the
 * same for ARI (GET /acme/renewal-info/{certID}), GET /v1/certificates/{serial}'s renewal_window,
 * `edgeca renew`, and /v1/ca/status's awaiting_renewal, from one pure rule (src/pki/ari.ts).
 */
import { bytesEqual } from "../pki/path-validation/certificate.ts";
import { issuedByPreviousCa, issuerOfRecord } from "./certificate-authority.ts";
import { parseCertId, renewalWindow, type CertIdProblem, type RenewalWindow } from "../pki/ari.ts";
import type { CaSet } from "../pki/certificate-authority.ts";
import { err, ok, type Result } from "../pki/result.ts";
import type { CertificateRecord, Ledger } from "../store/types.ts";

/**
 * The window of a ledger record. `set`: the configured CAs (null when they cannot be loaded: no
 * rotation is assumed); a certificate of CA_PREVIOUS_CERT's CA — by fingerprint, or by identity when
 * that CA was re-certified, as /v1/ca/status's awaiting_renewal counts it — has its window pulled to now.
 */
export async function renewalWindowOf(set: CaSet | null, record: CertificateRecord, now: Date): Promise<RenewalWindow> {
  return renewalWindow({
    notBefore: new Date(record.not_before),
    notAfter: new Date(record.not_after),
    revoked: record.revoked_at !== null,
    issuedByPreviousCa: set !== null && (await issuedByPreviousCa(set, record)),
    now,
  });
}

export type RenewalInfoProblem = { reason: "malformed"; problem: CertIdProblem } | { reason: "unknown" };

/**
 * The ledger's certificate a certID names. The certID's key identifier must be the SKI of the
 * issuing or the previous CA (RFC 9773 §4.1: it is the certificate's AKI), and the ledger's
 * certificate with that serial must have been signed by that CA (any certificate of it: a CA
 * re-certified with the same key keeps its SKI and its earlier leaves); anything else is unknown.
 */
export async function certificateByCertId(ctx: { set: CaSet; ledger: Ledger }, certId: string): Promise<Result<CertificateRecord, RenewalInfoProblem>> {
  const parsed = parseCertId(certId);
  if (!parsed.ok) return err({ reason: "malformed", problem: parsed.error });
  const issuers = [ctx.set.issuing, ctx.set.previous].filter((ca) => ca !== null && bytesEqual(ca.subjectKeyIdentifier, parsed.value.keyIdentifier));
  if (issuers.length === 0) return err({ reason: "unknown" });
  const record = await ctx.ledger.get(parsed.value.serialHex);
  if (!record) return err({ reason: "unknown" });
  const signer = await issuerOfRecord(ctx.set, record);
  if (!signer || !issuers.includes(signer)) return err({ reason: "unknown" });
  return ok(record);
}

/** The suggested window for a certID (GET /acme/renewal-info/{certID}); unknown IDs are 404s there. */
export async function renewalInfo(ctx: { set: CaSet; ledger: Ledger; now: Date }, certId: string): Promise<Result<{ record: CertificateRecord; window: RenewalWindow }, RenewalInfoProblem>> {
  const found = await certificateByCertId(ctx, certId);
  if (!found.ok) return found;
  return ok({ record: found.value, window: await renewalWindowOf(ctx.set, found.value, ctx.now) });
}
