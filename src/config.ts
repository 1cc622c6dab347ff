/**
 * Env → typed configuration: the only reader of environment variables,
 * secrets and bindings (src/cli, a separate program, reads its own). Follow
 * any setting from here: `configFromEnv` is the whole map, each part parsed
 * by one function (the service settings below; API_TOKENS, OIDC_TRUST, the
 * CA set, STORE_KEY, alerting and the HTTP settings in src/config/*.ts).
 * Each part is checked once per isolate and cached for the same inputs, and
 * a wrong part is a message naming the variable (503 config_invalid where it
 * is needed) without breaking the others. test/unit/config-layer.test.ts
 * keeps every other module off `env`. Reference: docs/deploy.md "Configuration".
 */
import { loadAlertConfig, type AlertConfig } from "./config/alerting.ts";
import { apiTokensFromSecret, type ApiToken } from "./config/api-tokens.ts";
import { corsOriginsFrom, type HttpConfig, type RateLimiter } from "./config/http.ts";
import { oidcTrustFromSecret, type TrustPolicy } from "./config/oidc-trust.ts";
import { storeKeyFrom } from "./config/store-key.ts";
import type { CaMaterial } from "./pki/certificate-authority.ts";
import { parseDuration } from "./pki/duration.ts";

/** Bindings and vars the worker reads (wrangler.toml [vars] and secrets). */
export interface Env {
  /** Issuing CA private key, PKCS#8 PEM (secret). */
  CA_KEY?: string;
  /** Issuing CA certificate first, then intermediates, optionally the self-signed root (PEM). */
  CA_CERT?: string;
  /** Trust anchors served as ca.crt (PEM); defaults to CA_CERT's self-signed last certificate. */
  CA_TRUST?: string;
  /** The issuing CA before the last switch (same form as CA_CERT): still signs the CRL of what it issued (rotation: docs/ca-operations.md "Rotating the CA"). */
  CA_PREVIOUS_CERT?: string;
  /** CA_PREVIOUS_CERT's private key, PKCS#8 PEM (secret). */
  CA_PREVIOUS_KEY?: string;
  /** JSON list of API tokens (hashes only), see src/config/api-tokens.ts. */
  API_TOKENS?: string;
  /** JSON list of OIDC trust policies (workload identity), see src/config/oidc-trust.ts and docs/identity.md "Workload identity". */
  OIDC_TRUST?: string;
  /** Longest lifetime a certificate may have, e.g. "397d". */
  MAX_TTL?: string;
  /** Lifetime when a request names none, e.g. "90d". */
  DEFAULT_TTL?: string;
  /** Public base URL of this service, e.g. https://ca.example.com. */
  PUBLIC_URL?: string;
  /** How long a CRL is valid (nextUpdate − thisUpdate), e.g. "24h". */
  CRL_NEXT_UPDATE?: string;
  /** How long audit events are kept, e.g. "400d" (the daily cron deletes older ones). */
  AUDIT_RETENTION?: string;
  /**
   * "off" writes each ledger record in its own D1 call. On (the default),
   * concurrent requests in an isolate share D1 batches (src/store/group-commit.ts).
   */
  LEDGER_GROUP_COMMIT?: string;
  /** 32 random bytes, base64: encrypts generated private keys kept for Idempotency-Key replays (secret). */
  STORE_KEY?: string;
  /** The D1 database holding the ledger. */
  DB?: D1Database;
  /** Static assets (public/): the API reference and openapi.yaml. */
  ASSETS?: Fetcher;
  /** Rate limits ([[ratelimits]] in wrangler.toml): per token and per client address. */
  RATE_LIMIT_TOKEN?: RateLimiter;
  RATE_LIMIT_CLIENT?: RateLimiter;
  /** Comma-separated origins allowed to call the API from a browser; none by default. */
  CORS_ORIGINS?: string;
  /** Incoming-webhook URL (Slack, Mattermost, Teams, or your own) for expiry alerts (secret); unset: no alerts. */
  ALERT_WEBHOOK_URL?: string;
  /** Key for the X-Edgeca-Signature HMAC-SHA256 over each alert (secret); unset: unsigned. */
  ALERT_WEBHOOK_SECRET?: string;
  /** Alert on at-risk certificates expiring within this, e.g. "14d" (the default). */
  ALERT_WITHIN?: string;
  /** How long an unused ACME External Account Binding kid stays usable, e.g. "24h" (the default). */
  ACME_EAB_TTL?: string;
  /** How long an ACME order and its authorizations stay usable, e.g. "1h" (the default). */
  ACME_ORDER_TTL?: string;
  /** How long an ACME account bound from an OIDC token lives, e.g. "90d" (the default). */
  ACME_OIDC_ACCOUNT_TTL?: string;
}

