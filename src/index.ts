/**
 * Worker entry: fetch serves the API; scheduled runs the daily housekeeping.
 * Nothing the worker imports uses @peculiar/x509 (or reflect-metadata, which it
 * needs): the PKI core reads and writes DER itself, so the bundle stays small
 * and module evaluation at cold start cheap (README, Performance).
 */
import { createApp } from "./app.ts";
import { housekeeping } from "./authority/housekeeping.ts";
import type { Env } from "./config.ts";
import { depsFromEnv } from "./deps.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, env) {
    const deps = depsFromEnv(env);
    if (typeof deps.stores === "string" || typeof deps.config === "string") {
      console.error(JSON.stringify({ level: "error", error: `housekeeping skipped: ${typeof deps.stores === "string" ? deps.stores : deps.config}` }));
      return;
    }
    await housekeeping({ audit: deps.stores.audit, idempotency: deps.stores.idempotency, now: new Date(), auditRetentionSeconds: deps.config.auditRetentionSeconds });
  },
} satisfies ExportedHandler<Env>;
