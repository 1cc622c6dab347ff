/**
 * Worker entry. reflect-metadata must load before @peculiar/x509.
 * fetch serves the API; scheduled runs the daily housekeeping.
 */
import "reflect-metadata";
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
