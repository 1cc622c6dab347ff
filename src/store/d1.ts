/**
 * D1 implementations of the ledger, audit log, idempotency keys and CRL
 * cache (schema in migrations/). Real SQLite locally under workerd.
 * Every statement is parameterized.
 */
import type {
  AuditEvent,
  AuditLog,
  AuditQuery,
  AuditRecord,
  CertificateQuery,
  CertificateRecord,
  CrlState,
  CrlStore,
  IdempotencyRecord,
  AtRiskCertificate,
  ExpiryAlertLog,
  IdempotencyStore,
  IssuanceTotal,
  Ledger,
  LifecycleQuery,
  LifecycleSnapshot,
  PrincipalId,
  RevokedEntry,
} from "./types.ts";
import { GroupCommit } from "./group-commit.ts";
import type { IssuerCount } from "../pki/ca-status.ts";



const AUDIT_FIELDS = ["at", "event", "outcome", "status", "code", "token_name", "principal_subject", "client_address", "method", "path", "serial", "request_id"] as const;
const AUDIT_COLUMNS = AUDIT_FIELDS.join(", ");

function auditInsert(db: D1Database, e: AuditEvent): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO audit_events (${AUDIT_COLUMNS}) VALUES (${AUDIT_FIELDS.map(() => "?").join(", ")})`)
    .bind(...AUDIT_FIELDS.map((f) => e[f]));
}

interface CertificateRow extends Omit<CertificateRecord, "hostnames" | "usage"> {
  hostnames: string;
  usage: string;
  renewal_key?: string | null;
}

function toRecord(row: CertificateRow): CertificateRecord {
  const { renewal_key: _key, ...rest } = row;
  return { ...rest, hostnames: JSON.parse(row.hostnames) as string[], usage: JSON.parse(row.usage) as string[] };
}

/**
 * The normalized name set and usage as one comparable text: JSON [[names], [usages]], each
 * sorted and without duplicates. Names are stored normalized (lower case, A-labels, canonical
 * IPs: ASCII), so JavaScript's sort and SQLite's BINARY order agree; migrations/0003 computes
 * the same string for the rows recorded before it.
 */
export function renewalKey(hostnames: readonly string[], usage: readonly string[]): string {
  return JSON.stringify([[...new Set(hostnames)].sort(), [...new Set(usage)].sort()]);
}

/** Escapes LIKE wildcards so a hostname filter matches literally. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The ?token= (token or trust policy name) and ?subject= (OIDC `sub`) filters of the ledger and audit lists. */
function filterByPrincipal(q: { token?: string | undefined; subject?: string | undefined }, where: string[], args: unknown[]): void {
  if (q.token !== undefined) {
    where.push("token_name = ?");
    args.push(q.token);
  }
  if (q.subject !== undefined) {
    where.push("principal_subject = ?");
    args.push(q.subject);
  }
}

/** One group-committed write: a certificate with its audit event, or an audit event alone. */
export interface LedgerWrite {
  certificate: CertificateRecord | null;
  audit: AuditEvent;
}

/** Most writes one D1 batch carries (~1.2 KB of JSON each for one name). */
const MAX_GROUP = 32;
const MAX_GROUP_BYTES = 1_000_000;

/** An upper estimate of a write's JSON size in the batch parameters (names appear four times: hostnames and renewal_key in the row, the names and renewal statements). */
function writeWeight(w: LedgerWrite): number {
  const c = w.certificate;
  return 1024 + (c ? c.pem.length + 4 * c.hostnames.reduce((n, h) => n + h.length + 8, 0) : 0) + w.audit.path.length;
}

const CERTIFICATE_COLUMNS = [
  "serial", "sha256_fingerprint", "pem", "hostnames", "usage", "key_algorithm", "key_source", "not_before", "not_after", "issuer_fingerprint", "token_name", "principal_subject", "request_id", "created_at", "renewal_key", "acme_account_id",
] as const;

/** Each column read from the JSON array bound as ?1: one statement inserts every row of a group (SQLite json_each). */
const INSERT_CERTIFICATES = `INSERT INTO certificates (${CERTIFICATE_COLUMNS.join(", ")}) SELECT ${CERTIFICATE_COLUMNS.map((c) => `value ->> '${c}'`).join(", ")} FROM json_each(?1)`;
const INSERT_NAMES = "INSERT INTO certificate_names (name, serial) SELECT n.value, c.value ->> 'serial' FROM json_each(?1) c, json_each(c.value ->> 'hostnames') n";
/**
 * Renewal marking, for a whole group in one statement: ?1 holds the group's {serial, renewal_key,
 * created_at} in recording order. Per key, the group's last certificate (no later one in ?1 has
 * its key) marks every other active, unrenewed, unrevoked certificate with that key, including
 * earlier ones of the same group: the newest wins. It runs after the insert, in the same batch
 * (one transaction). Looked up through certificates_renewable.
 */
const MARK_RENEWED = `UPDATE certificates SET renewed_by = n.serial, renewed_at = n.created_at
  FROM (SELECT j.value ->> 'serial' AS serial, j.value ->> 'renewal_key' AS renewal_key, j.value ->> 'created_at' AS created_at FROM json_each(?1) j
        WHERE NOT EXISTS (SELECT 1 FROM json_each(?1) later WHERE later.key > j.key AND later.value ->> 'renewal_key' = j.value ->> 'renewal_key')) AS n
  WHERE certificates.renewal_key = n.renewal_key AND certificates.renewed_by IS NULL AND certificates.revoked_at IS NULL
    AND certificates.serial <> n.serial AND certificates.not_after > n.created_at`;
const INSERT_AUDIT = `INSERT INTO audit_events (${AUDIT_COLUMNS}) SELECT ${AUDIT_FIELDS.map((c) => `value ->> '${c}'`).join(", ")} FROM json_each(?1)`;

/**
 * The statements of one group's D1 batch, which D1 runs as one transaction: every certificate,
 * its names, the renewals it marks and every audit event land together or not at all.
 * Exported for the scale bench, which times them.
 */
export function ledgerWriteStatements(db: D1Database, writes: LedgerWrite[]): D1PreparedStatement[] {
  const certificates = writes.flatMap((w) => {
    const c = w.certificate;
    return c ? [{ ...c, hostnames: JSON.stringify(c.hostnames), usage: JSON.stringify(c.usage), renewal_key: renewalKey(c.hostnames, c.usage) }] : [];
  });
  const statements: D1PreparedStatement[] = [];
  if (certificates.length > 0) {
    // The names and renewal statements get only what they read: binding the whole rows (PEM included) again would multiply the bytes D1 carries.
    statements.push(
      db.prepare(INSERT_CERTIFICATES).bind(JSON.stringify(certificates)),
      db.prepare(INSERT_NAMES).bind(JSON.stringify(certificates.map((c) => ({ serial: c.serial, hostnames: c.hostnames })))),
      db.prepare(MARK_RENEWED).bind(JSON.stringify(certificates.map((c) => ({ serial: c.serial, renewal_key: c.renewal_key, created_at: c.created_at })))),
    );
  }
  statements.push(db.prepare(INSERT_AUDIT).bind(JSON.stringify(writes.map((w) => w.audit))));
  return statements;
}

function flushLedgerWrites(db: D1Database, writes: LedgerWrite[]): Promise<unknown> {
  return db.batch(ledgerWriteStatements(db, writes));
}

/** The SQL of Ledger.list (exported for the query-plan test and the scale bench). */
export function listQuery(q: CertificateQuery): { sql: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.hostname !== undefined) {
    if (q.hostname.startsWith(".")) {
      where.push("serial IN (SELECT serial FROM certificate_names WHERE name LIKE ? ESCAPE '\\')");
      args.push(`%${likeLiteral(q.hostname)}`);
    } else {
      where.push("serial IN (SELECT serial FROM certificate_names WHERE name = ?)");
      args.push(q.hostname);
    }
  }
  if (q.status === "active") {
    where.push("revoked_at IS NULL AND not_after > ?");
    args.push(q.now);
  } else if (q.status === "revoked") {
    where.push("revoked_at IS NOT NULL");
  } else if (q.status === "expired") {
    where.push("revoked_at IS NULL AND not_after <= ?");
    args.push(q.now);
  }
  if (q.expiringBefore !== undefined) {
    where.push("revoked_at IS NULL AND not_after > ? AND not_after <= ?");
    args.push(q.now, q.expiringBefore);
  }
  filterByPrincipal(q, where, args);
  if (q.renewed !== undefined) where.push(q.renewed ? "renewed_by IS NOT NULL" : "renewed_by IS NULL");
  if (q.after !== undefined) {
    where.push("(created_at < ? OR (created_at = ? AND serial < ?))");
    args.push(q.after.created_at, q.after.created_at, q.after.serial);
  }
  // The page is chosen from index entries first (an index entry holds the rowid) and only its rows are read:
  // sorting whole rows (PEM included) of every match, e.g. 15,000 at risk in a ledger of a million, took 300 ms.
  const page = `SELECT rowid FROM certificates ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, serial DESC LIMIT ?`;
  return { sql: `SELECT * FROM certificates WHERE rowid IN (${page}) ORDER BY created_at DESC, serial DESC`, args: [...args, q.limit] };
}

/**
 * The lifecycle queries (/metrics, expiry alerts), each answered from an index whose size is
 * what is current, not the ledger's history: the partial indexes of migrations/0003 hold only
 * unrevoked certificates by renewal state, and are read from `now` on; totals come from
 * certificate_counts (kept by triggers). Exported for the query-plan test and the scale bench.
 */
const UNRENEWED = "renewed_by IS NULL AND revoked_at IS NULL";
export const LIFECYCLE_SQL = {
  /** ?1 now. Expired = issued − revoked − active − renewed: counting the expired rows would read the whole history. */
  states: `SELECT
    (SELECT COUNT(*) FROM certificates WHERE ${UNRENEWED} AND not_after > ?1) AS active,
    (SELECT COUNT(*) FROM certificates WHERE renewed_by IS NOT NULL AND revoked_at IS NULL AND not_after > ?1) AS renewed,
    (SELECT COALESCE(SUM(issued), 0) FROM certificate_counts) AS issued,
    (SELECT COALESCE(SUM(revoked), 0) FROM certificate_counts) AS revoked`,
  /** ?1 now, ?2 cutoff. */
  countAtRisk: `SELECT COUNT(*) AS n FROM certificates WHERE ${UNRENEWED} AND not_after > ?1 AND not_after <= ?2`,
  /** ?1 now. */
  nextExpiry: `SELECT MIN(not_after) AS next FROM certificates WHERE ${UNRENEWED} AND not_after > ?1`,
  /** ?1 now, ?2 cutoff, ?3 limit. */
  soonest: `SELECT serial, hostnames, not_after, token_name, principal_subject, pem FROM certificates WHERE ${UNRENEWED} AND not_after > ?1 AND not_after <= ?2 ORDER BY not_after, serial LIMIT ?3`,
  totals: "SELECT token_name, key_source, issued, revoked FROM certificate_counts ORDER BY token_name, key_source",
  /** ?1 now, ?2 cutoff, ?3 day, ?4 limit. */
  alertsDue: `SELECT serial, hostnames, not_after, token_name, principal_subject, pem FROM certificates c WHERE ${UNRENEWED} AND not_after > ?1 AND not_after <= ?2
    AND NOT EXISTS (SELECT 1 FROM expiry_alerts a WHERE a.serial = c.serial AND a.day = ?3) ORDER BY not_after, serial LIMIT ?4`,
  markRenewed: MARK_RENEWED,
  /**
   * ?1 renewal_key, ?2 the serial just revoked (run after its revocation): the certificates it renewed are
   * renewed by the newest unrevoked, unrenewed certificate with their key recorded after them, or by none.
   * Both lookups are seeks in certificates_renewable.
   */
  unmarkRenewed: `UPDATE certificates SET (renewed_by, renewed_at) = (
      SELECT h.serial, h.created_at FROM certificates h
      WHERE h.renewal_key = certificates.renewal_key AND h.renewed_by IS NULL AND h.revoked_at IS NULL AND h.rowid > certificates.rowid
      ORDER BY h.rowid DESC LIMIT 1)
    WHERE renewal_key = ?1 AND renewed_by = ?2 AND revoked_at IS NULL`,
} as const;

interface AtRiskRow extends Omit<AtRiskCertificate, "hostnames"> {
  hostnames: string;
}

const toAtRisk = (r: AtRiskRow): AtRiskCertificate => ({ ...r, hostnames: JSON.parse(r.hostnames) as string[] });

async function lifecycleOf(db: D1Database, q: LifecycleQuery): Promise<LifecycleSnapshot> {
  const [states, next, soonest, totals, ...atRisk] = await db.batch([
    db.prepare(LIFECYCLE_SQL.states).bind(q.now),
    db.prepare(LIFECYCLE_SQL.nextExpiry).bind(q.now),
    db.prepare(LIFECYCLE_SQL.soonest).bind(q.now, q.listBefore, q.limit),
    db.prepare(LIFECYCLE_SQL.totals),
    ...q.atRiskBefore.map((before) => db.prepare(LIFECYCLE_SQL.countAtRisk).bind(q.now, before)),
  ]);
  const s = (states!.results as { active: number; renewed: number; issued: number; revoked: number }[])[0]!;
  return {
    states: { active: s.active, renewed: s.renewed, revoked: s.revoked, expired: Math.max(0, s.issued - s.revoked - s.active - s.renewed) },
    atRisk: atRisk.map((r) => (r.results as { n: number }[])[0]!.n),
    nextExpiry: (next!.results as { next: string | null }[])[0]?.next ?? null,
    soonest: (soonest!.results as AtRiskRow[]).map(toAtRisk),
    totals: totals!.results as IssuanceTotal[],
  };
}

const writersByDb = new WeakMap<D1Database, GroupCommit<LedgerWrite>>();

export interface LedgerWriteOptions {
  /** Share D1 batches between concurrent requests (needs the runtime's cross-request promise handling, on by default in Workers). */
  groupCommit: boolean;
}

/** How writes reach D1: the one group-commit queue of a database in this isolate (shared by the ledger and the audit log), or one call each. */
function ledgerWriter(db: D1Database, options: LedgerWriteOptions): Pick<GroupCommit<LedgerWrite>, "write"> {
  if (!options.groupCommit) return { write: async (w) => void (await flushLedgerWrites(db, [w])) };
  let writer = writersByDb.get(db);
  if (!writer) {
    writer = new GroupCommit<LedgerWrite>({
      maxBatch: MAX_GROUP,
      // D1 caps a bound string at 2 MB: keep a batch's JSON well under it, whatever the names.
      maxWeight: MAX_GROUP_BYTES,
      weight: writeWeight,
      // Only a constraint violation (a serial collision) proves the transaction wrote nothing; anything else may have committed.
      retryAlone: (e) => e instanceof Error && /constraint failed/i.test(e.message),
      flush: async (writes) => void (await flushLedgerWrites(db, writes)),
    });
    writersByDb.set(db, writer);
  }
  return writer;
}

/** How stale a revocation snapshot may be: the bound on how late POST /v1/verify sees a revocation made in another isolate. */
export const REVOCATION_SNAPSHOT_MS = 1000;
/** A snapshot holds at most this many revocations per issuer; past it, each verify asks D1 directly. */
const SNAPSHOT_LIMIT = 20_000;
/** Issuers with a snapshot, bounded so hostile chains (any issuer fingerprint) cannot grow it. */
const SNAPSHOT_ISSUERS = 8;

interface RevocationSnapshot {
  takenAt: number;
  /** null: too many to hold, look each one up (and do not try again for TOO_MANY_MS). */
  entries: Map<string, Omit<RevokedEntry, "serial">> | null;
}

/** How long an issuer with more than SNAPSHOT_LIMIT revocations is looked up one serial at a time before a snapshot is tried again. */
const TOO_MANY_MS = 300_000;

interface Snapshots {
  byIssuer: Map<string, RevocationSnapshot>;
  /** Bumped by every revocation of the issuer: a snapshot read that started before one is not installed. */
  generation: Map<string, number>;
}

const snapshotsByDb = new WeakMap<D1Database, Snapshots>();

function snapshotsOf(db: D1Database): Snapshots {
  let s = snapshotsByDb.get(db);
  if (!s) snapshotsByDb.set(db, (s = { byIssuer: new Map(), generation: new Map() }));
  return s;
}

/** Forgets the issuer's snapshot, including one being read right now. */
function invalidateRevocations(db: D1Database, issuerFingerprint: string): void {
  const s = snapshotsOf(db);
  s.byIssuer.delete(issuerFingerprint);
  s.generation.set(issuerFingerprint, (s.generation.get(issuerFingerprint) ?? 0) + 1);
  if (s.generation.size > SNAPSHOT_ISSUERS * 4) s.generation.delete(s.generation.keys().next().value!);
}

/**
 * Revocation status for POST /v1/verify without a D1 query per request: every
 * revocation of an issuer, read at most once a second per isolate (one query
 * instead of one per verification; D1's own read replicas lag similarly).
 */
async function revocationOf(db: D1Database, issuerFingerprint: string, serial: string): Promise<Omit<RevokedEntry, "serial"> | null> {
  const snapshots = snapshotsOf(db);
  const now = Date.now();
  const cached = snapshots.byIssuer.get(issuerFingerprint);
  const age = cached ? now - cached.takenAt : Infinity;
  let snapshot: RevocationSnapshot;
  if (cached && age >= 0 && age < (cached.entries ? REVOCATION_SNAPSHOT_MS : TOO_MANY_MS)) snapshot = cached;
  else {
    const generation = snapshots.generation.get(issuerFingerprint) ?? 0;
    const { results } = await db
      .prepare("SELECT serial, revoked_at, revocation_reason FROM certificates WHERE issuer_fingerprint = ? AND revoked_at IS NOT NULL LIMIT ?")
      .bind(issuerFingerprint, SNAPSHOT_LIMIT + 1)
      .all<RevokedEntry>();
    snapshot = {
      takenAt: now,
      entries: results.length > SNAPSHOT_LIMIT ? null : new Map(results.map((r) => [r.serial, { revoked_at: r.revoked_at, revocation_reason: r.revocation_reason }])),
    };
    // A revocation during the read may be missing from it: answer from it this once, but do not keep it.
    if ((snapshots.generation.get(issuerFingerprint) ?? 0) === generation) {
      snapshots.byIssuer.delete(issuerFingerprint);
      if (snapshots.byIssuer.size >= SNAPSHOT_ISSUERS) snapshots.byIssuer.delete(snapshots.byIssuer.keys().next().value!);
      snapshots.byIssuer.set(issuerFingerprint, snapshot);
    }
  }
  if (snapshot.entries) return snapshot.entries.get(serial) ?? null;
  return db
    .prepare("SELECT revoked_at, revocation_reason FROM certificates WHERE serial = ? AND issuer_fingerprint = ? AND revoked_at IS NOT NULL")
    .bind(serial, issuerFingerprint)
    .first<Omit<RevokedEntry, "serial">>();
}

/** Active certificates per issuing CA, renewed ones apart; covered by certificates_active_by_issuer (migrations/0004). */
export const ACTIVE_BY_ISSUER = `SELECT issuer_fingerprint, COUNT(*) - SUM(renewed) AS active, SUM(renewed) AS renewed, MAX(not_after) AS latest_not_after
  FROM (SELECT issuer_fingerprint, not_after, renewed_by IS NOT NULL AS renewed FROM certificates WHERE revoked_at IS NULL AND not_after > ?)
  GROUP BY issuer_fingerprint`;

export function d1Ledger(db: D1Database, options: LedgerWriteOptions = { groupCommit: true }): Ledger {
  const writer = ledgerWriter(db, options);
  return {
    revocation(issuerFingerprint, serial) {
      return revocationOf(db, issuerFingerprint, serial);
    },

    record(certificate, audit, keepAlive) {
      return writer.write({ certificate, audit }, keepAlive);
    },

    async get(serial) {
      const row = await db.prepare("SELECT * FROM certificates WHERE serial = ?").bind(serial).first<CertificateRow>();
      return row ? toRecord(row) : null;
    },

    async list(q) {
      const { sql, args } = listQuery(q);
      const { results } = await db.prepare(sql).bind(...args).all<CertificateRow>();
      return results.map(toRecord);
    },

    lifecycle(q) {
      return lifecycleOf(db, q);
    },

    async revoke(serial, reason, at, audit) {
      const cert = await db.prepare("SELECT issuer_fingerprint, renewal_key FROM certificates WHERE serial = ?").bind(serial).first<{ issuer_fingerprint: string; renewal_key: string | null }>();
      if (!cert) return null;
      // This isolate's verifications see the revocation at once (before and after the write, so a snapshot read
      // meanwhile is not kept); other isolates within REVOCATION_SNAPSHOT_MS.
      invalidateRevocations(db, cert.issuer_fingerprint);
      await db.batch([
        db.prepare("UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE serial = ? AND revoked_at IS NULL").bind(at, reason, serial),
        // Every revocation bumps the revision, so the cached CRL is rebuilt on the next fetch.
        db
          .prepare("INSERT INTO crl_state (issuer_fingerprint, crl_number, revision) VALUES (?, 0, 1) ON CONFLICT (issuer_fingerprint) DO UPDATE SET revision = revision + 1")
          .bind(cert.issuer_fingerprint),
        // A revoked renewal renews nothing: its predecessors fall back to the newest current certificate with their key, or become at risk again.
        db.prepare(LIFECYCLE_SQL.unmarkRenewed).bind(cert.renewal_key, serial),
        auditInsert(db, audit),
      ]);
      invalidateRevocations(db, cert.issuer_fingerprint);
      return this.get(serial);
    },

    async activeByIssuer(now) {
      const { results } = await db.prepare(ACTIVE_BY_ISSUER).bind(now).all<IssuerCount>();
      return results;
    },

    async revoked(issuerFingerprint, now) {
      const { results } = await db
        .prepare(
          "SELECT serial, revoked_at, revocation_reason FROM certificates WHERE issuer_fingerprint = ? AND revoked_at IS NOT NULL AND not_after > ? ORDER BY revoked_at, serial",
        )
        .bind(issuerFingerprint, now)
        .all<RevokedEntry>();
      return results;
    },
  };
}

export function d1AuditLog(db: D1Database, options: LedgerWriteOptions = { groupCommit: true }): AuditLog {
  const writer = ledgerWriter(db, options);
  return {
    append(event, keepAlive) {
      return writer.write({ certificate: null, audit: event }, keepAlive);
    },
    async purgeBefore(before) {
      await db.prepare("DELETE FROM audit_events WHERE at < ?").bind(before).run();
    },
    async list(q: AuditQuery) {
      const where: string[] = [];
      const args: unknown[] = [];
      if (q.since !== undefined) {
        where.push("at >= ?");
        args.push(q.since);
      }
      if (q.until !== undefined) {
        where.push("at < ?");
        args.push(q.until);
      }
      filterByPrincipal(q, where, args);
      if (q.beforeId !== undefined) {
        where.push("id < ?");
        args.push(q.beforeId);
      }
      const sql = `SELECT id, ${AUDIT_COLUMNS} FROM audit_events ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
      const { results } = await db.prepare(sql).bind(...args, q.limit).all<AuditRecord>();
      return results;
    },
  };
}

