/**
 * Use case: revoke a certificate (POST /v1/certificates/{serial}/revoke).
 * Idempotent for the same reason; a different reason is a conflict, because
 * the CRL already told relying parties the first one (RFC 5280 §5.3.1).
 */
import { ApiError } from "../errors.ts";
import type { RevocationReason } from "../pki/crl.ts";
import type { CertificateRecord, Ledger } from "../store/types.ts";
import { auditEvent, type RequestMeta } from "./mint-leaf.ts";
import { authorizeNames, hasScope, type Principal } from "./policy.ts";

export async function revokeCertificate(
  ctx: { ledger: Ledger; now: Date; request: RequestMeta; principal: Principal },
  serial: string,
  reason: RevocationReason,
): Promise<{ record: CertificateRecord; changed: boolean }> {
  const current = await ctx.ledger.get(serial);
  if (!current) throw new ApiError("certificate_not_found", `no certificate with serial number ${serial} was issued by this service`);
  // A token may revoke only certificates whose names it could have obtained: one zone's pipeline cannot revoke another's CP certificate.
  if (!hasScope(ctx.principal, "admin")) authorizeNames(ctx.principal, current.hostnames, "/serial");
  return recordRevocation(ctx, current, reason);
}

/**
 * Revokes an authorized caller's certificate in the ledger (the CRL follows it): idempotent for the
 * same reason, already_revoked for another. Shared with ACME revokeCert, which authorizes its own way.
 */
export async function recordRevocation(
  ctx: { ledger: Ledger; now: Date; request: RequestMeta },
  current: CertificateRecord,
  reason: RevocationReason,
): Promise<{ record: CertificateRecord; changed: boolean }> {
  const serial = current.serial;
  if (current.revoked_at === null) {
    const after = await ctx.ledger.revoke(serial, reason, ctx.now.toISOString(), auditEvent(ctx, "revoke", 200, serial));
    if (!after) throw new ApiError("certificate_not_found", `no certificate with serial number ${serial}`);
    if (after.revocation_reason === reason) return { record: after, changed: after.revoked_at === ctx.now.toISOString() };
    return conflict(after, reason);
  }
  if (current.revocation_reason === reason) return { record: current, changed: false };
  return conflict(current, reason);
}

function conflict(record: CertificateRecord, reason: string): never {
  throw new ApiError("already_revoked", `the certificate was already revoked at ${record.revoked_at} with reason ${record.revocation_reason}, not ${reason}`, {
    extensions: { revoked_at: record.revoked_at, revocation_reason: record.revocation_reason },
  });
}
