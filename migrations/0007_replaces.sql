-- Renewal information (RFC 9773) and exact renewal links: a certificate issued with
-- `replaces` (POST /v1/certificates, /sign, the CLI's renew, ACME newOrder) names the one
-- predecessor it renews, and only that one is marked renewed (renewed_by). See docs/storage.md.
ALTER TABLE certificates ADD COLUMN replaces TEXT;            -- the predecessor's serial, or NULL
-- One current replacement per predecessor: a second concurrent request naming the same predecessor
-- fails this constraint and is refused (409 already_replaced) before its certificate is handed out.
-- Partial on unrevoked rows: a revoked replacement replaces nothing, so the predecessor may be replaced again.
CREATE UNIQUE INDEX certificates_replaces ON certificates (replaces) WHERE replaces IS NOT NULL AND revoked_at IS NULL;
