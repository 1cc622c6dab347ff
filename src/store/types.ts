/**
 * Storage interfaces the authority depends on. Implementations live beside
 * this file (secrets today; KV and D1 as they are added).
 */
import type { IssuerCount } from "../pki/ca-status.ts";
import type { NamePolicy } from "../pki/name-policy.ts";
import type { Scope } from "../config/grant.ts";
import type { KeyLocation } from "../config/oidc-trust.ts";

// Scopes are configuration vocabulary (API_TOKENS, OIDC_TRUST); re-exported for the layers that check them.
export { SCOPES, type Scope } from "../config/grant.ts";

/**
 * The authenticated caller, however it authenticated: an API token (by its
 * name) or an OIDC token (by its trust policy's name and the token's `sub`).
 * Routes and use cases see only this.
 */
export interface Principal {
  /** The token's name, or the OIDC trust policy's name. Keys the ledger, audit trail and idempotency keys. */
  name: string;
  scopes: ReadonlySet<Scope>;
  policy: NamePolicy;
  /** Ceiling on certificate lifetime, below the service maximum. */
  maxTtlSeconds: number | undefined;
  /** The OIDC token's `sub` (e.g. repo:org/infra:ref:refs/heads/main); undefined for API tokens. */
  subject?: string | undefined;
  /** OIDC: the claim values that filled the trust policy's `{claim}` placeholders (an ACME account freezes them). */
  placeholders?: Readonly<Record<string, string>> | undefined;
}

/** An API token as stored: never the token itself, only its SHA-256. */
export type TokenRecord = Principal;

export interface TokenStore {
  /** Finds the token whose SHA-256 equals `hash`, comparing in constant time. */
  findByHash(hash: Uint8Array): Promise<TokenRecord | null>;
  /** Every token's name (OIDC trust policies may not reuse one). */
  readonly names: readonly string[];
}

/** Who holds a record: a token's or trust policy's name, and the OIDC `sub` (null for API tokens). */
export interface PrincipalId {
  name: string;
  subject: string | null;
}

/** A JWS protected header's fields that choose the verification key. */
export interface KeyHint {
  alg: string;
  kid: string | undefined;
}

/** Where an OIDC issuer's keys come from (an OIDC_TRUST policy's, as configured). */
export type { KeyLocation } from "../config/oidc-trust.ts";

export type KeyLookup =
  /** Usually one key; several when the token names no kid and the set has several of its type (each is tried). */
  | { ok: true; keys: CryptoKey[] }
  | { ok: false; reason: "unknown_key" | "alg_mismatch" }
  /** Neither fresh nor usable stale keys: the issuer (or its discovery) could not be reached or answered badly. */
  | { ok: false; reason: "unavailable"; detail: string; retryAfterSeconds: number };

/** An issuer's verification keys, fetched and cached per isolate (src/store/oidc-keys.ts). */
export interface OidcKeySource {
  key(location: KeyLocation, hint: KeyHint, nowMs: number): Promise<KeyLookup>;
}

/** A certificate as recorded in the ledger. Never holds a private key. */
export interface CertificateRecord {
  serial: string;
  sha256_fingerprint: string;
  pem: string;
  hostnames: string[];
  usage: string[];
  key_algorithm: string;
  key_source: "generated" | "csr";
  not_before: string;
  not_after: string;
  issuer_fingerprint: string;
  token_name: string;
  /** The OIDC caller's `sub`; null for API tokens. */
  principal_subject: string | null;
  request_id: string;
  created_at: string;
  revoked_at: string | null;
  revocation_reason: string | null;
  /**
   * The serial of the later certificate that renewed this one (it stays valid): the one that named it in
   * `replaces`, or, recorded without `replaces`, a later one of the same principal with the same names and usage.
   */
  renewed_by: string | null;
  /** When that renewal was recorded. */
  renewed_at: string | null;
  /** The predecessor this certificate was issued to replace (`replaces`, RFC 9773 §5); null or absent when none was named. */
  replaces?: string | null | undefined;
  /** The ACME account that obtained it (RFC 8555 finalize); null or absent for the /v1 API. */
  acme_account_id?: string | null;
}

/** `replay`: an Idempotency-Key handed out a recorded certificate (and its private key, when one was generated) again. */
export const AUDIT_EVENTS = ["issue", "sign", "revoke", "refused", "alert", "replay", "acme_eab", "acme_deactivate"] as const;
export type AuditEventKind = (typeof AUDIT_EVENTS)[number];

