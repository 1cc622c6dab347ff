-- Issuing CA certificates by identity. A CA is its subject name and key (RFC 5280 §4.1.2.4, §4.2.1.1:
-- a leaf names its issuer by subject and authorityKeyIdentifier, not by certificate): re-certified
-- with the same key and subject, it has a new fingerprint but the same identity, and the leaves issued
-- under either certificate chain to both. certificates.issuer_fingerprint keeps the certificate that
-- signed; CRLs, revocation lookups and /v1/ca/status also take every fingerprint of the same identity.
-- Filled as CAs issue and build CRLs (src/store/d1.ts registerIssuer); a CA certificate that never did
-- either after this migration is matched by fingerprint only, as before.
CREATE TABLE issuers (
  fingerprint TEXT PRIMARY KEY,   -- SHA-256 of the CA certificate, lowercase hex (certificates.issuer_fingerprint)
  identity    TEXT NOT NULL       -- SHA-256 of its subject DER and subjectKeyIdentifier, lowercase hex
);
CREATE INDEX issuers_by_identity ON issuers (identity);
