-- Refusals with no principal (a missing, made-up or expired credential) are counted, not
-- written one row each (issue 21 #7): at most one row per client address, status, problem
-- code and minute, whose `count` says how many requests it stands for. `bucket` is that key
-- (NULL on every other row, which the partial unique index leaves out); every row counts 1
-- otherwise. Retention (AUDIT_RETENTION) is unchanged. See docs/storage.md.
ALTER TABLE audit_events ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_events ADD COLUMN bucket TEXT;
CREATE UNIQUE INDEX audit_refusal_buckets ON audit_events (bucket) WHERE bucket IS NOT NULL;