export interface AuditEvent {
  at: string;
  event: AuditEventKind;
  outcome: "success" | "failure";
  status: number;
  code: string | null;
  token_name: string | null;
  principal_subject: string | null;
  client_address: string | null;
  method: string;
  path: string;
  serial: string | null;
  request_id: string;
  /**
   * What the event acted on beyond the serial, as `key=value` pairs separated by spaces:
   * `acme_account=<id>` (the ACME account that obtained, revoked or was deactivated),
   * `kid=<kid>` (an EAB credential; never its HMAC key), `by=certificate_key`. Null otherwise.
   */
  detail?: string | null;
}

export interface AuditRecord extends AuditEvent {
  id: number;
  /** How many requests the row stands for: 1, or more for counted refusals (AuditLog.countRefusal). */
  count: number;
}

export type CertificateStatus = "active" | "revoked" | "expired";

export interface CertificateQuery {
  /** Exact name, or ".suffix" for every name below a domain. */
  hostname?: string | undefined;
  status?: CertificateStatus | undefined;
  /** RFC 3339: only certificates that are active and expire at or before this time. */
  expiringBefore?: string | undefined;
  token?: string | undefined;
  /** true: only certificates a later one renewed; false: only those not renewed. */
  renewed?: boolean | undefined;
  subject?: string | undefined;
  /** Keyset cursor: rows strictly after this (created_at, serial) in newest-first order. */
  after?: { created_at: string; serial: string } | undefined;
  limit: number;
  now: string;
}

export interface AuditQuery {
  since?: string | undefined;
  until?: string | undefined;
  token?: string | undefined;
  subject?: string | undefined;
  /** Rows with id below this (newest first). */
  beforeId?: number | undefined;
  limit: number;
}

export interface RevokedEntry {
  serial: string;
  revoked_at: string;
  revocation_reason: string;
}

/** The issuance ledger. Writes are atomic with their audit event. */
/** ExecutionContext.waitUntil, where there is one. */
export type KeepAlive = (work: Promise<unknown>) => void;

/**
 * Certificates by lifecycle state, disjoint: revoked (whatever its dates); expired (not revoked,
 * past notAfter); renewed (neither, and a later certificate with its names and usage was recorded);
 * active (none of these).
 */
export interface CertificateStateCounts {
  active: number;
  renewed: number;
  revoked: number;
  expired: number;
}

/** Running totals per token and key source (edgeca_issued_total, edgeca_revoked_total). */
export interface IssuanceTotal {
  token_name: string;
  key_source: "generated" | "csr";
  issued: number;
  revoked: number;
}

/** An at-risk certificate: active, not renewed, expiring within a window. */
export interface AtRiskCertificate {
  serial: string;
  hostnames: string[];
  not_after: string;
  token_name: string;
  /** The OIDC caller's `sub` (which pipeline or workload of the trust policy to chase); null for API tokens. */
  principal_subject: string | null;
  /** The leaf PEM (its subject CN is not a column). */
  pem: string;
}

export interface LifecycleQuery {
  now: string;
  /** Cutoffs (RFC 3339): how many at-risk certificates expire by each. */
  atRiskBefore: string[];
  /** The at-risk certificates expiring by this time, soonest first, at most `limit`. */
  listBefore: string;
  limit: number;
}

export interface LifecycleSnapshot {
  states: CertificateStateCounts;
  /** One count per LifecycleQuery.atRiskBefore cutoff. */
  atRisk: number[];
  /** The soonest notAfter of an active, unrenewed certificate, whatever the window. */
  nextExpiry: string | null;
  soonest: AtRiskCertificate[];
  totals: IssuanceTotal[];
}

/**
 * An issuing CA as the ledger matches it: the certificate's fingerprint and, when known, the CA's
 * identity (src/pki/certificate-authority.ts issuerIdentity: subject and key), which also matches the
 * leaves it issued under an earlier certificate with the same subject and key.
 */
export interface IssuerRef {
  fingerprint: string;
  identity: string | null;
}

