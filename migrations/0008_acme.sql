-- ACME (RFC 8555) front end: External Account Binding kids, accounts, orders, authorizations,
-- spent nonces, and the ACME account that obtained each certificate. See docs/acme.md.

-- One-time EAB credentials. The HMAC key is never stored: it is HMAC(key derived from STORE_KEY, kid).
-- `binding` is the principal the kid was created for (JSON, src/store/types.ts AcmePrincipalBinding).
CREATE TABLE acme_eab (
  kid TEXT PRIMARY KEY,
  binding TEXT NOT NULL,
  principal_name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  -- Set once, atomically with the account it created (src/store/d1-acme.ts createAccount).
  spent_at TEXT,
  account_id TEXT
);
CREATE INDEX acme_eab_expiry ON acme_eab (expires_at);

CREATE TABLE acme_accounts (
  id TEXT PRIMARY KEY,
  -- RFC 7638 SHA-256 thumbprint of the account key: one account per key.
  thumbprint TEXT NOT NULL UNIQUE,
  jwk TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('valid', 'deactivated')),
  contact TEXT NOT NULL DEFAULT '[]',
  binding TEXT NOT NULL,
  principal_name TEXT NOT NULL,
  principal_subject TEXT,
  eab_kid TEXT NOT NULL,
  created_at TEXT NOT NULL,
  -- OIDC-bound accounts expire (ACME_OIDC_ACCOUNT_TTL); NULL for API-token accounts.
  expires_at TEXT,
  deactivated_at TEXT
);
CREATE INDEX acme_accounts_created ON acme_accounts (created_at, id);

CREATE TABLE acme_orders (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ready', 'processing', 'valid', 'invalid')),
  identifiers TEXT NOT NULL,
  not_before TEXT,
  not_after TEXT,
  expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  certificate_serial TEXT,
  error TEXT
);
CREATE INDEX acme_orders_account ON acme_orders (account_id, created_at);
CREATE INDEX acme_orders_expiry ON acme_orders (expires_at);

CREATE TABLE acme_authorizations (
  id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  identifier_type TEXT NOT NULL,
  identifier_value TEXT NOT NULL,
  wildcard INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('valid', 'deactivated')),
  expires_at TEXT NOT NULL
);
CREATE INDEX acme_authorizations_order ON acme_authorizations (order_id);

-- Spent nonces only (issuing one writes nothing), kept until they would expire anyway.
CREATE TABLE acme_nonces (
  nonce TEXT PRIMARY KEY,
  expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX acme_nonces_expiry ON acme_nonces (expires_at);

-- The ACME account that obtained a certificate (NULL for the /v1 API).
ALTER TABLE certificates ADD COLUMN acme_account_id TEXT;
CREATE INDEX certificates_acme_account ON certificates (acme_account_id) WHERE acme_account_id IS NOT NULL;
