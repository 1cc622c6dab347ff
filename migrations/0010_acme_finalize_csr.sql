-- The SHA-256 (hex) of the CSR DER that produced a valid order's certificate: a finalize retried with
-- the same CSR (cert-manager re-POSTs it, cert-manager#3777) gets the order back, never a second certificate.
ALTER TABLE acme_orders ADD COLUMN csr_sha256 TEXT;