export interface Ledger {
  /**
   * Records a certificate with its audit event; resolves once both are durable.
   * `keepAlive` (ExecutionContext.waitUntil) keeps the write alive past a client disconnect.
   * `acme`: an ACME finalize's state change, in the same transaction; LedgerWriteRefused when its conditions fail.
   */
  record(certificate: CertificateRecord, audit: AuditEvent, keepAlive?: KeepAlive, acme?: AcmeFinalizeWrite): Promise<void>;
  get(serial: string): Promise<CertificateRecord | null>;
  list(query: CertificateQuery): Promise<CertificateRecord[]>;
  /** Marks a certificate revoked if it is not yet; returns the record as it is afterwards. */
  revoke(serial: string, reason: string, at: string, audit: AuditEvent): Promise<CertificateRecord | null>;
  /** Revoked, unexpired certificates of one issuing CA (for its CRL): its certificate's and every other certificate's of the same identity. */
  revoked(issuer: IssuerRef, now: string): Promise<RevokedEntry[]>;
  /**
   * Whether the certificate `serial` of this issuer (or another certificate of its identity) was revoked, and when.
   * May answer from a per-isolate snapshot at most REVOCATION_SNAPSHOT_MS old; a revocation in this isolate is seen at once.
   */
  revocation(issuer: IssuerRef, serial: string): Promise<Omit<RevokedEntry, "serial"> | null>;
  /** Per issuing CA certificate, the certificates active at `now` (not revoked, not expired), renewed ones counted apart; issuers with none are left out. */
  activeByIssuer(now: string): Promise<IssuerCount[]>;
  /** Remembers that the CA certificate `fingerprint` has `identity` (once per isolate and certificate; idempotent). */
  registerIssuer(issuer: IssuerRef & { identity: string }): Promise<void>;
  /** Every CA certificate registered so far with its identity (a handful of rows). */
  issuerIdentities(): Promise<{ fingerprint: string; identity: string }[]>;
  /** Everything /metrics reports about certificates, read through indexes in one round trip. */
  lifecycle(query: LifecycleQuery): Promise<LifecycleSnapshot>;
}

/** Which at-risk certificates were alerted on which UTC day (each at most once a day). */
export interface ExpiryAlertLog {
  /** At-risk certificates expiring by `before` not yet alerted on `day` (YYYY-MM-DD), soonest first. */
  due(query: { now: string; before: string; day: string; limit: number }): Promise<AtRiskCertificate[]>;
  markAlerted(serials: string[], day: string, at: string): Promise<void>;
  /** Forgets days before `day` (housekeeping). */
  purgeBefore(day: string): Promise<void>;
}

/** One expiry alert: a readable `text` (Slack, Mattermost and Teams incoming webhooks show it) and the data. */
export interface ExpiryAlert {
  text: string;
  /** `principal`: the token's or OIDC trust policy's name; `subject`: the OIDC caller's `sub`, only for OIDC callers. */
  certificates: { serial: string; names: string[]; not_after: string; principal: string; subject?: string; days_left: number }[];
}

/** How a delivery went: the receiver's HTTP status when it answered (null when it did not), and why it failed, in words safe to log (never the URL). */
export type AlertDelivery = { ok: true; status: number } | { ok: false; status: number | null; reason: string };

/** Where expiry alerts go (a webhook). */
export interface AlertSink {
  deliver(alert: ExpiryAlert): Promise<AlertDelivery>;
}

export interface AuditLog {
  append(event: AuditEvent, keepAlive?: KeepAlive): Promise<void>;
  /**
   * Records a refusal with no principal by counting it: one row per client
   * address, status, code and minute, its `count` raised for each further
   * one (the row keeps the first request's time, path and request id).
   */
  countRefusal(event: AuditEvent): Promise<void>;
  /** Deletes events older than `before` (retention). */
  purgeBefore(before: string): Promise<void>;
  list(query: AuditQuery): Promise<AuditRecord[]>;
}

export interface IdempotencyRecord {
  token_name: string;
  /** The OIDC `sub`, or "" for API tokens (part of the key). */
  principal_subject: string;
  key: string;
  request_hash: string;
  state: "pending" | "done";
  serial: string | null;
  sealed_key: string | null;
  created_at: string;
  expires_at: string;
}

export interface IdempotencyStore {
  /** Inserts a pending claim; returns null when claimed, else the existing record. */
  claim(record: IdempotencyRecord): Promise<IdempotencyRecord | null>;
  complete(owner: PrincipalId, key: string, serial: string, sealedKey: string | null): Promise<void>;
  release(owner: PrincipalId, key: string): Promise<void>;
  /** Takes over a pending claim whose holder is presumed dead (its created_at is unchanged); returns whether it did. */
  takeOver(record: IdempotencyRecord, previousCreatedAt: string): Promise<boolean>;
  get(owner: PrincipalId, key: string): Promise<IdempotencyRecord | null>;
  /** Deletes expired keys (and the sealed private keys with them). */
  purgeExpired(now: string): Promise<void>;
}

