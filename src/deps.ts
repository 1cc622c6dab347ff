/**
 * Builds the dependencies a request (or a scheduled run) needs from the
 * typed configuration (src/config.ts): stores over the bindings,
 * authenticators over the parsed tokens and trust policies, the alert sink.
 * Each piece is built once per isolate for the same configuration, and a
 * misconfigured part stays a message, so routes can say precisely what is wrong.
 */
import { bearerAuthenticator, oidcAuthenticator, tokenAuthenticator, type Authenticator } from "./authority/authenticate.ts";
import type { AlertConfig } from "./config/alerting.ts";
import type { HttpConfig } from "./config/http.ts";
import type { TrustPolicy } from "./config/oidc-trust.ts";
import { configFromEnv, type Config, type Env, type WorkerConfig } from "./config.ts";
import type { CaMaterial } from "./pki/certificate-authority.ts";
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

/** Expiry alerting for scheduled runs. */
export interface Alerting {
  sink: AlertSink;
  withinSeconds: number;
}

export interface Deps {
  /** The service settings, or a message naming the variable that is wrong. */
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
  /** STORE_KEY: the key bytes, undefined when unset, a message when malformed. */
  storeKey: Uint8Array | string | undefined;
  /** Expiry alerts: null when ALERT_WEBHOOK_URL is unset, a message when misconfigured. */
  alerting: Alerting | string | null;
  /** CORS origins, rate limiters and static assets for the HTTP middleware and routes. */
  http: HttpConfig;
}

const storesByDb = new WeakMap<D1Database, Stores>();

function storesFor(db: D1Database | undefined, groupCommit: boolean): Stores | string {
  if (!db) return "the D1 binding DB is not configured: add [[d1_databases]] binding = \"DB\" to wrangler.toml (see docs/deploy.md, \"Configuration\")";
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

const alertingByConfig = new WeakMap<AlertConfig, Alerting>();

function alertingFor(config: AlertConfig | string | null): Alerting | string | null {
  if (config === null || typeof config === "string") return config;
  let alerting = alertingByConfig.get(config);
  if (!alerting) {
    alerting = { sink: webhookAlertSink({ url: config.webhookUrl, secret: config.secret }), withinSeconds: config.withinSeconds };
    alertingByConfig.set(config, alerting);
  }
  return alerting;
}

/** The dependencies over a configuration. */
export function depsFromConfig(config: WorkerConfig): Deps {
  const tokens = typeof config.tokens === "string" ? config.tokens : secretTokenStore(config.tokens);
  return {
    config: config.service,
    tokens,
    oidcTrust: config.oidcTrust,
    authenticator: authenticatorFor(tokens, config.oidcTrust),
    caMaterial: config.ca,
    stores: storesFor(config.ledger.db, config.ledger.groupCommit),
    storeKey: config.storeKey,
    alerting: alertingFor(config.alerting),
    http: config.http,
  };
}

/** The Worker's bindings → configuration → dependencies (src/app.ts per request, src/index.ts per scheduled run). */
export function depsFromEnv(env: Env): Deps {
  return depsFromConfig(configFromEnv(env));
}
