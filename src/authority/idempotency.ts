/**
 * Idempotent issuance (the Idempotency-Key header, as in Stripe's API and
 * draft-ietf-httpapi-idempotency-key-header): the same key with the same
 * request within 24 h returns the same certificate — for generated keys the
 * same private key, kept only sealed under STORE_KEY and deleted with the
 * key record; a different request under the same key is 422; concurrent
 * requests with one key mint one certificate.
 */
import { ApiError } from "../errors.ts";
import { seal, unseal } from "../store/sealed.ts";
import type { AuditLog, CertificateRecord, IdempotencyStore, KeepAlive, Ledger, PrincipalId } from "../store/types.ts";
import { auditEvent, type IssuedCertificate, type RequestMeta } from "./mint-leaf.ts";
import type { CertificateAuthority } from "../pki/certificate-authority.ts";
import type { PublicKeyAlgorithm } from "../pki/keys.ts";
import type { Usage } from "../pki/leaf-profile.ts";

export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
/** A pending claim older than this is presumed dead (its isolate stopped mid-issuance) and may be taken over. */
export const PENDING_LEASE_MS = 60_000;
const WAIT_STEP_MS = 50;
/** A replay answers as the first request did: 201 Created (both issuing routes). */
const REPLAY_STATUS = 201;
const WAIT_LIMIT_MS = 10_000;

export interface IdempotencyContext {
  store: IdempotencyStore;
  ledger: Ledger;
  /** Every replay is recorded: it hands out a certificate, and possibly its private key, once more. */
  audit: AuditLog;
  request: RequestMeta;
  keepAlive?: KeepAlive | undefined;
  /** The issuing CA (its trust bundle goes with every answer). */
  ca: CertificateAuthority;
  /**
   * The configured CA (issuing or, after a rotation's switch, previous) that signed the certificate, by
   * fingerprint or identity (issuerOfRecord): a replay carries the chain of that CA, which need not be
   * today's issuing one, nor the certificate of it that signed (a re-certified CA keeps its leaves).
   */
  issuerOf: (record: CertificateRecord) => Promise<CertificateAuthority | undefined>;
  /** STORE_KEY's 32 bytes, which seal generated keys kept for replays. */
  storeKey: Uint8Array | undefined;
  /** The caller: its token or trust policy name, and its OIDC subject. */
  owner: PrincipalId;
  key: string;
  requestHash: string;
  now: Date;
  /** Whether the response includes a generated private key that must be kept for replays. */
  generatesKey: boolean;
  /** Re-applies the caller's current name policy to a replayed certificate's names (throws when refused). */
  authorizeReplay: (hostnames: string[]) => void;
}

/** Rebuilds the issued certificate from its ledger record (and the sealed key). */
async function replay(ctx: IdempotencyContext, serial: string, sealedKey: string | null): Promise<IssuedCertificate> {
  const record = await ctx.ledger.get(serial);
  if (!record) throw new Error(`idempotency key refers to serial ${serial}, which the ledger does not hold`);
  // A replay is a new hand-out: the token's policy may have narrowed, and the certificate may have been revoked.
  ctx.authorizeReplay(record.hostnames);
  if (record.revoked_at !== null) {
    throw new ApiError("already_revoked", `the certificate issued for this Idempotency-Key (serial ${serial}) was revoked at ${record.revoked_at}; send a new key for a new certificate`, {
      extensions: { revoked_at: record.revoked_at, revocation_reason: record.revocation_reason },
    });
  }
  const issuer = await ctx.issuerOf(record);
  if (!issuer) {
    // Its issuing CA left the configuration (retired): no chain to send with it, and a leaf with another CA's chain does not verify.
    throw new ApiError("idempotency_key_reused", `the certificate issued for this Idempotency-Key (serial ${serial}) was signed by a CA that is no longer configured; send a new key for a new certificate`);
  }
  const privateKey = sealedKey && ctx.storeKey ? await unseal(ctx.storeKey, sealedKey, sealContext(ctx, serial)) : undefined;
  return fromRecord(record, issuer, ctx.ca, privateKey);
}

