-- edgeca ledger: every certificate handed out, its revocation, the audit
-- trail, idempotency keys and the CRL cache. See docs/storage.md.

CREATE TABLE certificates (
  serial             TEXT PRIMARY KEY,           -- lowercase hex, as in serial_number
  sha256_fingerprint TEXT NOT NULL UNIQUE,
  pem                TEXT NOT NULL,              -- the leaf certificate (never a private key)
  hostnames          TEXT NOT NULL,              -- JSON array, normalized
  usage              TEXT NOT NULL,              -- JSON array: server, client
  key_algorithm      TEXT NOT NULL,
  key_source         TEXT NOT NULL CHECK (key_source IN ('generated', 'csr')),
  not_before         TEXT NOT NULL,              -- RFC 3339, UTC
  not_after          TEXT NOT NULL,
  issuer_fingerprint TEXT NOT NULL,              -- SHA-256 of the issuing CA certificate
  token_name         TEXT NOT NULL,
  request_id         TEXT NOT NULL,
  created_at         TEXT NOT NULL,
  revoked_at         TEXT,
  revocation_reason  TEXT
);
CREATE INDEX certificates_by_created ON certificates (created_at DESC, serial DESC);
CREATE INDEX certificates_by_not_after ON certificates (not_after);
CREATE INDEX certificates_by_token ON certificates (token_name, created_at DESC);
CREATE INDEX certificates_revoked ON certificates (issuer_fingerprint, revoked_at) WHERE revoked_at IS NOT NULL;

-- One row per (name, certificate) for the hostname filter.
CREATE TABLE certificate_names (
  name   TEXT NOT NULL,
  serial TEXT NOT NULL REFERENCES certificates (serial),
  PRIMARY KEY (name, serial)
);

-- Append-only: the service only ever inserts here.
CREATE TABLE audit_events (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  at             TEXT NOT NULL,
  event          TEXT NOT NULL,                  -- issue, sign, revoke, refused
  outcome        TEXT NOT NULL,                  -- success, failure
  status         INTEGER NOT NULL,
  code           TEXT,                           -- problem code for failures
  token_name     TEXT,
  client_address TEXT,
  method         TEXT NOT NULL,
  path           TEXT NOT NULL,
  serial         TEXT,
  request_id     TEXT NOT NULL
);
CREATE INDEX audit_by_at ON audit_events (at);
CREATE INDEX audit_by_token ON audit_events (token_name, at);

-- Idempotency-Key handling for POST /v1/certificates and /sign (24 h).
CREATE TABLE idempotency_keys (
  token_name   TEXT NOT NULL,
  key          TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('pending', 'done')),
  serial       TEXT,
  sealed_key   TEXT,                             -- the generated private key, AES-GCM under STORE_KEY
  created_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  PRIMARY KEY (token_name, key)
);
CREATE INDEX idempotency_by_expiry ON idempotency_keys (expires_at);

-- The current CRL per issuing CA, and the revision of the revocation set it reflects.
CREATE TABLE crl_state (
  issuer_fingerprint TEXT PRIMARY KEY,
  crl_number         INTEGER NOT NULL,
  revision           INTEGER NOT NULL,            -- bumped by every revocation
  built_revision     INTEGER NOT NULL DEFAULT -1, -- revision the cached CRL was built from
  der                BLOB,
  this_update        TEXT,
  next_update        TEXT
);
