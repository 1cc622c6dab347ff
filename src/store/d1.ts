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
  IssuerRef,
  AcmeFinalizeWrite,
} from "./types.ts";
import { LedgerWriteRefused } from "./types.ts";
import { GroupCommit } from "./group-commit.ts";
import type { IssuerCount } from "../pki/ca-status.ts";



const AUDIT_FIELDS = ["at", "event", "outcome", "status", "code", "token_name", "principal_subject", "client_address", "method", "path", "serial", "request_id", "detail"] as const;
const AUDIT_COLUMNS = AUDIT_FIELDS.join(", ");

function auditInsert(db: D1Database, e: AuditEvent): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO audit_events (${AUDIT_COLUMNS}) VALUES (${AUDIT_FIELDS.map(() => "?").join(", ")})`)
    .bind(...AUDIT_FIELDS.map((f) => e[f] ?? null));
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
  /** An ACME finalize's state change, landing with the certificate or not at all. */
  acme?: AcmeFinalizeWrite | undefined;
}

/**
 * An ACME finalize in the certificate's transaction: the nonce is spent (a plain insert, so a replay
 * fails the transaction), the order goes ready → valid naming the serial if it is still ready, unexpired,
 * fully authorized and its account still valid with this key; then an assertion that it did (a NULL into
 * a NOT NULL column fails the transaction otherwise). A failed group is retried write by write
 * (group-commit.ts, a constraint failure), so only this write fails, as LedgerWriteRefused.
 */
function acmeFinalizeStatements(db: D1Database, serial: string, a: AcmeFinalizeWrite): D1PreparedStatement[] {
  return [
    db.prepare("INSERT INTO acme_nonces (nonce, expires_at) VALUES (?, ?)").bind(a.nonce, a.nonceExpiresAt),
    db
      .prepare(
        `UPDATE acme_orders SET status = 'valid', certificate_serial = ?1, csr_sha256 = ?2
           WHERE id = ?3 AND account_id = ?4 AND status = 'ready' AND expires_at > ?5
             AND NOT EXISTS (SELECT 1 FROM acme_authorizations WHERE order_id = ?3 AND (status <> 'valid' OR expires_at <= ?5))
             AND EXISTS (SELECT 1 FROM acme_accounts WHERE id = ?4 AND thumbprint = ?6 AND status = 'valid' AND (?7 IS NULL OR binding = ?7))`,
      )
      .bind(serial, a.csrSha256, a.orderId, a.accountId, a.now, a.thumbprint, a.binding ?? null),
    db.prepare("INSERT INTO acme_nonces (nonce, expires_at) SELECT ?1, NULL WHERE NOT EXISTS (SELECT 1 FROM acme_orders WHERE id = ?2 AND certificate_serial = ?3)").bind(`order-not-ready:${a.orderId}`, a.orderId, serial),
  ];
}

/** The refusal a guarded write's failure is, if it is one. */
function acmeRefusal(e: unknown): LedgerWriteRefused | null {
  if (!(e instanceof Error)) return null;
  if (/UNIQUE constraint failed: acme_nonces\.nonce/.test(e.message)) return new LedgerWriteRefused("nonce_spent");
  if (/NOT NULL constraint failed: acme_nonces\.expires_at/.test(e.message)) return new LedgerWriteRefused("order_not_ready");
  return null;
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
  "serial", "sha256_fingerprint", "pem", "hostnames", "usage", "key_algorithm", "key_source", "not_before", "not_after", "issuer_fingerprint", "token_name", "principal_subject", "request_id", "created_at", "renewal_key", "replaces", "acme_account_id",
] as const;

/** Each column read from the JSON array bound as ?1: one statement inserts every row of a group (SQLite json_each). */
const INSERT_CERTIFICATES = `INSERT INTO certificates (${CERTIFICATE_COLUMNS.join(", ")}) SELECT ${CERTIFICATE_COLUMNS.map((c) => `value ->> '${c}'`).join(", ")} FROM json_each(?1)`;
const INSERT_NAMES = "INSERT INTO certificate_names (name, serial) SELECT n.value, c.value ->> 'serial' FROM json_each(?1) c, json_each(c.value ->> 'hostnames') n";
/**
 * Renewal marking by names, for a whole group in one statement: ?1 holds the group's {serial,
 * renewal_key, token_name, principal_subject, replaces, created_at} in recording order. Only
 * certificates recorded without `replaces` mark by names, and only certificates of the same
 * principal (token or trust policy name and OIDC `sub`): one caller's renewal must never silence
 * another caller's at-risk certificate. Per (key, principal), the group's last such certificate
 * marks every other active, unrenewed, unrevoked certificate with that key and principal,
 * including earlier ones of the same group: the newest wins. It runs after the insert, in the
 * same batch (one transaction). Looked up through certificates_renewable.
 */
const MARK_RENEWED = `UPDATE certificates SET renewed_by = n.serial, renewed_at = n.created_at
  FROM (SELECT j.value ->> 'serial' AS serial, j.value ->> 'renewal_key' AS renewal_key, j.value ->> 'token_name' AS token_name,
          j.value ->> 'principal_subject' AS principal_subject, j.value ->> 'created_at' AS created_at FROM json_each(?1) j
        WHERE j.value ->> 'replaces' IS NULL
          AND NOT EXISTS (SELECT 1 FROM json_each(?1) later WHERE later.key > j.key AND later.value ->> 'replaces' IS NULL
            AND later.value ->> 'renewal_key' = j.value ->> 'renewal_key' AND later.value ->> 'token_name' = j.value ->> 'token_name'
            AND later.value ->> 'principal_subject' IS j.value ->> 'principal_subject')) AS n
  WHERE certificates.renewal_key = n.renewal_key AND certificates.renewed_by IS NULL AND certificates.revoked_at IS NULL
    AND certificates.token_name = n.token_name AND certificates.principal_subject IS n.principal_subject
    AND certificates.serial <> n.serial AND certificates.not_after > n.created_at`;
/**
 * Exact renewal marking: a certificate recorded with `replaces` marks that one predecessor and
 * nothing else (RFC 9773 §5), revoked or not (replacing a revoked certificate is what its moved
 * renewal window asks for, and marking it makes a second replacement already_replaced).
 * ?1 as for MARK_RENEWED; a primary-key seek per replacement.
 */
const MARK_REPLACED = `UPDATE certificates SET renewed_by = n.serial, renewed_at = n.created_at
  FROM (SELECT value ->> 'serial' AS serial, value ->> 'replaces' AS replaces, value ->> 'created_at' AS created_at FROM json_each(?1)
        WHERE value ->> 'replaces' IS NOT NULL) AS n
  WHERE certificates.serial = n.replaces AND certificates.renewed_by IS NULL`;
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
  for (const w of writes) if (w.acme && w.certificate) statements.push(...acmeFinalizeStatements(db, w.certificate.serial, w.acme));
  if (certificates.length > 0) {
    // The names and renewal statements get only what they read: binding the whole rows (PEM included) again would multiply the bytes D1 carries.
    statements.push(
      db.prepare(INSERT_CERTIFICATES).bind(JSON.stringify(certificates)),
      db.prepare(INSERT_NAMES).bind(JSON.stringify(certificates.map((c) => ({ serial: c.serial, hostnames: c.hostnames })))),
    );
    const marking = JSON.stringify(
      certificates.map((c) => ({ serial: c.serial, renewal_key: c.renewal_key, token_name: c.token_name, principal_subject: c.principal_subject, replaces: c.replaces ?? null, created_at: c.created_at })),
    );
    statements.push(db.prepare(MARK_RENEWED).bind(marking));
    if (certificates.some((c) => c.replaces)) statements.push(db.prepare(MARK_REPLACED).bind(marking));
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
/** The successor a certificate falls back to when the one that renewed it is revoked (same key, same principal, recorded later). */
const RENEWED_AGAIN = `SELECT h.serial, h.created_at FROM certificates h
      WHERE h.renewal_key = certificates.renewal_key AND h.renewed_by IS NULL AND h.revoked_at IS NULL AND h.rowid > certificates.rowid
        AND h.token_name = certificates.token_name AND h.principal_subject IS certificates.principal_subject
      ORDER BY h.rowid DESC LIMIT 1`;
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
  markReplaced: MARK_REPLACED,
  /**
   * ?1 renewal_key, ?2 the serial just revoked (run after its revocation): the certificates it renewed by
   * names are renewed by the newest unrevoked, unrenewed certificate of the same principal with their key
   * recorded after them, or by none. Both lookups are seeks in certificates_renewable.
   */
  unmarkRenewed: `UPDATE certificates SET (renewed_by, renewed_at) = (${RENEWED_AGAIN})
    WHERE renewal_key = ?1 AND renewed_by = ?2 AND revoked_at IS NULL`,
  /**
   * ?1 the predecessor a revoked certificate named in `replaces`, ?2 that revoked serial: the predecessor
   * (whatever its names) falls back the same way. A primary-key seek.
   */
  unmarkReplaced: `UPDATE certificates SET (renewed_by, renewed_at) = (${RENEWED_AGAIN})
    WHERE serial = ?1 AND renewed_by = ?2`,
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
  /** Keyed by issuer fingerprint and identity (issuerKey). */
  byIssuer: Map<string, RevocationSnapshot>;
  /**
   * Bumped by every revocation: a snapshot read that started before one is not installed. One counter
   * for all issuers, since a revocation may concern several (the certificates of one CA identity).
   */
  generation: number;
}

/** Also written into the SQL: the fingerprint ?1 and every registered fingerprint of the identity ?2. */
const SAME_ISSUER = "issuer_fingerprint IN (SELECT ?1 UNION SELECT fingerprint FROM issuers WHERE identity = ?2)";

/** A CA's CRL entries (Ledger.revoked): exported for the query-plan test. */
export const REVOKED_BY_ISSUER = `SELECT serial, revoked_at, revocation_reason FROM certificates WHERE ${SAME_ISSUER} AND revoked_at IS NOT NULL AND not_after > ?3 ORDER BY revoked_at, serial`;

const issuerKey = (issuer: IssuerRef) => `${issuer.fingerprint}|${issuer.identity ?? ""}`;

const snapshotsByDb = new WeakMap<D1Database, Snapshots>();
/** CA certificates this isolate has registered in `issuers` (registerIssuer), so each costs one write per isolate. */
const registeredByDb = new WeakMap<D1Database, Set<string>>();

function snapshotsOf(db: D1Database): Snapshots {
  let s = snapshotsByDb.get(db);
  if (!s) snapshotsByDb.set(db, (s = { byIssuer: new Map(), generation: 0 }));
  return s;
}

/** Forgets every snapshot, including one being read right now (revocations are rare; snapshots are a second's worth). */
function invalidateRevocations(db: D1Database): void {
  const s = snapshotsOf(db);
  s.byIssuer.clear();
  s.generation++;
}

/**
 * Revocation status for POST /v1/verify without a D1 query per request: every
 * revocation of an issuer, read at most once a second per isolate (one query
 * instead of one per verification; D1's own read replicas lag similarly).
 */
async function revocationOf(db: D1Database, issuer: IssuerRef, serial: string): Promise<Omit<RevokedEntry, "serial"> | null> {
  const snapshots = snapshotsOf(db);
  const now = Date.now();
  const key = issuerKey(issuer);
  const cached = snapshots.byIssuer.get(key);
  const age = cached ? now - cached.takenAt : Infinity;
  let snapshot: RevocationSnapshot;
  if (cached && age >= 0 && age < (cached.entries ? REVOCATION_SNAPSHOT_MS : TOO_MANY_MS)) snapshot = cached;
  else {
    const generation = snapshots.generation;
    const { results } = await db
      .prepare(`SELECT serial, revoked_at, revocation_reason FROM certificates WHERE ${SAME_ISSUER} AND revoked_at IS NOT NULL LIMIT ?3`)
      .bind(issuer.fingerprint, issuer.identity, SNAPSHOT_LIMIT + 1)
      .all<RevokedEntry>();
    snapshot = {
      takenAt: now,
      entries: results.length > SNAPSHOT_LIMIT ? null : new Map(results.map((r) => [r.serial, { revoked_at: r.revoked_at, revocation_reason: r.revocation_reason }])),
    };
    // A revocation during the read may be missing from it: answer from it this once, but do not keep it.
    if (snapshots.generation === generation) {
      snapshots.byIssuer.delete(key);
      if (snapshots.byIssuer.size >= SNAPSHOT_ISSUERS) snapshots.byIssuer.delete(snapshots.byIssuer.keys().next().value!);
      snapshots.byIssuer.set(key, snapshot);
    }
  }
  if (snapshot.entries) return snapshot.entries.get(serial) ?? null;
  return db
    .prepare(`SELECT revoked_at, revocation_reason FROM certificates WHERE ${SAME_ISSUER} AND serial = ?3 AND revoked_at IS NOT NULL`)
    .bind(issuer.fingerprint, issuer.identity, serial)
    .first<Omit<RevokedEntry, "serial">>();
}

/** Active certificates per issuing CA, renewed ones apart; covered by certificates_active_by_issuer (migrations/0004). */
export const ACTIVE_BY_ISSUER = `SELECT issuer_fingerprint, COUNT(*) - SUM(renewed) AS active, SUM(renewed) AS renewed, MAX(not_after) AS latest_not_after
  FROM (SELECT issuer_fingerprint, not_after, renewed_by IS NOT NULL AS renewed FROM certificates WHERE revoked_at IS NULL AND not_after > ?)
  GROUP BY issuer_fingerprint`;

export function d1Ledger(db: D1Database, options: LedgerWriteOptions = { groupCommit: true }): Ledger {
  const writer = ledgerWriter(db, options);
  return {
    revocation(issuer, serial) {
      return revocationOf(db, issuer, serial);
    },

    async registerIssuer(issuer) {
      const seen = registeredByDb.get(db) ?? new Set<string>();
      registeredByDb.set(db, seen);
      const key = `${issuer.fingerprint}|${issuer.identity}`;
      if (seen.has(key)) return;
      await db.prepare("INSERT INTO issuers (fingerprint, identity) VALUES (?, ?) ON CONFLICT (fingerprint) DO NOTHING").bind(issuer.fingerprint, issuer.identity).run();
      seen.add(key);
    },

    async issuerIdentities() {
      const { results } = await db.prepare("SELECT fingerprint, identity FROM issuers").all<{ fingerprint: string; identity: string }>();
      return results;
    },

    record(certificate, audit, keepAlive, acme) {
      if (!acme) return writer.write({ certificate, audit }, keepAlive);
      return writer.write({ certificate, audit, acme }, keepAlive).catch((e: unknown) => {
        throw acmeRefusal(e) ?? e;
      });
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
      const cert = await db
        .prepare("SELECT issuer_fingerprint, renewal_key, replaces FROM certificates WHERE serial = ?")
        .bind(serial)
        .first<{ issuer_fingerprint: string; renewal_key: string | null; replaces: string | null }>();
      if (!cert) return null;
      // This isolate's verifications see the revocation at once (before and after the write, so a snapshot read
      // meanwhile is not kept); other isolates within REVOCATION_SNAPSHOT_MS.
      invalidateRevocations(db);
      await db.batch([
        db.prepare("UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE serial = ? AND revoked_at IS NULL").bind(at, reason, serial),
        // Every revocation bumps the revision, so the cached CRL is rebuilt on the next fetch: the CRL of the
        // certificate that signed it and of every other certificate of the same CA identity (they list it too).
        db
          .prepare(
            `INSERT INTO crl_state (issuer_fingerprint, crl_number, revision)
               SELECT f, 0, 1 FROM (SELECT ?1 AS f UNION SELECT b.fingerprint FROM issuers a JOIN issuers b ON b.identity = a.identity WHERE a.fingerprint = ?1) WHERE true
             ON CONFLICT (issuer_fingerprint) DO UPDATE SET revision = revision + 1`,
          )
          .bind(cert.issuer_fingerprint),
        // A revoked renewal renews nothing: its predecessors fall back to the newest current certificate with their key, or become at risk again.
        db.prepare(LIFECYCLE_SQL.unmarkRenewed).bind(cert.renewal_key, serial),
        ...(cert.replaces ? [db.prepare(LIFECYCLE_SQL.unmarkReplaced).bind(cert.replaces, serial)] : []),
        auditInsert(db, audit),
      ]);
      invalidateRevocations(db);
      return this.get(serial);
    },

    async activeByIssuer(now) {
      const { results } = await db.prepare(ACTIVE_BY_ISSUER).bind(now).all<IssuerCount>();
      return results;
    },

    async revoked(issuer, now) {
      const { results } = await db
        .prepare(REVOKED_BY_ISSUER)
        .bind(issuer.fingerprint, issuer.identity, now)
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
    async countRefusal(event) {
      // Minute resolution: "2026-12-07T09:15" of the ISO time.
      const bucket = JSON.stringify([event.client_address ?? "", event.status, event.code ?? "", event.at.slice(0, 16)]);
      await db
        .prepare(
          `INSERT INTO audit_events (${AUDIT_COLUMNS}, bucket) VALUES (${AUDIT_FIELDS.map(() => "?").join(", ")}, ?) ON CONFLICT (bucket) WHERE bucket IS NOT NULL DO UPDATE SET count = count + 1`,
        )
        .bind(...AUDIT_FIELDS.map((f) => event[f] ?? null), bucket)
        .run();
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
      const sql = `SELECT id, ${AUDIT_COLUMNS}, count FROM audit_events ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
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
