/**
 * Response schemas, for the API description only (the worker renders
 * responses directly; the contract tests hold the two together by
 * validating real responses against openapi.yaml).
 */
import { z } from "zod";
import { ERROR_TABLE } from "../../errors.ts";
import { PATH_WARNING_CODES, PROFILE_FINDING_CODES } from "../../pki/path-validation.ts";
import { VERIFY_ERROR_CODES } from "../../authority/verify-chain.ts";
import { KEY_ALGORITHMS } from "../../pki/keys.ts";
import { PRODUCTS, PURPOSES } from "../../kuma/overrides.ts";
import { REVOCATION_REASONS } from "../../pki/crl.ts";
import { CA_ROLES } from "../../pki/certificate-authority.ts";
import { AUDIT_EVENTS } from "../../store/types.ts";

const ERROR_CODES = Object.keys(ERROR_TABLE) as [keyof typeof ERROR_TABLE, ...(keyof typeof ERROR_TABLE)[]];
const Time = z.string().meta({ format: "date-time", example: "2026-11-28T12:00:00.000Z" });
const Hex = z.string().regex(/^[0-9a-f]+$/);
const Pem = z.string().meta({ description: "PEM text", example: "-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----\n" });
const Usage = z.array(z.enum(["server", "client"]));

export const Problem = z
  .object({
    type: z.string().meta({ format: "uri" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.enum(ERROR_CODES),
    request_id: z.string(),
    errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
  })
  .catchall(z.unknown())
  .meta({ id: "Problem", description: "RFC 9457 problem details. `code` is stable; other members (e.g. `names`, `max_ttl`, `block`) add context." });

export const KumaSection = z
  .object({
    purpose: z.enum(PURPOSES),
    product: z.enum(PRODUCTS),
    secret: z.object({ name: z.string(), namespace: z.string() }),
    helm_values: z.string(),
    env: z.string(),
    warnings: z.array(z.string()),
  })
  .meta({ id: "KumaOverride", description: "What the chosen Kuma override needs: Secret, Helm values, Universal env, warnings" });

export const IssuedCertificate = z
  .object({
    serial_number: Hex,
    certificate: Pem,
    chain: Pem.meta({ description: "tls.crt: the leaf followed by intermediates, never the self-signed root" }),
    private_key: Pem.optional().meta({ description: "tls.key: PKCS#8 PEM, only when edgeca generated the key" }),
    ca: Pem.meta({ description: "ca.crt: the trust anchors" }),
    not_before: Time,
    not_after: Time,
    sha256_fingerprint: Hex,
    hostnames: z.array(z.string()),
    usage: Usage,
    key_algorithm: z.string().meta({ examples: [...KEY_ALGORITHMS] }),
    kuma: KumaSection.optional(),
  })
  .strict()
  .meta({ id: "IssuedCertificate" });

const Status = z.enum(["active", "revoked", "expired"]);

export const CertificateRecord = z
  .object({
    serial_number: Hex,
    status: Status,
    hostnames: z.array(z.string()),
    usage: Usage,
    key_algorithm: z.string(),
    key_source: z.enum(["generated", "csr"]),
    not_before: Time,
    not_after: Time,
    sha256_fingerprint: Hex,
    issuer_fingerprint: Hex,
    token_name: z.string().meta({ description: "the API token's name, or the OIDC trust policy's name" }),
    principal_subject: z.string().nullable().meta({ description: "the OIDC token's sub claim; null for API tokens" }),
    request_id: z.string(),
    created_at: Time,
    revoked_at: Time.nullable(),
    revocation_reason: z.enum(Object.keys(REVOCATION_REASONS) as [string, ...string[]]).nullable(),
    renewed_by: Hex.nullable().meta({
      description:
        "The serial of the later certificate that renewed this one (it stays valid until it expires): the one that named it in `replaces`, or one issued later to the same caller (token, or trust policy and OIDC sub) without `replaces` for exactly the same names and usage",
    }),
    renewed_at: Time.nullable().meta({ description: "When that renewal was recorded" }),
    replaces: Hex.nullable().meta({ description: "The serial of the certificate this one was issued to replace (`replaces` of the request); null when none was named" }),
    renewal_window: z
      .object({ start: Time, end: Time })
      .strict()
      .meta({
        description:
          "When to renew (RFC 9773 suggestedWindow, the same as GET /acme/renewal-info/{certID}): the last third of the lifetime; for a revoked certificate, or one issued by the previous CA (CA_PREVIOUS_CERT) during a rotation, a window wholly in the past (start now−2h, end now−1h): renew now. `edgeca renew` renews once `start` has passed",
      }),
    acme_account_id: z.string().nullable().optional().meta({ description: "The ACME account that obtained it (RFC 8555 finalize); null for the /v1 API" }),
    certificate: Pem.optional().meta({ description: "the leaf PEM (on GET by serial)" }),
  })
  .strict()
  .meta({ id: "CertificateRecord" });

export const CertificateList = z
  .object({ certificates: z.array(CertificateRecord), next_cursor: z.string().nullable() })
  .strict()
  .meta({ id: "CertificateList" });

export const AuditEvent = z
  .object({
    id: z.number().int(),
    at: Time,
    event: z.enum(AUDIT_EVENTS),
    outcome: z.enum(["success", "failure"]),
    status: z.number().int(),
    code: z.string().nullable(),
    token_name: z.string().nullable(),
    principal_subject: z.string().nullable(),
    client_address: z.string().nullable(),
    method: z.string(),
    path: z.string(),
    serial: z.string().nullable(),
    request_id: z.string(),
    detail: z
      .string()
      .nullable()
      .meta({ description: "What the event acted on beyond the serial: `acme_account=<id>` (the ACME account that obtained, revoked or was deactivated), `kid=<kid>` (an EAB credential, never its HMAC key), `by=certificate_key` (revoked with the certificate's own key)" }),
    count: z.number().int().min(1).meta({ description: "How many requests the event stands for: 1, or more for refusals without a principal, counted per client address, status, code and minute (the row keeps the first one's time, path and request id)" }),
  })
  .strict()
  .meta({ id: "AuditEvent" });

export const AuditList = z.object({ events: z.array(AuditEvent), next_cursor: z.string().nullable() }).strict().meta({ id: "AuditList" });

const ChainCertificate = z
  .object({
    role: z.enum(["leaf", "intermediate", "root"]),
    subject: z.string(),
    issuer: z.string(),
    serial_number: Hex,
    sha256_fingerprint: Hex,
    not_before: Time,
    not_after: Time,
    trust_anchor: z.boolean(),
  })
  .strict();

export const VerifyReport = z
  .object({
    valid: z.boolean(),
    errors: z.array(
      z
        .object({
          code: z.enum(VERIFY_ERROR_CODES as unknown as [string, ...string[]]),
          message: z.string(),
          index: z.number().int().nullable(),
          revoked_at: Time.optional(),
          revocation_reason: z.string().optional(),
        })
        .strict(),
    ),
    warnings: z.array(z.object({ code: z.enum(PATH_WARNING_CODES as unknown as [string, ...string[]]), message: z.string(), index: z.number().int().nullable() }).strict()),
    chain: z.array(ChainCertificate).meta({ description: "The path that was built (or the best partial path), leaf first" }),
  })
  .strict()
  .meta({ id: "VerifyReport" });

export const TrustBundleJson = z
  .object({
    certificates: z.array(z.object({ subject: z.string(), sha256_fingerprint: Hex, not_before: Time, not_after: Time }).strict()),
    pem: Pem,
  })
  .strict()
  .meta({ id: "TrustBundle" });

export const CaWarning = z
  .object({
    code: z.string().meta({
      description:
        "chain_not_served, issuer_not_configured, issuing_ca_expires_soon, previous_unused, previous_incomplete, crl_sign_missing, ledger_unavailable (healthz); the list may grow, so treat unknown codes as warnings",
    }),
    message: z.string(),
    sha256_fingerprint: Hex.optional().meta({ description: "The CA the warning is about" }),
  })
  .strict()
  .meta({ id: "CaWarning", description: "Something an operator should fix; the service keeps working" });

const CaProfileFindings = z
  .array(
    z
      .object({
        source: z.enum(["CA_CERT", "CA_TRUST", "CA_PREVIOUS_CERT"]),
        block: z.number().int().describe("The PEM block index within that secret"),
        subject: z.string(),
        code: z.enum(PROFILE_FINDING_CODES as unknown as [string, ...string[]]),
        message: z.string(),
      })
      .strict(),
  )
  .describe("RFC 5280 §4 profile findings of the CA_CERT, CA_PREVIOUS_CERT and CA_TRUST certificates (the strict profile of /v1/verify); not fatal, Go accepts them");

export const Health = z
  .object({
    status: z.literal("ok"),
    ca: z.object({ subject: z.string(), sha256_fingerprint: Hex, key_algorithm: z.string(), not_after: Time }).strict(),
    previous_ca: z.object({ subject: z.string(), sha256_fingerprint: Hex, not_after: Time }).strict().nullable().meta({ description: "CA_PREVIOUS_CERT, between a rotation's switch and retire" }),
    trust_anchors: z.number().int(),
    warnings: z.array(CaWarning),
    profile_findings: CaProfileFindings,
  })
  .strict()
  .meta({ id: "Health" });

export const CaStatus = z
  .object({
    at: Time.meta({ description: "The time the counts are for (now, or the `at` query)" }),
    issuing: Hex.meta({ description: "SHA-256 fingerprint of the issuing CA (CA_CERT)" }),
    previous: Hex.nullable().meta({ description: "SHA-256 fingerprint of the previous issuing CA (CA_PREVIOUS_CERT), while configured" }),
    awaiting_renewal: z.number().int().meta({
      description:
        "Certificates of the previous CA (CA_PREVIOUS_CERT) still waiting to be renewed: not revoked, not expired, not renewed yet. Their renewal window (renewal_window, ARI) is in the past, so ACME clients with ARI and `edgeca renew` replace them on their next run; 0 when no rotation is under way",
    }),
    validity_limit: z.literal("refuse").meta({ description: "A request for a certificate that would outlive the issuing CA is refused (ca_validity_exceeded), never shortened" }),
    retire: z
      .object({ safe: z.boolean(), blocking: z.array(z.string()).meta({ description: "Each CA outside the issuing chain that something still depends on, and why" }) })
      .strict()
      .meta({ description: "Whether the retire phase (the old root leaves CA_TRUST, CA_PREVIOUS_* removed) is safe now" }),
    cas: z.array(
      z
        .object({
          role: z.enum(CA_ROLES),
          subject: z.string().nullable().meta({ description: "null for an issuer known only from the ledger" }),
          sha256_fingerprint: Hex,
          not_before: Time.nullable(),
          not_after: Time.nullable(),
          served: z.boolean().meta({ description: "In ca.crt (GET /v1/ca)" }),
          active_certificates: z.number().int().meta({ description: "Not revoked, not expired, not renewed, chaining to this CA" }),
          renewed_certificates: z.number().int().meta({ description: "Active but already renewed" }),
          latest_not_after: Time.nullable(),
          safe_to_retire: z.boolean(),
          reason: z.string().nullable().meta({ description: "Why it is not safe to retire" }),
        })
        .strict(),
    ),
    warnings: z.array(CaWarning),
    profile_findings: CaProfileFindings,
  })
  .strict()
  .meta({ id: "CaStatus" });

export const AcmeEab = z
  .object({
    kid: z.string().meta({ description: "The EAB key identifier (certbot --eab-kid, lego --kid, cert-manager keyID)" }),
    hmac_key: z.string().regex(/^[A-Za-z0-9_-]{43,}$/).meta({ description: "The EAB HMAC key: 32 bytes, unpadded base64url (certbot --eab-hmac-key, lego --hmac, cert-manager's Secret). Shown once; never stored" }),
    directory: z.string().meta({ format: "uri", description: "The ACME directory URL" }),
    expires_at: Time.meta({ description: "Unused credentials expire (ACME_EAB_TTL); a used one is spent" }),
  })
  .strict()
  .meta({ id: "AcmeEab" });

export const AcmeAccount = z
  .object({
    id: z.string(),
    url: z.string().meta({ format: "uri", description: "The ACME account URL (the kid of its requests)" }),
    status: z.enum(["valid", "deactivated"]),
    principal: z.string().meta({ description: "The API token's or OIDC trust policy's name the account acts for" }),
    principal_kind: z.enum(["token", "oidc"]),
    principal_subject: z.string().nullable().meta({ description: "The OIDC caller's sub; null for API tokens" }),
    contact: z.array(z.string()),
    eab_kid: z.string(),
    created_at: Time,
    expires_at: Time.nullable().meta({ description: "OIDC-bound accounts expire (ACME_OIDC_ACCOUNT_TTL); null for API tokens" }),
    deactivated_at: Time.nullable(),
  })
  .strict()
  .meta({ id: "AcmeAccount" });

export const AcmeAccountList = z
  .object({ accounts: z.array(AcmeAccount), next_cursor: z.string().nullable().meta({ description: "Pass as cursor for the next page; null at the end" }) })
  .strict()
  .meta({ id: "AcmeAccountList" });
