/**
 * RFC 9773 §5 for ACME newOrder: `replaces` names, by certID, the certificate the order renews. The
 * same check as the /v1 API's `replaces` (src/authority/replaces.ts), with the ACME account as owner:
 * the certificate must be this account's, share an identifier with the order, and not be replaced
 * yet — neither by a later certificate (the ledger's renewed_by) nor by another order that is not
 * invalid (409 alreadyReplaced).
 */
import { AcmeProblem } from "../../pki/acme/problem.ts";
import { parseCertId, describeCertIdProblem } from "../../pki/ari.ts";
import type { CaSet } from "../../pki/certificate-authority.ts";
import type { SubjectName } from "../../pki/names.ts";
import type { AcmeAccountRecord, AcmeStore, CertificateRecord, Ledger } from "../../store/types.ts";
import { checkReplaces } from "../replaces.ts";
import { certificateByCertId } from "../renewal-info.ts";

/** What the check reads: the CA set (which SKIs a certID may name), the ledger and the orders. */
export interface OrderReplacesContext {
  set: CaSet;
  ledger: Ledger;
  store: AcmeStore;
  now: Date;
}

/** The certID an order may carry in `replaces`, and the predecessor's serial; AcmeProblem otherwise. */
export async function checkOrderReplaces(ctx: OrderReplacesContext, account: AcmeAccountRecord, raw: unknown, names: readonly SubjectName[]): Promise<{ certId: string; serial: string }> {
  if (typeof raw !== "string") throw new AcmeProblem("malformed", "replaces must be a certID string (RFC 9773 §5)");
  const parsed = parseCertId(raw);
  if (!parsed.ok) throw new AcmeProblem("malformed", `replaces: ${describeCertIdProblem(parsed.error)}`);
  const found = await certificateByCertId(ctx, raw);
  const record: CertificateRecord | null = found.ok ? found.value : null;
  const checked = await checkReplaces(
    parsed.value.serialHex,
    names.map((n) => n.value),
    { find: async () => record, owns: (r) => r.acme_account_id === account.id },
  );
  if (!checked.ok) {
    const e = checked.error;
    switch (e.reason) {
      case "not_found":
        throw new AcmeProblem("malformed", "replaces names no certificate of this server");
      case "not_owner":
        throw new AcmeProblem("unauthorized", "replaces names a certificate this account did not obtain (RFC 9773 §5)");
      case "no_shared_identifier":
        throw new AcmeProblem("malformed", "replaces names a certificate that shares no identifier with this order (RFC 9773 §5)");
      case "already_replaced":
        throw new AcmeProblem("alreadyReplaced", `the certificate was already replaced by ${e.by} (RFC 9773 §5)`);
    }
  }
  const pending = await ctx.store.pendingReplacement(raw, ctx.now.toISOString());
  if (pending !== null) throw new AcmeProblem("alreadyReplaced", "another order that is not invalid already replaces this certificate (RFC 9773 §5)");
  return { certId: raw, serial: parsed.value.serialHex };
}
