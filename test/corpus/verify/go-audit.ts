/**
 * The audit of every rule of the validator against Go's crypto/x509
 * (issue 16), and the corpus cases where edgeca's `go` profile knowingly
 * differs from the Go oracle (Debian's go1.19). compare-openssl.ts writes
 * both into docs/verify-corpus.md; compare-go.ts uses the exceptions.
 */

/** Case id → why the `go` profile and Go 1.19 disagree on purpose. */
export const GO_EXCEPTIONS: Record<string, string> = {
  "serial-negative":
    "Go 1.19 accepts a negative serial; Go ≥ 1.23 refuses to parse it (x509negativeserial), and that is the Go Kuma runs, so edgeca reports invalid_certificate (RFC 5280 §4.1.2.2).",
};

/** Rule | RFC clause | what Go's crypto/x509 does | what edgeca does (`go` profile; findings are warnings there, errors under `strict`). */
export const GO_AUDIT: [string, string, string, string][] = [
  ["Path building: issuer by name, AKI/SKI match first, no loops", "§6.1, §4.2.1.1", "buildChains: candidates by RawSubject, AKI hint; alreadyInChain (subject, key, SAN)", "Same search; a loop is the same subject and key (SAN not compared)"],
  ["Signature of every link", "§6.1.3 (a)(1)", "CheckSignatureFrom", "Same (WebCrypto)"],
  ["SHA-1 and MD5 signatures", "—", "Refused (InsecureAlgorithmError since 1.18)", "Error `weak_signature_algorithm`"],
  ["Other algorithms: Ed448, SHA-224, DSA; RSA-PSS with a salt ≠ hash length; id-RSASSA-PSS keys", "RFC 4055", "Unknown algorithm: ErrUnsupportedAlgorithm", "Error `unsupported_signature_algorithm` (PSS salt and PSS-key rules aligned with Go in issue 16)"],
  ["Trust anchor's own signature", "§6.1.1 (d)", "Not checked", "Not checked; a SHA-1/MD5 self-signature is warning `sha1_signature`"],
  ["Validity period, inclusive at both ends, every certificate", "§4.1.2.5, §6.1.3 (a)(2)", "now.Before(notBefore) / now.After(notAfter)", "Same: `not_yet_valid`, `expired`"],
  ["Issuer is a CA: v3 with basicConstraints cA TRUE (roots included); a v1/v2 root may sign", "§4.2.1.9, §6.1.4 (k)", "CheckSignatureFrom and isValid (NotAuthorizedToSign)", "Error `issuer_not_ca`; v1 anchor is warning `v1_trust_anchor`"],
  ["Issuer keyUsage asserts keyCertSign (roots included)", "§4.2.1.3, §6.1.4 (n)", "CheckSignatureFrom when KeyUsage ≠ 0 (a keyUsage with no bit counts as absent)", "Error `issuer_missing_key_cert_sign`, same exemption"],
  ["pathLenConstraint", "§4.2.1.9, §6.1.4 (l)(m)", "Counts every intermediate below, self-issued ones included", "Same (stricter than RFC 5280, which exempts self-issued certificates): `path_length_exceeded`"],
  ["Path depth", "§6.1", "No limit; 100 signature checks", "32 certificates (input is ≤ 16 + roots), 100 signature checks; `path_too_long` only for a smaller caller-set limit"],
  ["Critical extension not understood, any certificate of the path", "§4.2", "UnhandledCriticalExtension; understood: keyUsage, basicConstraints, SAN with a DNS/email/IP/URI name, nameConstraints of DNS/IP/email/URI forms, CRL DP, AKI, EKU, SKI, policies, AIA", "Same set (critical issuerAltName, SCT list, policy mappings, empty SAN and directoryName-only constraints are now refused): `unhandled_critical_extension`"],
  ["Duplicate extension", "§4.2", "Parse error", "Error `duplicate_extension`"],
  ["Extension Go cannot decode", "§4.2", "Parse error", "Error `malformed_extension`"],
  ["Extension body defects Go reads past: trailing bytes, keyUsage with no bit, empty EKU, extra basicConstraints element, GeneralSubtree minimum/maximum, empty extensions", "§4.1, §4.2, §4.2.1.3, §4.2.1.12, §4.2.1.10", "Accepted", "Finding `extension_body_invalid` (was an error)"],
  ["Empty subjectAltName", "§4.2.1.6", "Non-critical: ignored; critical: unhandled critical extension", "Finding `empty_san`; critical also error `unhandled_critical_extension` (was always an error)"],
  ["Negative serial number", "§4.1.2.2", "1.19 accepts; ≥ 1.23 refuses to parse", "Error `invalid_certificate` (Kuma's Go); the one oracle exception"],
  ["Inner and outer signature algorithm differ", "§4.1.1.2", "Parse error", "Error `invalid_certificate`"],
  ["Extensions in a v1/v2 certificate; unique identifiers in v1", "§4.1.2.8, §4.1.2.9", "Ignored (not parsed)", "Ignored; findings `extensions_require_v3`, `unique_ids_require_v2` (was an error)"],
  ["Name constraints: which certificates", "§4.2.1.10, §6.1.3 (b)(c)", "The leaf's SANs and the constrained CA's own SANs (not the intermediates between)", "Same (was: every certificate below, per RFC 5280 §6.1)"],
  ["Name constraints: dNSName", "§4.2.1.10", "Whole labels, case-insensitive; leading dot = subdomains only; empty = everything", "Same"],
  ["Name constraints: a DNS SAN Go cannot parse (empty label, trailing dot, bytes outside 33–126)", "§4.2.1.10", "Error (cannot parse dnsName)", "Error `name_constraint_violation`; malformed names Go parses (underscores) are finding `dns_name_malformed`"],
  ["Name constraints: iPAddress", "§4.2.1.10", "Masked compare, same family; a constraint must be 8/32 octets with a contiguous mask", "Same; a bad constraint is `malformed_extension`"],
  ["Name constraints: rfc822Name and URI", "§4.2.1.10", "Enforced: a mailbox constraint (with @) matches that mailbox, a domain constraint matches the mailbox's domain like a DNS constraint (subdomains too); a URI matches by its host, which must be a domain, not an IP address", "Same (was: every email/URI SAN under such constraints refused); email local parts are parsed more simply than Go's RFC 2821 parser"],
  ["Name constraints: directoryName and other forms", "§4.2.1.10", "Not handled: a critical extension is refused, a non-critical one ignored", "Same; warning `name_constraints_not_checked` (was: refused when a subject was present)"],
  ["EKU of the leaf", "§4.2.1.12", "Requested usage or anyExtendedKeyUsage; absent = any", "Same: `eku_mismatch`"],
  ["EKU of CAs (root included) restricts what they issue", "— (Go, CA/B BR)", "checkChainForKeyUsage", "Same: `eku_mismatch`"],
  ["Leaf keyUsage fits the key and the TLS role", "§4.2.1.3, RFC 8446 §4.4.3", "Not checked (\"KeyUsage status flags are ignored\")", "Finding `key_usage_invalid` (was an error, issue 16 divergence 1)"],
  ["Hostname: IP literal", "RFC 6125 §6.2.1", "iPAddress SANs only, net.IP.Equal (IPv4 = IPv4-mapped IPv6); brackets stripped", "Same"],
  ["Hostname: DNS name", "RFC 6125 §6.4", "A valid reference against valid SAN patterns: case-insensitive, trailing dot of the reference ignored, `*` = whole left-most label = one label; otherwise exact match only", "Same (was: a SAN's trailing dot was stripped, issue 16 divergence 2; a bare `*` never matched; invalid references never matched)"],
  ["Hostname: subject CN", "RFC 6125 §6.4.4", "Never used (≥ 1.15)", "Never used; warning `cn_only_name`"],
  ["Leaf that is itself a trust anchor", "—", "Chain [leaf]; no issuer search", "Same; warning `leaf_is_trust_anchor`"],
  ["RSA key size", "—", "1.19: any; ≥ 1.24: under 1024 bits refused", "Warning `rsa_key_too_small` under 2048 bits"],
  ["Certificate policies", "§6.1.3 (d)", "1.19: not processed; ≥ 1.22 validates policy constraints", "Not processed"],
  ["Revocation", "§6.3", "Not checked by Verify", "`revoked` for leaves this service issued and revoked"],
];