export interface CrlState {
  issuer_fingerprint: string;
  crl_number: number;
  revision: number;
  built_revision: number;
  der: Uint8Array | null;
  this_update: string | null;
  next_update: string | null;
}

export interface CrlStore {
  get(issuerFingerprint: string): Promise<CrlState | null>;
  /** Stores a newly built CRL if nobody else stored number `crlNumber` first; returns whether it did. */
  save(state: CrlState, previousNumber: number | null): Promise<boolean>;
}

/** The Workers rate-limiting binding (wrangler.toml [[ratelimits]]), as configured. */
export type { RateLimiter } from "../config/http.ts";

/**
 * Who an ACME account acts for, frozen at binding: an API token by its name
 * and SHA-256 (rotating the token ends its accounts), or an OIDC trust policy
 * with the caller's `sub` and placeholder values, until `expires_at`.
 */
export type AcmePrincipalBinding =
  | { kind: "token"; name: string; sha256: string }
  | {
      kind: "oidc";
      policy: string;
      /** The policy's issuer and key source (TrustPolicy.keySource) at binding: a policy name reused for another cluster does not carry the account over. */
      issuer: string;
      key_source: string;
      subject: string;
      placeholders: Record<string, string>;
      expires_at: string;
    };

export interface AcmeEabRecord {
  kid: string;
  binding: AcmePrincipalBinding;
  created_at: string;
  expires_at: string;
  spent_at: string | null;
  account_id: string | null;
}

export interface AcmeAccountRecord {
  id: string;
  thumbprint: string;
  /** The public account key (JWK, RFC 7517). */
  jwk: Record<string, string>;
  status: "valid" | "deactivated";
  contact: string[];
  binding: AcmePrincipalBinding;
  eab_kid: string;
  created_at: string;
  expires_at: string | null;
  deactivated_at: string | null;
}

export interface AcmeOrderRecord {
  id: string;
  account_id: string;
  /** As stored; an expired or de-authorized ready order reads as invalid (src/authority/acme/orders.ts). */
  status: "ready" | "processing" | "valid" | "invalid";
  identifiers: { type: "dns" | "ip"; value: string }[];
  not_before: string | null;
  not_after: string | null;
  expires_at: string;
  created_at: string;
  certificate_serial: string | null;
  /** Why the order became invalid (wire-safe text). */
  error: string | null;
  /** RFC 9773 §5: the certID of the certificate this order replaces; null or absent when none. */
  replaces?: string | null | undefined;
  /** SHA-256 (hex) of the CSR DER that produced the certificate (migrations/0010), for an idempotent finalize retry. */
  csr_sha256?: string | null | undefined;
}

/** A verified request's nonce (RFC 8555 §6.5), spent in the transaction of the request's state change when it has one. */
export interface PendingNonce {
  value: string;
  expiresAt: string;
  /** Set once it is recorded as spent (by the state change's transaction, or alone). */
  spent: boolean;
  /**
   * The request was verified with a per-isolate copy of the account: the nonce is spent only if the
   * stored account is still valid with this key and binding (JSON, as stored), in the same transaction
   * (AccountChanged otherwise, nothing written).
   */
  account?: { id: string; thumbprint: string; binding: string } | undefined;
}

/** A guarded nonce (PendingNonce.account) found its account deactivated or re-keyed: nothing was written; verify again from storage. */
export class AccountChanged extends Error {
  constructor() {
    super("the account changed since this isolate read it");
    this.name = "AccountChanged";
  }
}

/**
 * An ACME finalize's state change, written in the one transaction that records its certificate
 * (src/store/d1.ts): the nonce spent, the order ready → valid with the serial, if the account
 * still has this key and is valid. Otherwise nothing of the transaction lands (LedgerWriteRefused).
 */
export interface AcmeFinalizeWrite {
  nonce: string;
  nonceExpiresAt: string;
  orderId: string;
  accountId: string;
  thumbprint: string;
  /** The account's binding (JSON, as stored) when the request used a per-isolate copy of the account (PendingNonce.account). */
  binding?: string | undefined;
  csrSha256: string;
  now: string;
}

