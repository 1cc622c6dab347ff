/**
 * Use case: the current CRL of the issuing CA (GET /v1/crl). Cached in the
 * store and rebuilt, with the next CRL number, when a revocation happened
 * since it was built or half its validity has passed.
 */
import type { CertificateAuthority } from "../pki/certificate-authority.ts";
import { buildCrl, REVOCATION_REASONS, type RevocationReason } from "../pki/crl.ts";
import type { CrlStore, Ledger } from "../store/types.ts";

export interface CurrentCrl {
  der: Uint8Array;
  crlNumber: number;
  thisUpdate: Date;
  nextUpdate: Date;
}

export async function currentCrl(ctx: { ca: CertificateAuthority; ledger: Ledger; crl: CrlStore; now: Date; nextUpdateSeconds: number }): Promise<CurrentCrl> {
  const fp = ctx.ca.fingerprint;
  for (let attempt = 0; attempt < 3; attempt++) {
    const state = await ctx.crl.get(fp);
    if (state?.der && state.this_update && state.next_update && state.built_revision === state.revision) {
      const thisUpdate = new Date(state.this_update);
      const nextUpdate = new Date(state.next_update);
      const refreshAt = thisUpdate.getTime() + (nextUpdate.getTime() - thisUpdate.getTime()) / 2;
      if (ctx.now.getTime() < refreshAt) return { der: state.der, crlNumber: state.crl_number, thisUpdate, nextUpdate };
    }
    const revision = state?.revision ?? 0;
    const crlNumber = (state?.crl_number ?? 0) + 1;
    const thisUpdate = new Date(Math.floor(ctx.now.getTime() / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + ctx.nextUpdateSeconds * 1000);
    // Registered first, so the leaves of earlier certificates of this CA (same subject and key) are listed too, and later revocations of theirs rebuild this CRL.
    await ctx.ledger.registerIssuer({ fingerprint: fp, identity: ctx.ca.identity });
    const entries = (await ctx.ledger.revoked({ fingerprint: fp, identity: ctx.ca.identity }, ctx.now.toISOString())).map((e) => ({
      serial: e.serial,
      revokedAt: new Date(e.revoked_at),
      reason: (e.revocation_reason in REVOCATION_REASONS ? e.revocation_reason : "unspecified") as RevocationReason,
    }));
    const der = await buildCrl(ctx.ca, { crlNumber, thisUpdate, nextUpdate, entries });
    const saved = await ctx.crl.save(
      { issuer_fingerprint: fp, crl_number: crlNumber, revision, built_revision: revision, der, this_update: thisUpdate.toISOString(), next_update: nextUpdate.toISOString() },
      state ? state.crl_number : null,
    );
    // Someone else stored this CRL number first: use theirs, so numbers never repeat with different contents.
    if (saved) return { der, crlNumber, thisUpdate, nextUpdate };
  }
  throw new Error("CRL rebuild lost the race three times");
}
