/**
 * Builds the dependencies a request needs from the Worker's bindings:
 * config, token store and CA material. Each piece is checked once per
 * isolate and reported by value, so routes can say precisely what is wrong.
 */
import { loadAlertConfig, loadConfig, type Config, type Env } from "./config.ts";
import type { CaMaterial } from "./pki/certificate-authority.ts";
import { caMaterialFromSecrets } from "./store/secret-ca.ts";
import { secretTokenStore } from "./store/secret-tokens.ts";
import { d1AuditLog, d1CrlStore, d1ExpiryAlertLog, d1IdempotencyStore, d1Ledger } from "./store/d1.ts";
import type { AlertSink, AuditLog, CrlStore, ExpiryAlertLog, IdempotencyStore, Ledger, TokenStore } from "./store/types.ts";
import { webhookAlertSink } from "./store/webhook-alert-sink.ts";

export interface Stores {
  ledger: Ledger;
  audit: AuditLog;
  idempotency: IdempotencyStore;
  crl: CrlStore;
  expiryAlerts: ExpiryAlertLog;
}

export interface Deps {
  /** The config, or a message naming the variable that is wrong. */
  config: Config | string;
  /** The token store, or a message saying what is wrong with API_TOKENS. */
  tokens: TokenStore | string;
  caMaterial: CaMaterial;
  /** The D1-backed stores, or a message saying the binding is missing. */
  stores: Stores | string;
  /** STORE_KEY, when set. */
  storeKey: string | undefined;
}

const storesByDb = new WeakMap<D1Database, Stores>();

function storesFor(db: D1Database | undefined, groupCommit: boolean): Stores | string {
  if (!db) return "the D1 binding DB is not configured: add [[d1_databases]] binding = \"DB\" to wrangler.toml (see README)";
  let stores = storesByDb.get(db);
  if (!stores) {
    const writes = { groupCommit };
    stores = { ledger: d1Ledger(db, writes), audit: d1AuditLog(db, writes), idempotency: d1IdempotencyStore(db), crl: d1CrlStore(db), expiryAlerts: d1ExpiryAlertLog(db) };
    storesByDb.set(db, stores);
  }
  return stores;
}

export function depsFromEnv(env: Env): Deps {
  return {
    config: loadConfig(env),
    tokens: secretTokenStore(env.API_TOKENS),
    caMaterial: caMaterialFromSecrets(env),
    stores: storesFor(env.DB, env.LEDGER_GROUP_COMMIT?.trim().toLowerCase() !== "off"),
    storeKey: env.STORE_KEY?.trim() || undefined,
  };
}

/** Expiry alerting for scheduled runs: null when ALERT_WEBHOOK_URL is unset, a message when misconfigured. */
export function alertingFromEnv(env: Env): { sink: AlertSink; withinSeconds: number } | string | null {
  const config = loadAlertConfig(env);
  if (config === null || typeof config === "string") return config;
  return { sink: webhookAlertSink({ url: config.webhookUrl, secret: config.secret }), withinSeconds: config.withinSeconds };
}
