-- Certificate lifecycle: renewal tracking, counters for /metrics, expiry alerts.
-- See README: "Renewal tracking", "Metrics: GET /metrics", "Expiry alerts".

-- The normalized name set and usage, as one comparable text: JSON
-- [[names, sorted], [usages, sorted]] (src/store/d1.ts renewalKey() computes the same
-- string for new rows). Two certificates with equal keys are renewals of each other.
ALTER TABLE certificates ADD COLUMN renewal_key TEXT;
-- Set when a later certificate with the same renewal_key was recorded while this one was
-- active: the successor's serial and its created_at. A renewed certificate stays valid.
ALTER TABLE certificates ADD COLUMN renewed_by TEXT;
ALTER TABLE certificates ADD COLUMN renewed_at TEXT;

UPDATE certificates SET renewal_key = json_array(
  json((SELECT json_group_array(value) FROM (SELECT DISTINCT value FROM json_each(certificates.hostnames) ORDER BY value))),
  json((SELECT json_group_array(value) FROM (SELECT DISTINCT value FROM json_each(certificates.usage) ORDER BY value)))
);

-- Backfill as if every row had been recorded in order (rowid order is recording order:
-- rows are never deleted): an unrevoked certificate is renewed by the first later unrevoked
-- one with its key that was recorded before it expired (a revoked renewal renews nothing).
-- A throwaway index keeps this linear.
CREATE INDEX certificates_backfill_key ON certificates (renewal_key) WHERE revoked_at IS NULL;
UPDATE certificates SET (renewed_by, renewed_at) = (
  SELECT s.serial, s.created_at FROM certificates s
  WHERE s.renewal_key = certificates.renewal_key AND s.revoked_at IS NULL AND s.rowid > certificates.rowid AND s.created_at < certificates.not_after
  ORDER BY s.rowid LIMIT 1
)
WHERE revoked_at IS NULL AND EXISTS (
  SELECT 1 FROM certificates s
  WHERE s.renewal_key = certificates.renewal_key AND s.revoked_at IS NULL AND s.rowid > certificates.rowid AND s.created_at < certificates.not_after
);
DROP INDEX certificates_backfill_key;

-- Unrevoked certificates by key and successor: renewal marking on insert seeks (key, NULL) for the
-- unrenewed predecessors; a revocation seeks (key, its serial) for the ones it renewed.
CREATE INDEX certificates_renewable ON certificates (renewal_key, renewed_by) WHERE revoked_at IS NULL;
-- "At risk" (unrevoked, unrenewed, expiring soon): the at-risk list, alerts, /metrics. Covering
-- for what those read and filter on (revoked_at and renewed_by are always NULL here, one byte
-- each, but SQLite reads a column the query names from the row unless the index holds it): the
-- soonest come in index order, counts read no rows, and the at-risk list (newest first) sorts
-- index entries, not rows, before it reads the one page it returns.
CREATE INDEX certificates_unrenewed_by_not_after ON certificates (not_after, serial, created_at, revoked_at, renewed_by)
  WHERE renewed_by IS NULL AND revoked_at IS NULL;
-- Renewed, unrevoked certificates by expiry (and CA): /metrics' renewed count, renewals per CA. Covering too.
CREATE INDEX certificates_renewed ON certificates (not_after, issuer_fingerprint, revoked_at, renewed_by)
  WHERE renewed_by IS NOT NULL AND revoked_at IS NULL;

-- Running totals for /metrics (edgeca_issued_total, edgeca_revoked_total): counting a million
-- rows per scrape would not fit a scrape's budget. Kept by triggers, so every writer counts.
CREATE TABLE certificate_counts (
  token_name TEXT NOT NULL,
  key_source TEXT NOT NULL,
  issued     INTEGER NOT NULL DEFAULT 0,
  revoked    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (token_name, key_source)
);
INSERT INTO certificate_counts (token_name, key_source, issued, revoked)
  SELECT token_name, key_source, COUNT(*), COUNT(revoked_at) FROM certificates GROUP BY token_name, key_source;

CREATE TRIGGER certificates_count_issued AFTER INSERT ON certificates
BEGIN
  INSERT INTO certificate_counts (token_name, key_source, issued, revoked) VALUES (NEW.token_name, NEW.key_source, 1, NEW.revoked_at IS NOT NULL)
    ON CONFLICT (token_name, key_source) DO UPDATE SET issued = issued + 1, revoked = revoked + excluded.revoked;
END;

CREATE TRIGGER certificates_count_revoked AFTER UPDATE OF revoked_at ON certificates
WHEN OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL
BEGIN
  UPDATE certificate_counts SET revoked = revoked + 1 WHERE token_name = NEW.token_name AND key_source = NEW.key_source;
END;

-- Expiry alerts: which certificate was alerted on which UTC day (at most once a day each).
CREATE TABLE expiry_alerts (
  serial TEXT NOT NULL,
  day    TEXT NOT NULL,                          -- YYYY-MM-DD, UTC
  sent_at TEXT NOT NULL,
  PRIMARY KEY (serial, day)
);
CREATE INDEX expiry_alerts_by_day ON expiry_alerts (day);