/** A guarded ledger write (AcmeFinalizeWrite) that storage refused as a whole: nothing was recorded. */
export class LedgerWriteRefused extends Error {
  constructor(readonly reason: "nonce_spent" | "order_not_ready") {
    super(reason === "nonce_spent" ? "the nonce was already spent" : "the order is no longer ready");
    this.name = "LedgerWriteRefused";
  }
}

export interface AcmeAuthorizationRecord {
  id: string;
  order_id: string;
  account_id: string;
  identifier: { type: "dns" | "ip"; value: string };
  wildcard: boolean;
  status: "valid" | "deactivated";
  expires_at: string;
}

/** ACME state (migrations/0008_acme.sql). */
export interface AcmeStore {
  /** Records a nonce as spent; false when it already was (a replay); AccountChanged when its guard (PendingNonce.account) fails. */
  spendNonce(nonce: string, expiresAt: string, account?: PendingNonce["account"]): Promise<boolean>;
  createEab(record: AcmeEabRecord): Promise<void>;
  eab(kid: string): Promise<AcmeEabRecord | null>;
  /**
   * Spends the EAB kid and creates the account in one transaction: "eab_unusable" when the kid was
   * spent or expired meanwhile, "key_taken" when the key already has an account (nothing changes then).
   */
  createAccount(account: AcmeAccountRecord, now: string): Promise<"created" | "eab_unusable" | "key_taken">;
  account(id: string): Promise<AcmeAccountRecord | null>;
  accountByThumbprint(thumbprint: string): Promise<AcmeAccountRecord | null>;
  setContact(id: string, contact: string[]): Promise<void>;
  deactivateAccount(id: string, at: string): Promise<boolean>;
  /** Replaces the key if it is still `oldThumbprint`; "key_taken" when another account has the new key. */
  changeKey(id: string, oldThumbprint: string, thumbprint: string, jwk: Record<string, string>): Promise<"changed" | "key_taken" | "stale">;
  /** Newest first, after the (created_at, id) cursor. */
  listAccounts(limit: number, after?: { created_at: string; id: string }): Promise<AcmeAccountRecord[]>;
  /** Writes the order and its authorizations, spending `nonce` in the same transaction (a replay: AcmeProblem badNonce, nothing written). */
  createOrder(order: AcmeOrderRecord, authorizations: AcmeAuthorizationRecord[], nonce?: PendingNonce): Promise<void>;
  /** The account, and the order with its authorizations (null when no such order), in one read. */
  accountWithOrder(accountId: string, orderId: string): Promise<{ account: AcmeAccountRecord | null; order: AcmeOrderRecord | null; authorizations: AcmeAuthorizationRecord[] }>;
  /** Spends a guarded nonce and reads the order with its authorizations, or a certificate, in one transaction (badNonce, AccountChanged). */
  spendNonceAndRead(nonce: PendingNonce, what: { order: string } | { certificate: string }): Promise<{ order: AcmeOrderRecord | null; authorizations: AcmeAuthorizationRecord[] } | { certificate: Pick<CertificateRecord, "pem" | "issuer_fingerprint" | "acme_account_id"> | null }>;
  /** The account, and what a download needs of a certificate (null when no such serial), in one read. */
  accountWithCertificate(accountId: string, serial: string): Promise<{ account: AcmeAccountRecord | null; certificate: Pick<CertificateRecord, "pem" | "issuer_fingerprint" | "acme_account_id"> | null }>;
  /** An order, ready or processing and unexpired at `now`, that names `certId` in replaces (RFC 9773 §5); null when none. */
  pendingReplacement(certId: string, now: string): Promise<string | null>;
  order(id: string): Promise<AcmeOrderRecord | null>;
  /**
   * The account's orders that are not invalid as of `now` (RFC 8555 §7.1.2.1: valid ones, and ready or
   * processing ones unexpired with every authorization valid), newest first, after the cursor when given.
   */
  ordersOf(accountId: string, limit: number, now: string, after?: { created_at: string; id: string }): Promise<{ id: string; created_at: string }[]>;
  authorizationsOf(orderId: string): Promise<AcmeAuthorizationRecord[]>;
  authorization(id: string): Promise<AcmeAuthorizationRecord | null>;
  deactivateAuthorization(id: string): Promise<void>;
  /** ready (or processing, from before finalize wrote in one transaction) → invalid with why: the principal's policy no longer allows it. */
  invalidateOrder(id: string, error: string): Promise<void>;
  /** Deletes spent nonces, EAB kids, orders and authorizations past their expiry. */
  purgeExpired(now: string): Promise<void>;
}
