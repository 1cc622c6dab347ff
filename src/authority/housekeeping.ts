/**
 * Use case: the daily housekeeping run (the Worker's cron trigger): delete
 * expired idempotency keys, with the sealed private keys they hold, and
 * audit events past their retention, so neither table grows without bound.
 */
import type { AuditLog, IdempotencyStore } from "../store/types.ts";

export async function housekeeping(ctx: { audit: AuditLog; idempotency: IdempotencyStore; now: Date; auditRetentionSeconds: number }): Promise<void> {
  await ctx.idempotency.purgeExpired(ctx.now.toISOString());
  await ctx.audit.purgeBefore(new Date(ctx.now.getTime() - ctx.auditRetentionSeconds * 1000).toISOString());
}
