/**
 * Builds the dependencies a request needs from the Worker's bindings:
 * config, token store and CA material. Each piece is checked once per
 * isolate and reported by value, so routes can say precisely what is wrong.
 */
import { bearerAuthenticator, oidcAuthenticator, tokenAuthenticator, type Authenticator } from "./authority/authenticate.ts";
import { oidcTrustFromSecret, type TrustPolicy } from "./authority/oidc-policy.ts";
import { loadAlertConfig, loadConfig, type Config, type Env } from "./config.ts";
import type { CaMaterial } from "./pki/certificate-authority.ts";
import { caMaterialFromSecrets } from "./store/secret-ca.ts";
import { isolateOidcKeySource } from "./store/oidc-keys.ts";
import { secretTokenStore } from "./store/secret-tokens.ts";
import { d1AcmeStore } from "./store/d1-acme.ts";
import { d1AuditLog, d1CrlStore, d1ExpiryAlertLog, d1IdempotencyStore, d1Ledger } from "./store/d1.ts";
import type { AcmeStore, AlertSink, AuditLog, CrlStore, ExpiryAlertLog, IdempotencyStore, Ledger, TokenStore } from "./store/types.ts";
import { webhookAlertSink } from "./store/webhook-alert-sink.ts";

export interface Stores {
  ledger: Ledger;
  audit: AuditLog;
  idempotency: IdempotencyStore;
  crl: CrlStore;
  expiryAlerts: ExpiryAlertLog;
  acme: AcmeStore;
}

export interface Deps {
  /** The config, or a message naming the variable that is wrong. */
  config: Config | string;
  /** The token store, or a message saying what is wrong with API_TOKENS. */
  tokens: TokenStore | string;
  /** The OIDC trust policies (empty when OIDC_TRUST is unset), or a message naming the entry and field that are wrong. */
  oidcTrust: TrustPolicy[] | string;
  /** API tokens and OIDC tokens (OIDC_TRUST) → the Principal; each path reports its own misconfiguration. */
  authenticator: Authenticator;
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
    stores = { ledger: d1Ledger(db, writes), audit: d1AuditLog(db, writes), idempotency: d1IdempotencyStore(db), crl: d1CrlStore(db), expiryAlerts: d1ExpiryAlertLog(db), acme: d1AcmeStore(db) };
    storesByDb.set(db, stores);
  }
  return stores;
}

let lastAuthenticator: { tokens: TokenStore | string; trust: TrustPolicy[] | string; value: Authenticator } | undefined;

/** One authenticator per (API_TOKENS, OIDC_TRUST) as parsed, so requests share it. */
function authenticatorFor(tokens: TokenStore | string, trust: TrustPolicy[] | string): Authenticator {
  if (lastAuthenticator?.tokens === tokens && lastAuthenticator.trust === trust) return lastAuthenticator.value;
  const value = bearerAuthenticator(tokenAuthenticator(tokens), oidcAuthenticator(trust, isolateOidcKeySource()));
  lastAuthenticator = { tokens, trust, value };
  return value;
}

export function depsFromEnv(env: Env): Deps {
  const tokens = secretTokenStore(env.API_TOKENS);
  const oidcTrust = oidcTrustFromSecret(env.OIDC_TRUST, typeof tokens === "string" ? [] : tokens.names);
  return {
    config: loadConfig(env),
    tokens,
    oidcTrust,
    authenticator: authenticatorFor(tokens, oidcTrust),
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
