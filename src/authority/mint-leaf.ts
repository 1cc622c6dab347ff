/**
 * The shared tail of issuing and signing: compute validity, reserve a serial,
 * sign, parse the result back and check it against the profile, and package
 * the PEM bundle. Nothing leaves that failed the self-check.
 */
import type { Config } from "../config.ts";
import { ApiError } from "../errors.ts";
import { sha256Hex } from "../pki/bytes.ts";
import type { CertificateAuthority } from "../pki/certificate-authority.ts";
import { formatDuration } from "../pki/duration.ts";
import type { PublicKeyAlgorithm } from "../pki/keys.ts";
import { checkLeafCertificate, signLeafCertificate, type LeafTemplate, type Usage } from "../pki/leaf-profile.ts";
import type { SubjectName } from "../pki/names.ts";
import { encodePem } from "../pki/pem.ts";
import { computeValidity, randomSerialNumber } from "../pki/validity.ts";
import { LedgerWriteRefused, type AcmeFinalizeWrite, type AuditEvent, type KeepAlive, type Ledger } from "../store/types.ts";
import { isReplacesConflict, replacesError } from "./replaces.ts";

/** Who asked, for the ledger and the audit trail. */
export interface RequestMeta {
  requestId: string;
  /** The token's or trust policy's name. */
  tokenName: string;
  /** The OIDC caller's `sub`; null for API tokens. */
  subject: string | null;
  clientAddress: string | null;
  method: string;
  path: string;
  /** The ACME account on whose finalize or revokeCert this runs (recorded with the certificate, and in the audit detail). */
  acmeAccountId?: string | undefined;
  /** Further audit detail (AuditEvent.detail), e.g. `by=certificate_key`. */
  auditDetail?: string | undefined;
}

export interface AuthorityContext {
  ca: CertificateAuthority;
  config: Config;
  now: Date;
  ledger: Ledger;
  request: RequestMeta;
  /** Keeps a ledger write alive if the client goes away (ExecutionContext.waitUntil). */
  keepAlive?: KeepAlive | undefined;
  /** An ACME finalize's state change, recorded in the certificate's transaction (refused: LedgerWriteRefused, nothing recorded). */
  acmeFinalize?: AcmeFinalizeWrite | undefined;
}

export function auditEvent(ctx: { now: Date; request: RequestMeta }, event: AuditEvent["event"], status: number, serial: string | null): AuditEvent {
  return {
    at: ctx.now.toISOString(),
    event,
    outcome: status < 400 ? "success" : "failure",
    status,
    code: null,
    token_name: ctx.request.tokenName,
    principal_subject: ctx.request.subject,
    client_address: ctx.request.clientAddress,
    method: ctx.request.method,
    path: ctx.request.path,
    serial,
    request_id: ctx.request.requestId,
    detail: [ctx.request.acmeAccountId ? `acme_account=${ctx.request.acmeAccountId}` : "", ctx.request.auditDetail ?? ""].filter(Boolean).join(" ") || null,
  };
}

/** A signed certificate with everything a caller needs to install it. */
export interface IssuedCertificate {
  serialNumber: string;
  /** The leaf alone. */
  certificate: string;
  /** tls.crt: the leaf followed by intermediates. */
  chain: string;
  /** tls.key, when edgeca generated the key. */
  privateKey?: string | undefined;
  /** ca.crt: the trust bundle. */
  ca: string;
  notBefore: Date;
  notAfter: Date;
  sha256Fingerprint: string;
  hostnames: string[];
  keyAlgorithm: PublicKeyAlgorithm;
  usages: Usage[];
}

export interface LeafRequest {
  names: SubjectName[];
  commonName: string | undefined;
  usages: Usage[];
  ttlSeconds: number;
  publicKey: Uint8Array;
  publicKeyAlgorithm: PublicKeyAlgorithm;
  keySource: "generated" | "csr";
  /** The predecessor this certificate replaces (checked by checkReplaces): the ledger marks exactly that one renewed. */
  replaces?: string | undefined;
}

/** A serial collision (2^-128 odds, but the constraint is what makes uniqueness a fact). */
function isSerialCollision(e: unknown): boolean {
  return e instanceof Error && /UNIQUE constraint failed: certificates\.serial/.test(e.message);
}

/**
 * Signs, self-checks and records a leaf. The record (with its audit event)
 * is written before anything is returned: a certificate the ledger does not
 * hold is never handed out (503 ledger_unavailable instead).
 */
