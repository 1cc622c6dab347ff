-- What an audit event acted on beyond its serial (issue 19 review, #8): the ACME account that
-- obtained or revoked a certificate (`acme_account=<id>`), an EAB credential's kid (`kid=<kid>`,
-- never its HMAC key), the account an operator deactivated, or how a revocation was authorized
-- (`by=certificate_key`). NULL on every other event. See docs/api.md (audit trail).
ALTER TABLE audit_events ADD COLUMN detail TEXT;
