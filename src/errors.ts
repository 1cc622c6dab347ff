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
