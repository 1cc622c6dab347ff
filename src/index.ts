/**
 * Worker entry: fetch serves the API; scheduled (the daily cron, or any
 * trigger) sends expiry alerts and runs the housekeeping.
 * Nothing the worker imports uses @peculiar/x509 (or reflect-metadata, which it
 * needs): the PKI core reads and writes DER itself, so the bundle stays small
 * and module evaluation at cold start cheap (README, Performance).
 */
import { createApp } from "./app.ts";
import { sendExpiryAlerts } from "./authority/expiry-alerts.ts";
import { housekeeping } from "./authority/housekeeping.ts";
import type { Env } from "./config.ts";
import { alertingFromEnv, depsFromEnv } from "./deps.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(controller, env) {
    const deps = depsFromEnv(env);
    if (typeof deps.stores === "string" || typeof deps.config === "string") {
      console.error(JSON.stringify({ level: "error", error: `scheduled run skipped: ${typeof deps.stores === "string" ? deps.stores : deps.config}` }));
      return;
    }
    const stores = deps.stores;
    const now = new Date(controller.scheduledTime);
    const failures: unknown[] = [];
    const alerting = alertingFromEnv(env);
    if (typeof alerting === "string") console.error(JSON.stringify({ level: "error", error: `expiry alerts off: ${alerting}` }));
    else if (alerting) {
      const runId = crypto.randomUUID();
      await sendExpiryAlerts({ alerts: stores.expiryAlerts, sink: alerting.sink, audit: stores.audit, now, withinSeconds: alerting.withinSeconds, runId }).catch((e: unknown) => failures.push(e));
    }
    await housekeeping({ audit: stores.audit, idempotency: stores.idempotency, expiryAlerts: stores.expiryAlerts, acme: stores.acme, now, auditRetentionSeconds: deps.config.auditRetentionSeconds }).catch((e: unknown) => failures.push(e));
    // One failing part does not stop the other; the run still reports failure (Cron Events shows it).
    if (failures.length) throw failures[0];
  },
} satisfies ExportedHandler<Env>;