export function d1IdempotencyStore(db: D1Database): IdempotencyStore {
  // API tokens hold keys under subject "" (a primary key column cannot usefully be NULL).
  const subjectOf = (owner: PrincipalId) => owner.subject ?? "";
  return {
    async claim(r: IdempotencyRecord) {
      const inserted = await db
        .prepare(
          `INSERT INTO idempotency_keys (token_name, principal_subject, key, request_hash, state, serial, sealed_key, created_at, expires_at)
           VALUES (?, ?, ?, ?, 'pending', NULL, NULL, ?, ?) ON CONFLICT (token_name, principal_subject, key) DO NOTHING`,
        )
        .bind(r.token_name, r.principal_subject, r.key, r.request_hash, r.created_at, r.expires_at)
        .run();
      if (inserted.meta.changes === 1) return null;
      return this.get({ name: r.token_name, subject: r.principal_subject }, r.key);
    },
    async complete(owner, key, serial, sealedKey) {
      await db
        .prepare("UPDATE idempotency_keys SET state = 'done', serial = ?, sealed_key = ? WHERE token_name = ? AND principal_subject = ? AND key = ?")
        .bind(serial, sealedKey, owner.name, subjectOf(owner), key)
        .run();
    },
    async takeOver(r, previousCreatedAt) {
      const res = await db
        .prepare(
          "UPDATE idempotency_keys SET created_at = ?, expires_at = ? WHERE token_name = ? AND principal_subject = ? AND key = ? AND state = 'pending' AND request_hash = ? AND created_at = ?",
        )
        .bind(r.created_at, r.expires_at, r.token_name, r.principal_subject, r.key, r.request_hash, previousCreatedAt)
        .run();
      return res.meta.changes === 1;
    },
    async release(owner, key) {
      await db.prepare("DELETE FROM idempotency_keys WHERE token_name = ? AND principal_subject = ? AND key = ? AND state = 'pending'").bind(owner.name, subjectOf(owner), key).run();
    },
    async get(owner, key) {
      return db.prepare("SELECT * FROM idempotency_keys WHERE token_name = ? AND principal_subject = ? AND key = ?").bind(owner.name, subjectOf(owner), key).first<IdempotencyRecord>();
    },
    async purgeExpired(now) {
      await db.prepare("DELETE FROM idempotency_keys WHERE expires_at <= ?").bind(now).run();
    },
  };
}

