/**
 * The stable error and warning codes of path validation. The HTTP layer,
 * the OpenAPI document and docs list exactly these strings.
 */

/** Errors: Go's crypto/x509 refuses the chain (the `go` profile's verdict). */
export const PATH_ERROR_CODES = [
  "invalid_certificate",
  "unknown_authority",
  "self_signed_leaf",
  "bad_signature",
  "unsupported_signature_algorithm",
  "weak_signature_algorithm",
  "expired",
  "not_yet_valid",
  "issuer_not_ca",
  "issuer_missing_key_cert_sign",
  "path_length_exceeded",
  "path_too_long",
  "signature_check_limit",
  "eku_mismatch",
  "hostname_mismatch",
  "invalid_hostname",
  "name_constraint_violation",
  "unhandled_critical_extension",
  "duplicate_extension",
  "malformed_extension",
] as const;

/**
 * Profile findings: RFC 5280 §4 (and TLS key-usage) rules Go's crypto/x509
 * does not enforce. Warnings under the `go` profile, errors under `strict`.
 */
export const PROFILE_FINDING_CODES = [
  "aki_missing",
  "aki_critical",
  "self_signed_aki_invalid",
  "ski_missing",
  "ski_critical",
  "basic_constraints_not_critical",
  "ca_key_usage_missing",
  "path_len_invalid",
  "key_cert_sign_without_ca",
  "end_entity_is_ca",
  "key_usage_invalid",
  "empty_issuer",
  "empty_subject",
  "empty_subject_san_not_critical",
  "san_critical_with_subject",
  "empty_san",
  "dns_name_malformed",
  "name_constraints_in_end_entity",
  "name_constraints_not_critical",
  "extension_body_invalid",
  "extensions_require_v3",
  "unique_ids_require_v2",
] as const;

/** Warnings that stay warnings under every profile. */
export const PLAIN_WARNING_CODES = [
  "expires_soon",
  "sha1_signature",
  "rsa_key_too_small",
  "cn_only_name",
  "leaf_key_not_usable_by_envoy",
  "leaf_is_trust_anchor",
  "v1_trust_anchor",
  "name_constraints_not_checked",
  "ignored_certificate",
] as const;

export const PATH_WARNING_CODES = [...PLAIN_WARNING_CODES, ...PROFILE_FINDING_CODES] as const;

export type ProfileFindingCode = (typeof PROFILE_FINDING_CODES)[number];
/** Under `strict`, findings are reported as errors with their own code. */
export type PathErrorCode = (typeof PATH_ERROR_CODES)[number] | ProfileFindingCode;
export type PathWarningCode = (typeof PATH_WARNING_CODES)[number];

/** The codes `errors` may carry under any profile. */
export const PATH_ERROR_CODES_ALL = [...PATH_ERROR_CODES, ...PROFILE_FINDING_CODES] as const;
