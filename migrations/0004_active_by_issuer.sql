-- GET /v1/ca/status and /healthz count active certificates per issuing CA
-- (Ledger.activeByIssuer): a range scan over unrevoked rows by not_after,
-- covering the issuer, so the count never reads the certificates' PEM.
CREATE INDEX certificates_active_by_issuer ON certificates (not_after, issuer_fingerprint) WHERE revoked_at IS NULL;
