/**
 * Use case: RFC 8555 §7.6 revokeCert, through the ledger revocation the API
 * uses (the CRL follows). Authorized by the account that obtained the
 * certificate, by an account whose principal has `revoke` and a policy
 * covering every name, or by the certificate's own key (a jwk-signed request).
 */
import type { JWK } from "jose";
import { accountKeySpki } from "../../pki/acme/jws.ts";
import { AcmeProblem } from "../../pki/acme/problem.ts";
import { timingSafeEqual } from "../../pki/bytes.ts";
import { REVOCATION_REASONS, type RevocationReason } from "../../pki/crl.ts";
import { normalizeNames } from "../../pki/names.ts";
import { parseCertificateDer } from "../../pki/path-validation/certificate.ts";
import { decodePem } from "../../pki/pem.ts";
import type { CertificateRecord, Ledger } from "../../store/types.ts";
import type { RequestMeta } from "../mint-leaf.ts";
import { hasScope } from "../policy.ts";
import { recordRevocation } from "../revoke-certificate.ts";
import type { ActingAccount } from "./accounts.ts";

export type Revoker = { kind: "account"; acting: ActingAccount } | { kind: "certificate-key"; jwk: JWK };

function b64urlBytes(text: unknown): Uint8Array {
  if (typeof text !== "string" || text.length === 0 || text.length > 32768 || !/^[A-Za-z0-9_-]+$/.test(text)) {
    throw new AcmeProblem("malformed", "certificate must be the base64url DER of the certificate (RFC 8555 §7.6)");
  }
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** RFC 5280 §5.3.1 codes a client may ask for; 7 is unused, 8 (removeFromCRL) is not a revocation. */
function reasonOf(raw: unknown): RevocationReason {
  if (raw === undefined) return "unspecified";
  const entry = Object.entries(REVOCATION_REASONS).find(([, code]) => code === raw);
  if (!entry) throw new AcmeProblem("badRevocationReason", `reason ${JSON.stringify(raw)} is not a revocation reason this server accepts (${Object.values(REVOCATION_REASONS).join(", ")}; RFC 5280 §5.3.1)`);
  return entry[0] as RevocationReason;
}

function ledgerSerial(hex: string): string {
  const trimmed = hex.toLowerCase().replace(/^0+(?=.)/, "");
  return trimmed.length < 32 ? trimmed.padStart(32, "0") : trimmed;
}

function pemDer(record: CertificateRecord): Uint8Array | null {
  const blocks = decodePem(record.pem, 1);
  return blocks.ok ? blocks.value[0]!.der : null;
}

export async function revokeByAcme(ctx: { ledger: Ledger; now: Date; request: RequestMeta }, revoker: Revoker, payload: Record<string, unknown> | null): Promise<CertificateRecord> {
  if (payload === null) throw new AcmeProblem("malformed", "revokeCert needs a payload with certificate");
  const der = b64urlBytes(payload["certificate"]);
  const reason = reasonOf(payload["reason"]);
  const parsed = parseCertificateDer(der);
  if (!parsed.ok) throw new AcmeProblem("malformed", "certificate is not a DER X.509 certificate");
  const record = await ctx.ledger.get(ledgerSerial(parsed.value.serialHex));
  const stored = record ? pemDer(record) : null;
  // The ledger's bytes, not just the serial: a forged certificate with a known serial proves nothing.
  if (!record || !stored || !timingSafeEqual(stored, der)) throw new AcmeProblem("malformed", "this server did not issue that certificate", { status: 404 });

  let request = ctx.request;
  if (revoker.kind === "certificate-key") {
    const spki = await accountKeySpki(revoker.jwk);
    if (!spki || !timingSafeEqual(spki, parsed.value.spki)) throw new AcmeProblem("unauthorized", "the request is not signed by the certificate's key (RFC 8555 §7.6)");
    // No principal acted: the holder of the certificate's key did. The audit row names the certificate's own
    // principal (whoever obtained it, so filtering the trail by that token or policy shows the whole life of
    // the certificate) with `by=certificate_key` saying how it was authorized. A reserved name instead
    // could collide with an API token of that name (token names are free-form).
    request = { ...ctx.request, tokenName: record.token_name, subject: record.principal_subject ?? null, acmeAccountId: undefined, auditDetail: "by=certificate_key" };
  } else {
    const { account, principal } = revoker.acting;
    if (record.acme_account_id !== account.id) {
      const names = normalizeNames(record.hostnames);
      const covered = names.ok && principal.policy.disallowed(names.value).length === 0;
      if (!hasScope(principal, "revoke") || !covered) {
        throw new AcmeProblem("unauthorized", "this account did not obtain the certificate, and its principal lacks the revoke scope or a policy covering every name of it (RFC 8555 §7.6)");
      }
    }
  }
  // RFC 8555 §7.6: a certificate already revoked is alreadyRevoked, whatever the reason.
  if (record.revoked_at !== null) throw new AcmeProblem("alreadyRevoked", `the certificate was already revoked at ${record.revoked_at}`);
  try {
    return (await recordRevocation({ ...ctx, request }, record, reason)).record;
  } catch (e) {
    if (e instanceof Error && (e as { code?: string }).code === "already_revoked") throw new AcmeProblem("alreadyRevoked", "the certificate was revoked concurrently");
    throw e;
  }
}
