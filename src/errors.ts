/**
 * The one table of API error codes. Every failure a caller can see is one of
 * these codes, rendered as RFC 9457 application/problem+json by
 * src/http/problem.ts. Codes are stable: pipelines branch on them.
 */

export const ERROR_TABLE = {
  invalid_json: { status: 400, title: "The request body is not valid JSON" },
  validation_failed: { status: 400, title: "The request does not match the schema" },
  invalid_hostname: { status: 400, title: "One or more hostnames are invalid" },
  invalid_duration: { status: 400, title: "The duration is not valid" },
  ttl_too_long: { status: 400, title: "The requested lifetime exceeds the maximum" },
  ca_validity_exceeded: { status: 400, title: "The certificate would outlive the issuing CA" },
  invalid_csr: { status: 400, title: "The certificate signing request is not valid" },
  csr_signature_invalid: { status: 400, title: "The certificate signing request's signature does not verify" },
  unsupported_key: { status: 400, title: "The key type is not accepted" },
  no_names: { status: 400, title: "No names to certify" },
  invalid_common_name: { status: 400, title: "The common name is not acceptable" },
  invalid_pem: { status: 400, title: "The input is not valid PEM" },
  invalid_certificate: { status: 400, title: "A PEM block is not a valid X.509 certificate" },
  unsupported_format: { status: 400, title: "The requested format is not supported" },
  unauthorized: { status: 401, title: "A valid bearer token is required" },
  invalid_token: { status: 401, title: "The OIDC token is not accepted" },
  insufficient_scope: { status: 403, title: "The token lacks the scope this operation needs" },
  name_not_allowed: { status: 403, title: "The token may not obtain certificates for these names" },
  replaces_forbidden: { status: 403, title: "The certificate named in replaces belongs to another caller" },
  certificate_not_found: { status: 404, title: "No certificate with that serial number" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  already_revoked: { status: 409, title: "The certificate is already revoked with another reason" },
  idempotency_in_progress: { status: 409, title: "A request with this Idempotency-Key is still being processed" },
  already_replaced: { status: 409, title: "The certificate named in replaces was already replaced" },
  payload_too_large: { status: 413, title: "The request body is too large" },
  idempotency_key_reused: { status: 422, title: "The Idempotency-Key was used with a different request" },
  replaces_not_found: { status: 422, title: "The certificate named in replaces was not issued by this service" },
  replaces_unrelated: { status: 422, title: "The certificate named in replaces shares no name with this request" },
  rate_limited: { status: 429, title: "Too many requests" },
  config_invalid: { status: 503, title: "The service configuration is invalid" },
  ca_not_configured: { status: 503, title: "No CA is configured" },
  ca_invalid: { status: 503, title: "The configured CA cannot be used" },
  ledger_unavailable: { status: 503, title: "The issuance ledger is unavailable" },
  identity_provider_unavailable: { status: 503, title: "The OIDC issuer's keys cannot be fetched" },
  internal: { status: 500, title: "Internal error" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

/** A field-level validation message: a JSON Pointer (RFC 6901) into the request and what is wrong there. */
export interface FieldError {
  pointer: string;
  detail: string;
}

export interface ApiErrorOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extra members for the problem document (RFC 9457 §3.2), wire-safe only. */
  extensions?: Record<string, unknown>;
}

/** An expected failure with a stable code; its detail is safe to show the caller. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  readonly options: ApiErrorOptions;
  constructor(code: ErrorCode, detail?: string, options: ApiErrorOptions = {}) {
    super(detail ?? ERROR_TABLE[code].title);
    this.name = "ApiError";
    this.code = code;
    this.detail = detail;
    this.options = options;
  }
  get status(): number {
    return ERROR_TABLE[this.code].status;
  }
}

/**
 * What a caller should do about each code: the "what to do" column of the
 * problem-type documentation served at /docs/problems (src/http/problem-docs.ts),
 * which every problem document's `type` points at (RFC 9457 §3.1.1).
 */
export const ERROR_ADVICE: Record<ErrorCode, string> = {
  invalid_json: "Send a JSON object with Content-Type: application/json; check quoting and trailing commas.",
  validation_failed: "Read errors[].pointer and errors[].detail: they name the field and what it must be. Unknown fields are rejected (a close match is suggested).",
  invalid_hostname: "Send bare DNS names or IP addresses (cp.example.com, 10.0.0.5): no scheme, port, path or trailing dot-slash; the detail names what to remove.",
  invalid_duration: "Use a number and a unit: 90d, 12h, 30m (s, m, h, d).",
  ttl_too_long: "Ask for a shorter ttl, at most the service's MAX_TTL (the detail says it), or omit ttl for the default.",
  ca_validity_exceeded: "Ask for a shorter ttl; the operator must rotate the issuing CA before it can sign longer.",
  invalid_csr: "Send a PKCS#10 request as PEM (openssl req -new …); the detail says what did not parse.",
  csr_signature_invalid: "Create the CSR again with the private key it names; it was altered or signed with another key.",
  unsupported_key: "Use an ECDSA P-256 or P-384, Ed25519, or RSA (2048 bits or more) key.",
  no_names: "Give at least one hostname (or a CSR with subjectAltName entries).",
  invalid_common_name: "Leave the common name out, or make it one of the certificate's names.",
  invalid_pem: "Send PEM text with -----BEGIN …----- / -----END …----- lines, unmodified.",
  invalid_certificate: "Send X.509 certificates as PEM; one of the blocks is not a certificate.",
  unsupported_format: "Ask for a format this operation offers: json, tar, kubernetes-secret, helm-values or env (the detail lists them).",
  unauthorized: "Send Authorization: Bearer <token> with an API token or an OIDC token a trust policy accepts.",
  invalid_token: "Use a fresh OIDC token for this service's audience from an issuer listed in OIDC_TRUST; the detail says which check failed.",
  insufficient_scope: "Use a token that has the scope the detail names.",
  name_not_allowed: "Ask only for names your token's policy allows, or have the operator widen the token's name patterns.",
  replaces_forbidden: "Name in replaces only a certificate issued to the same token, or the same trust policy and OIDC sub; or leave replaces out.",
  already_replaced: "Nothing to replace: renewed_by names the certificate that already replaced it. Renew that one instead, or leave replaces out.",
  replaces_not_found: "Check the serial number in replaces (hex, as issued): GET /v1/certificates lists what the ledger holds.",
  replaces_unrelated: "Name in replaces a certificate that shares at least one name with this request, or leave replaces out.",
  certificate_not_found: "Check the serial number (hex, as issued): GET /v1/certificates lists what the ledger holds.",
  not_found: "Check the path and method against /docs (the API reference).",
  method_not_allowed: "Use a method from the Allow header.",
  already_revoked: "Nothing to do if the revocation stands; a certificate's revocation reason cannot be changed.",
  idempotency_in_progress: "Retry the same request with the same Idempotency-Key after a second.",
  payload_too_large: "Send a smaller body (64 KiB at most).",
  idempotency_key_reused: "Use a new Idempotency-Key for a different request; a key belongs to one request body.",
  rate_limited: "Wait for the Retry-After seconds, then retry.",
  config_invalid: "Operator: fix the variable or secret the detail names, then redeploy.",
  ca_not_configured: "Operator: set the CA_CERT and CA_KEY secrets (npm run ca:init).",
  ca_invalid: "Operator: the detail says what is wrong with CA_CERT/CA_KEY (mismatched key, expired, not a CA).",
  ledger_unavailable: "Retry later; operator: check the D1 binding DB and its migrations.",
  identity_provider_unavailable: "Retry later; the OIDC issuer's JWKS could not be fetched.",
  internal: "Retry; if it persists, report the request_id to the operator (the log has the cause).",
};