/** The service settings (WorkerConfig.service): lifetimes, the public URL, CRL validity, audit retention. */
export interface Config {
  maxTtlSeconds: number;
  defaultTtlSeconds: number;
  publicUrl: string | undefined;
  crlNextUpdateSeconds: number;
  auditRetentionSeconds: number;
  acme: AcmeConfig;
}

export interface AcmeConfig {
  eabTtlSeconds: number;
  orderTtlSeconds: number;
  oidcAccountTtlSeconds: number;
}

export const DEFAULT_ACME_EAB_TTL = "24h";
export const DEFAULT_ACME_ORDER_TTL = "1h";
export const DEFAULT_ACME_OIDC_ACCOUNT_TTL = "90d";

export const DEFAULT_MAX_TTL = "397d";
export const DEFAULT_TTL = "90d";

let cached: { key: (string | undefined)[]; value: Config | string } | undefined;

/** Returns the checked config, or a message saying which variable is wrong. */
export function loadConfig(env: Env): Config | string {
  const key = [env.MAX_TTL, env.DEFAULT_TTL, env.PUBLIC_URL, env.CRL_NEXT_UPDATE, env.AUDIT_RETENTION, env.ACME_EAB_TTL, env.ACME_ORDER_TTL, env.ACME_OIDC_ACCOUNT_TTL];
  // Compared value by value: the same strings arrive on every request, so this is a few === checks.
  if (cached && cached.key.every((v, i) => v === key[i])) return cached.value;
  const value = checkConfig(env);
  cached = { key, value };
  return value;
}

function checkConfig(env: Env): Config | string {
  const max = parseDuration(env.MAX_TTL || DEFAULT_MAX_TTL);
  if (!max.ok) return `MAX_TTL is not a duration such as "397d": ${JSON.stringify(env.MAX_TTL)}`;
  const def = parseDuration(env.DEFAULT_TTL || DEFAULT_TTL);
  if (!def.ok) return `DEFAULT_TTL is not a duration such as "90d": ${JSON.stringify(env.DEFAULT_TTL)}`;
  const crl = parseDuration(env.CRL_NEXT_UPDATE || "24h");
  if (!crl.ok) return `CRL_NEXT_UPDATE is not a duration such as "24h": ${JSON.stringify(env.CRL_NEXT_UPDATE)}`;
  const retention = parseDuration(env.AUDIT_RETENTION || "400d");
  if (!retention.ok) return `AUDIT_RETENTION is not a duration such as "400d": ${JSON.stringify(env.AUDIT_RETENTION)}`;
  const acme: Partial<AcmeConfig> = {};
  for (const [variable, field, fallback, example] of [
    ["ACME_EAB_TTL", "eabTtlSeconds", DEFAULT_ACME_EAB_TTL, "24h"],
    ["ACME_ORDER_TTL", "orderTtlSeconds", DEFAULT_ACME_ORDER_TTL, "1h"],
    ["ACME_OIDC_ACCOUNT_TTL", "oidcAccountTtlSeconds", DEFAULT_ACME_OIDC_ACCOUNT_TTL, "90d"],
  ] as const) {
    const d = parseDuration(env[variable]?.trim() || fallback);
    if (!d.ok || d.value <= 0) return `${variable} is not a duration such as "${example}": ${JSON.stringify(env[variable])}`;
    acme[field] = d.value;
  }
  const publicUrl = env.PUBLIC_URL?.trim() || undefined;
  if (publicUrl !== undefined) {
    try {
      const u = new URL(publicUrl);
      // The URL goes into certificates (CRL distribution point, an IA5String): ASCII only.
      if ((u.protocol !== "https:" && u.protocol !== "http:") || /[^\x21-\x7e]/.test(publicUrl)) throw new Error();
    } catch {
      return `PUBLIC_URL is not an http(s) URL: ${JSON.stringify(publicUrl)}`;
    }
  }
  return {
    maxTtlSeconds: max.value,
    defaultTtlSeconds: Math.min(def.value, max.value),
    publicUrl: publicUrl?.replace(/\/+$/, ""),
    crlNextUpdateSeconds: crl.value,
    auditRetentionSeconds: retention.value,
    acme: acme as AcmeConfig,
  };
}

