-- GET /v1/ca/status and /healthz count active certificates per issuing CA,
-- renewed ones apart (Ledger.activeByIssuer): a range scan over unrevoked rows
-- by not_after. Covering (revoked_at included, always NULL here: SQLite reads a
-- column the query names from the row unless the index holds it), so the count
-- never reads the certificates' PEM.
CREATE INDEX certificates_active_by_issuer ON certificates (not_after, issuer_fingerprint, renewed_by, revoked_at) WHERE revoked_at IS NULL;
