/**
 * The stable error and warning codes of path validation. The HTTP layer,
 * the OpenAPI document and docs list exactly these strings.
 */

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
  "key_usage_invalid",
  "hostname_mismatch",
  "invalid_hostname",
  "name_constraint_violation",
  "unhandled_critical_extension",
  "duplicate_extension",
  "malformed_extension",
] as const;

export const PATH_WARNING_CODES = [
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

export type PathErrorCode = (typeof PATH_ERROR_CODES)[number];
export type PathWarningCode = (typeof PATH_WARNING_CODES)[number];