/**
 * Everything the worker takes from its environment, typed. A part that can
 * be wrong is `T | string`: the message says which variable and what to fix,
 * and only the requests that need that part fail on it (a bad OIDC_TRUST does
 * not stop API tokens).
 */
export interface WorkerConfig {
  /** MAX_TTL, DEFAULT_TTL, PUBLIC_URL, CRL_NEXT_UPDATE, AUDIT_RETENTION (loadConfig above). */
  service: Config | string;
  /** API_TOKENS (src/config/api-tokens.ts). */
  tokens: readonly ApiToken[] | string;
  /** OIDC_TRUST (src/config/oidc-trust.ts): empty when unset; checked against the API token names when those parse. */
  oidcTrust: TrustPolicy[] | string;
  /**
   * CA_CERT, CA_KEY, CA_TRUST, CA_PREVIOUS_CERT, CA_PREVIOUS_KEY as given: loading them imports keys
   * (async WebCrypto), so src/config/ca.ts caSetFrom does it on first use, once per isolate.
   */
  ca: CaMaterial;
  /** ALERT_WEBHOOK_URL, ALERT_WEBHOOK_SECRET, ALERT_WITHIN (src/config/alerting.ts): null when alerts are off. */
  alerting: AlertConfig | string | null;
  /** The D1 binding DB and LEDGER_GROUP_COMMIT ("off" writes each ledger record in its own D1 call). */
  ledger: { db: D1Database | undefined; groupCommit: boolean };
  /** STORE_KEY (src/config/store-key.ts): the key bytes, undefined when unset, a message when malformed. */
  storeKey: Uint8Array | string | undefined;
  /** CORS_ORIGINS, RATE_LIMIT_CLIENT, RATE_LIMIT_TOKEN, ASSETS (src/config/http.ts). */
  http: HttpConfig;
}

const NO_TOKENS: readonly ApiToken[] = [];

/** The whole configuration; cheap per request (each part is cached for the same inputs). */
export function configFromEnv(env: Env): WorkerConfig {
  const tokens = apiTokensFromSecret(env.API_TOKENS);
  return {
    service: loadConfig(env),
    tokens,
    oidcTrust: oidcTrustFromSecret(env.OIDC_TRUST, typeof tokens === "string" ? NO_TOKENS : tokens),
    ca: { certPem: env.CA_CERT, keyPem: env.CA_KEY, trustPem: env.CA_TRUST, previousCertPem: env.CA_PREVIOUS_CERT, previousKeyPem: env.CA_PREVIOUS_KEY },
    alerting: loadAlertConfig(env),
    ledger: { db: env.DB, groupCommit: env.LEDGER_GROUP_COMMIT?.trim().toLowerCase() !== "off" },
    storeKey: storeKeyFrom(env.STORE_KEY),
    http: {
      corsOrigins: corsOriginsFrom(env.CORS_ORIGINS),
      rateLimits: { client: env.RATE_LIMIT_CLIENT, token: env.RATE_LIMIT_TOKEN },
      assets: env.ASSETS,
    },
  };
}