export async function mintLeaf(ctx: AuthorityContext, req: LeafRequest): Promise<Omit<IssuedCertificate, "privateKey">> {
  for (let attempt = 0; ; attempt++) {
    const issued = await signLeaf(ctx, req);
    try {
      // Once per isolate and CA certificate: which CA identity this fingerprint is (migrations/0009), so the
      // CA re-certified with the same subject and key still lists and finds this leaf's revocation.
      await ctx.ledger.registerIssuer({ fingerprint: ctx.ca.fingerprint, identity: ctx.ca.identity });
      await ctx.ledger.record(
        {
          serial: issued.serialNumber,
          sha256_fingerprint: issued.sha256Fingerprint,
          pem: issued.certificate,
          hostnames: issued.hostnames,
          usage: issued.usages,
          key_algorithm: issued.keyAlgorithm,
          key_source: req.keySource,
          not_before: issued.notBefore.toISOString(),
          not_after: issued.notAfter.toISOString(),
          issuer_fingerprint: ctx.ca.fingerprint,
          token_name: ctx.request.tokenName,
          principal_subject: ctx.request.subject,
          request_id: ctx.request.requestId,
          created_at: ctx.now.toISOString(),
          revoked_at: null,
          revocation_reason: null,
          renewed_by: null,
          renewed_at: null,
          replaces: req.replaces ?? null,
          acme_account_id: ctx.request.acmeAccountId ?? null,
        },
        auditEvent(ctx, req.keySource === "csr" ? "sign" : "issue", 201, issued.serialNumber),
        ctx.keepAlive,
        ctx.acmeFinalize,
      );
      return issued;
    } catch (e) {
      if (isSerialCollision(e) && attempt < 2) continue;
      // The ACME order or nonce refused the transaction: nothing was recorded; the caller answers why.
      if (e instanceof LedgerWriteRefused) throw e;
      // Another request replaced the same predecessor between our check and our write: nothing was recorded or handed out.
      if (req.replaces !== undefined && isReplacesConflict(e)) {
        const by = (await ctx.ledger.get(req.replaces))?.renewed_by ?? "a concurrent request";
        throw replacesError({ reason: "already_replaced", serial: req.replaces, by });
      }
      console.error(JSON.stringify({ level: "error", request_id: ctx.request.requestId, error: `ledger write failed: ${e instanceof Error ? e.message : String(e)}` }));
      throw new ApiError("ledger_unavailable", "the issuance could not be recorded, so no certificate was issued; retry later (with the same Idempotency-Key)", { headers: { "Retry-After": "5" } });
    }
  }
}

async function signLeaf(ctx: AuthorityContext, req: LeafRequest): Promise<Omit<IssuedCertificate, "privateKey">> {
  const validity = computeValidity(ctx.now, req.ttlSeconds, ctx.ca);
  if (!validity.ok) {
    const { caNotAfter, latestTtlSeconds } = validity.error;
    throw new ApiError(
      "ca_validity_exceeded",
      `the issuing CA expires at ${caNotAfter.toISOString()}; ask for a ttl of at most ${formatDuration(latestTtlSeconds)}, or rotate the CA`,
      { extensions: { ca_not_after: caNotAfter.toISOString() }, errors: [{ pointer: "/ttl", detail: `at most ${formatDuration(latestTtlSeconds)}` }] },
    );
  }
  const template: LeafTemplate = {
    serialNumber: randomSerialNumber(),
    names: req.names,
    commonName: req.commonName,
    usages: req.usages,
    publicKey: req.publicKey,
    publicKeyAlgorithm: req.publicKeyAlgorithm,
    notBefore: validity.value.notBefore,
    notAfter: validity.value.notAfter,
    crlDistributionPoint: ctx.config.publicUrl ? crlDistributionPoint(ctx.config.publicUrl, ctx.ca.fingerprint) : undefined,
  };
  const der = await signLeafCertificate(ctx.ca, template);
  const problems = await checkLeafCertificate(der, ctx.ca, template);
  if (problems.length > 0) {
    // A bug in edgeca, never the caller's fault: log what deviated, hand out nothing.
    throw new Error(`issued certificate failed the profile self-check: ${problems.join("; ")}`);
  }
  const certificate = encodePem("CERTIFICATE", der);
  return {
    serialNumber: toSerialHex(template.serialNumber),
    certificate,
    chain: certificate + ctx.ca.chainPem,
    ca: ctx.ca.trust.pem,
    notBefore: new Date(Math.floor(template.notBefore.getTime() / 1000) * 1000),
    notAfter: new Date(Math.floor(template.notAfter.getTime() / 1000) * 1000),
    sha256Fingerprint: await sha256Hex(der),
    hostnames: req.names.map((n) => n.value),
    keyAlgorithm: req.publicKeyAlgorithm,
    usages: req.usages,
  };
}

/**
 * The CRL of the CA that signed the certificate, named by that CA's fingerprint, so the URL
 * stays right after a rotation switches /v1/crl to the next CA (RFC 5280 §4.2.1.13: the DP
 * must lead to a CRL of the certificate's issuer).
 */
export function crlDistributionPoint(publicUrl: string, issuerFingerprint: string): string {
  return `${publicUrl}/v1/crl?issuer=${issuerFingerprint}`;
}

function toSerialHex(serial: Uint8Array): string {
  return Array.from(serial, (b) => b.toString(16).padStart(2, "0")).join("");
}
