-- ?subject= alone (GET /v1/certificates, the /ui "OIDC subject" filter): certificates_by_subject of 0002
-- leads with token_name, so a subject without a policy name could only scan the table. Partial: API-token
-- rows (no subject) are not in it. See docs/storage.md.
CREATE INDEX certificates_by_principal_subject ON certificates (principal_subject, created_at DESC) WHERE principal_subject IS NOT NULL;