/** The answer for a recorded certificate: its issuer's chain in tls.crt, today's trust bundle in ca.crt. */
export function fromRecord(record: CertificateRecord, issuer: CertificateAuthority, current: CertificateAuthority, privateKey?: string): IssuedCertificate {
  return {
    serialNumber: record.serial,
    certificate: record.pem,
    chain: record.pem + issuer.chainPem,
    privateKey,
    ca: current.trust.pem,
    notBefore: new Date(record.not_before),
    notAfter: new Date(record.not_after),
    sha256Fingerprint: record.sha256_fingerprint,
    hostnames: record.hostnames,
    keyAlgorithm: record.key_algorithm as PublicKeyAlgorithm,
    usages: record.usage as Usage[],
  };
}

function sealContext(ctx: IdempotencyContext, serial: string): string {
  // A token's context is unchanged from before OIDC callers existed, so keys sealed then still open.
  const holder = ctx.owner.subject === null ? ctx.owner.name : `${ctx.owner.name}\n${ctx.owner.subject}`;
  return `edgeca idempotency\n${holder}\n${ctx.key}\n${serial}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `mint` at most once per (token, key, request); replays its result otherwise. */
export async function withIdempotency(ctx: IdempotencyContext, mint: () => Promise<IssuedCertificate>): Promise<{ issued: IssuedCertificate; replayed: boolean }> {
  if (ctx.generatesKey && !ctx.storeKey) {
    throw new ApiError("config_invalid", "STORE_KEY is not set: idempotent issuance with a generated key needs it to keep the key encrypted for 24 h");
  }
  const nowIso = ctx.now.toISOString();
  await ctx.store.purgeExpired(nowIso);
  const claim = {
    token_name: ctx.owner.name,
    principal_subject: ctx.owner.subject ?? "",
    key: ctx.key,
    request_hash: ctx.requestHash,
    state: "pending" as const,
    serial: null,
    sealed_key: null,
    created_at: nowIso,
    expires_at: new Date(ctx.now.getTime() + IDEMPOTENCY_TTL_MS).toISOString(),
  };
  const existing = await ctx.store.claim(claim);
  const stale = (r: { state: string; created_at: string }) => r.state === "pending" && ctx.now.getTime() - Date.parse(r.created_at) > PENDING_LEASE_MS;
  let owned = existing === null;
  // A claim left pending by a request that died is taken over, or the key would be stuck for 24 h.
  if (existing !== null && existing.request_hash === ctx.requestHash && stale(existing)) owned = await ctx.store.takeOver(claim, existing.created_at);

  if (owned) {
    let issued: IssuedCertificate;
    try {
      issued = await mint();
    } catch (e) {
      // Nothing was issued: free the key so a retry can run.
      await ctx.store.release(ctx.owner, ctx.key).catch(() => undefined);
      throw e;
    }
    const sealed = issued.privateKey && ctx.storeKey ? await seal(ctx.storeKey, issued.privateKey, sealContext(ctx, issued.serialNumber)) : null;
    await ctx.store.complete(ctx.owner, ctx.key, issued.serialNumber, sealed);
    return { issued, replayed: false };
  }

  if (existing === null) throw new Error("unreachable: an unowned claim has a record");
  if (existing.request_hash !== ctx.requestHash) {
    throw new ApiError("idempotency_key_reused", "this Idempotency-Key was already used with a different request; use a new key for a new request");
  }
  // Another request with this key is in flight: wait for it rather than mint a second certificate.
  let record = existing;
  for (let waited = 0; record.state === "pending" && waited < WAIT_LIMIT_MS; waited += WAIT_STEP_MS) {
    await sleep(WAIT_STEP_MS);
    const next = await ctx.store.get(ctx.owner, ctx.key);
    if (!next) {
      throw new ApiError("idempotency_in_progress", "the earlier request with this Idempotency-Key failed; retry", { headers: { "Retry-After": "1" } });
    }
    record = next;
  }
  if (record.state === "pending" || !record.serial) {
    throw new ApiError("idempotency_in_progress", "a request with this Idempotency-Key is still being processed; retry shortly", { headers: { "Retry-After": "1" } });
  }
  const issued = await replay(ctx, record.serial, record.sealed_key);
  // Written before the answer leaves (a failed write fails the replay): a key is never handed out unrecorded.
  await ctx.audit.append(auditEvent(ctx, "replay", REPLAY_STATUS, issued.serialNumber), ctx.keepAlive);
  return { issued, replayed: true };
}
