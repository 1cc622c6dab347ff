-- OIDC callers (issue 13): a certificate, audit event or idempotency key is
-- held by a trust policy's name (token_name) and the OIDC token's `sub`.
-- API tokens leave principal_subject NULL ('' in idempotency_keys, where it is
-- part of the primary key).

ALTER TABLE certificates ADD COLUMN principal_subject TEXT;
CREATE INDEX certificates_by_subject ON certificates (token_name, principal_subject, created_at DESC) WHERE principal_subject IS NOT NULL;

ALTER TABLE audit_events ADD COLUMN principal_subject TEXT;

-- Two pipelines trusted by one policy must not share Idempotency-Keys: the subject joins the key.
-- SQLite cannot change a primary key in place, so the table is rebuilt (its rows live 24 h).
CREATE TABLE idempotency_keys_v2 (
  token_name        TEXT NOT NULL,
  principal_subject TEXT NOT NULL DEFAULT '',
  key               TEXT NOT NULL,
  request_hash      TEXT NOT NULL,
  state             TEXT NOT NULL CHECK (state IN ('pending', 'done')),
  serial            TEXT,
  sealed_key        TEXT,
  created_at        TEXT NOT NULL,
  expires_at        TEXT NOT NULL,
  PRIMARY KEY (token_name, principal_subject, key)
);
INSERT INTO idempotency_keys_v2 (token_name, principal_subject, key, request_hash, state, serial, sealed_key, created_at, expires_at)
  SELECT token_name, '', key, request_hash, state, serial, sealed_key, created_at, expires_at FROM idempotency_keys;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_v2 RENAME TO idempotency_keys;
CREATE INDEX idempotency_by_expiry ON idempotency_keys (expires_at);