export function d1CrlStore(db: D1Database): CrlStore {
  return {
    async get(issuerFingerprint) {
      const row = await db.prepare("SELECT * FROM crl_state WHERE issuer_fingerprint = ?").bind(issuerFingerprint).first<Omit<CrlState, "der"> & { der: ArrayBuffer | number[] | null }>();
      if (!row) return null;
      return { ...row, der: row.der ? new Uint8Array(row.der as ArrayBuffer) : null };
    },
    async save(s, previousNumber) {
      if (previousNumber === null) {
        const r = await db
          .prepare(
            `INSERT INTO crl_state (issuer_fingerprint, crl_number, revision, built_revision, der, this_update, next_update)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (issuer_fingerprint) DO NOTHING`,
          )
          .bind(s.issuer_fingerprint, s.crl_number, s.revision, s.built_revision, s.der, s.this_update, s.next_update)
          .run();
        return r.meta.changes === 1;
      }
      // Optimistic: only the first builder of number previousNumber + 1 wins, so CRL numbers never repeat.
      const r = await db
        .prepare("UPDATE crl_state SET crl_number = ?, built_revision = ?, der = ?, this_update = ?, next_update = ? WHERE issuer_fingerprint = ? AND crl_number = ?")
        .bind(s.crl_number, s.built_revision, s.der, s.this_update, s.next_update, s.issuer_fingerprint, previousNumber)
        .run();
      return r.meta.changes === 1;
    },
  };
}

export function d1ExpiryAlertLog(db: D1Database): ExpiryAlertLog {
  return {
    async due(q) {
      const { results } = await db.prepare(LIFECYCLE_SQL.alertsDue).bind(q.now, q.before, q.day, q.limit).all<AtRiskRow>();
      return results.map(toAtRisk);
    },
    async markAlerted(serials, day, at) {
      await db
        .prepare("INSERT INTO expiry_alerts (serial, day, sent_at) SELECT value, ?2, ?3 FROM json_each(?1) WHERE true ON CONFLICT (serial, day) DO NOTHING")
        .bind(JSON.stringify(serials), day, at)
        .run();
    },
    async purgeBefore(day) {
      await db.prepare("DELETE FROM expiry_alerts WHERE day < ?").bind(day).run();
    },
  };
}
