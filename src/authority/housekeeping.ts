/**
 * Use case: the daily housekeeping run (the Worker's cron trigger): delete
 * expired idempotency keys, with the sealed private keys they hold, audit
 * events past their retention, expiry-alert records of past days, and expired
 * ACME nonces, EAB kids and orders, so no
 * table grows without bound.
 */
import type { AcmeStore, AuditLog, ExpiryAlertLog, IdempotencyStore } from "../store/types.ts";

export async function housekeeping(ctx: { audit: AuditLog; idempotency: IdempotencyStore; expiryAlerts: ExpiryAlertLog; acme?: AcmeStore; now: Date; auditRetentionSeconds: number }): Promise<void> {
  await ctx.idempotency.purgeExpired(ctx.now.toISOString());
  await ctx.audit.purgeBefore(new Date(ctx.now.getTime() - ctx.auditRetentionSeconds * 1000).toISOString());
  // Alerts are once per UTC day: only today's records matter (yesterday's kept for a run near midnight).
  await ctx.expiryAlerts.purgeBefore(new Date(ctx.now.getTime() - 86_400_000).toISOString().slice(0, 10));
  // ACME: spent nonces, unused EAB kids, and orders that can no longer be finalized.
  await ctx.acme?.purgeExpired(ctx.now.toISOString());
}
