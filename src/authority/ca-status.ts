/**
 * Use case: the rotation status of every CA (GET /v1/ca/status, /healthz
 * warnings): the CA set with the ledger's active certificates per issuer.
 */
import type { CaSet } from "../pki/certificate-authority.ts";
import { caStatus, type CaStatusReport } from "../pki/ca-status.ts";
import type { Ledger } from "../store/types.ts";

export async function caStatusReport(ctx: { set: CaSet; ledger: Ledger; now: Date; maxTtlSeconds: number }): Promise<CaStatusReport> {
  const counts = await ctx.ledger.activeByIssuer(ctx.now.toISOString());
  return caStatus({ issuing: ctx.set.issuing, previous: ctx.set.previous, known: ctx.set.known, warnings: ctx.set.warnings }, counts, ctx.now, ctx.maxTtlSeconds);
}
