/**
 * D1 implementation of the ACME store (migrations/0008_acme.sql). Every
 * statement is parameterized; the steps that must not race (spending an EAB
 * kid, claiming an order for finalize, changing a key) are single
 * conditional statements or one batch, which D1 runs as a transaction.
 */
import { AcmeProblem } from "../pki/acme/problem.ts";
import { AccountChanged, type AcmeAccountRecord, type AcmeAuthorizationRecord, type AcmeEabRecord, type AcmeOrderRecord, type AcmeStore, type CertificateRecord, type PendingNonce } from "./types.ts";

interface AccountRow extends Omit<AcmeAccountRecord, "jwk" | "contact" | "binding"> {
  jwk: string;
  contact: string;
  binding: string;
}

function toAccount(r: AccountRow): AcmeAccountRecord {
  return {
    id: r.id,
    thumbprint: r.thumbprint,
    jwk: JSON.parse(r.jwk) as Record<string, string>,
    status: r.status,
    contact: JSON.parse(r.contact) as string[],
    binding: JSON.parse(r.binding) as AcmeAccountRecord["binding"],
    eab_kid: r.eab_kid,
    created_at: r.created_at,
    expires_at: r.expires_at,
    deactivated_at: r.deactivated_at,
  };
}

interface OrderRow extends Omit<AcmeOrderRecord, "identifiers"> {
  identifiers: string;
}

function toOrder(r: OrderRow): AcmeOrderRecord {
  return { ...r, identifiers: JSON.parse(r.identifiers) as AcmeOrderRecord["identifiers"] };
}

interface AuthorizationRow {
  id: string;
  order_id: string;
  account_id: string;
  identifier_type: "dns" | "ip";
  identifier_value: string;
  wildcard: number;
  status: "valid" | "deactivated";
  expires_at: string;
}

function toAuthorization(r: AuthorizationRow): AcmeAuthorizationRecord {
  return {
    id: r.id,
    order_id: r.order_id,
    account_id: r.account_id,
    identifier: { type: r.identifier_type, value: r.identifier_value },
    wildcard: r.wildcard === 1,
    status: r.status,
    expires_at: r.expires_at,
  };
}

/** RFC 8555 §6.5: a nonce spent twice; the transaction it was part of wrote nothing. */
function replayed(): AcmeProblem {
  return new AcmeProblem("badNonce", "the nonce was already used; use the Replay-Nonce of this response (RFC 8555 §6.5)");
}

const SELECT_ACCOUNT = "SELECT * FROM acme_accounts WHERE id = ?";

/**
 * Spends a nonce with a plain insert (a replay fails the transaction: UNIQUE). Guarded by the account
 * (PendingNonce.account): expires_at is NULL unless the account is still valid with that key and binding, which
 * fails the transaction too (NOT NULL), so a request verified with a stale copy changes nothing.
 */
function spendStatement(db: D1Database, nonce: PendingNonce): D1PreparedStatement {
  if (!nonce.account) return db.prepare("INSERT INTO acme_nonces (nonce, expires_at) VALUES (?, ?)").bind(nonce.value, nonce.expiresAt);
  return db
    .prepare("INSERT INTO acme_nonces (nonce, expires_at) SELECT ?1, CASE WHEN EXISTS (SELECT 1 FROM acme_accounts WHERE id = ?3 AND thumbprint = ?4 AND status = 'valid' AND binding = ?5) THEN ?2 END")
    .bind(nonce.value, nonce.expiresAt, nonce.account.id, nonce.account.thumbprint, nonce.account.binding);
}

/** What a failed transaction that spent `nonce` means: a replay, a changed account, or neither. */
function spendFailure(e: unknown): Error | null {
  if (isUnique(e, "acme_nonces.nonce")) return replayed();
  if (e instanceof Error && /NOT NULL constraint failed: acme_nonces\.expires_at/.test(e.message)) return new AccountChanged();
  return null;
}

function isUnique(e: unknown, column: string): boolean {
  return e instanceof Error && e.message.includes("UNIQUE constraint failed") && e.message.includes(column);
}

export function d1AcmeStore(db: D1Database): AcmeStore {
  return {
    async spendNonce(nonce, expiresAt, account) {
      if (account) {
        try {
          await spendStatement(db, { value: nonce, expiresAt, spent: false, account }).run();
          return true;
        } catch (e) {
          const failure = spendFailure(e);
          if (failure instanceof AccountChanged) throw failure;
          if (failure) return false;
          throw e;
        }
      }
      const r = await db.prepare("INSERT INTO acme_nonces (nonce, expires_at) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING").bind(nonce, expiresAt).run();
      return r.meta.changes === 1;
    },
    async createEab(e) {
      await db
        .prepare("INSERT INTO acme_eab (kid, binding, principal_name, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
        .bind(e.kid, JSON.stringify(e.binding), e.binding.kind === "token" ? e.binding.name : e.binding.policy, e.created_at, e.expires_at)
        .run();
    },
    async eab(kid) {
      const r = await db.prepare("SELECT kid, binding, created_at, expires_at, spent_at, account_id FROM acme_eab WHERE kid = ?").bind(kid).first<Omit<AcmeEabRecord, "binding"> & { binding: string }>();
      return r ? { ...r, binding: JSON.parse(r.binding) as AcmeEabRecord["binding"] } : null;
    },
    async createAccount(a, now) {
      const subject = a.binding.kind === "oidc" ? a.binding.subject : null;
      const name = a.binding.kind === "token" ? a.binding.name : a.binding.policy;
      try {
        const [, insert] = await db.batch([
          // RFC 8555 §7.3.4 one-time use: the kid is spent only if unspent and unexpired, in the transaction that creates the account.
          db.prepare("UPDATE acme_eab SET spent_at = ?1, account_id = ?2 WHERE kid = ?3 AND spent_at IS NULL AND expires_at > ?1").bind(now, a.id, a.eab_kid),
          db
            .prepare(
              `INSERT INTO acme_accounts (id, thumbprint, jwk, status, contact, binding, principal_name, principal_subject, eab_kid, created_at, expires_at)
               SELECT ?1, ?2, ?3, 'valid', ?4, ?5, ?6, ?7, ?8, ?9, ?10 WHERE EXISTS (SELECT 1 FROM acme_eab WHERE kid = ?8 AND account_id = ?1)`,
            )
            .bind(a.id, a.thumbprint, JSON.stringify(a.jwk), JSON.stringify(a.contact), JSON.stringify(a.binding), name, subject, a.eab_kid, a.created_at, a.expires_at),
        ]);
        return insert!.meta.changes === 1 ? "created" : "eab_unusable";
      } catch (e) {
        if (isUnique(e, "thumbprint")) return "key_taken";
        throw e;
      }
    },
    async account(id) {
      const r = await db.prepare(SELECT_ACCOUNT).bind(id).first<AccountRow>();
      return r ? toAccount(r) : null;
    },
    async accountByThumbprint(thumbprint) {
      const r = await db.prepare("SELECT * FROM acme_accounts WHERE thumbprint = ?").bind(thumbprint).first<AccountRow>();
      return r ? toAccount(r) : null;
    },
    async setContact(id, contact) {
      await db.prepare("UPDATE acme_accounts SET contact = ? WHERE id = ? AND status = 'valid'").bind(JSON.stringify(contact), id).run();
    },
    async deactivateAccount(id, at) {
      const r = await db.prepare("UPDATE acme_accounts SET status = 'deactivated', deactivated_at = ? WHERE id = ? AND status = 'valid'").bind(at, id).run();
      return r.meta.changes === 1;
    },
    async changeKey(id, oldThumbprint, thumbprint, jwk) {
      try {
        const r = await db
          .prepare("UPDATE acme_accounts SET thumbprint = ?, jwk = ? WHERE id = ? AND thumbprint = ? AND status = 'valid'")
          .bind(thumbprint, JSON.stringify(jwk), id, oldThumbprint)
          .run();
        return r.meta.changes === 1 ? "changed" : "stale";
      } catch (e) {
        if (isUnique(e, "thumbprint")) return "key_taken";
        throw e;
      }
    },
    async listAccounts(limit, after) {
      const r = after
        ? await db.prepare("SELECT * FROM acme_accounts WHERE (created_at < ?1 OR (created_at = ?1 AND id < ?2)) ORDER BY created_at DESC, id DESC LIMIT ?3").bind(after.created_at, after.id, limit).all<AccountRow>()
        : await db.prepare("SELECT * FROM acme_accounts ORDER BY created_at DESC, id DESC LIMIT ?").bind(limit).all<AccountRow>();
      return r.results.map(toAccount);
    },
    async createOrder(o, authorizations, nonce) {
      // The nonce is spent in the order's transaction: a replay (or a changed account) fails it, and nothing is ordered.
      const spend = nonce ? [spendStatement(db, nonce)] : [];
      try {
        await db.batch([
        ...spend,
        db
          .prepare("INSERT INTO acme_orders (id, account_id, status, identifiers, not_before, not_after, expires_at, created_at, replaces) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
          .bind(o.id, o.account_id, o.status, JSON.stringify(o.identifiers), o.not_before, o.not_after, o.expires_at, o.created_at, o.replaces ?? null),
        db
          .prepare(
            `INSERT INTO acme_authorizations (id, order_id, account_id, identifier_type, identifier_value, wildcard, status, expires_at)
             SELECT value ->> 'id', value ->> 'order_id', value ->> 'account_id', value ->> 'type', value ->> 'value', value ->> 'wildcard', value ->> 'status', value ->> 'expires_at' FROM json_each(?)`,
          )
          .bind(
            JSON.stringify(
              authorizations.map((a) => ({ id: a.id, order_id: a.order_id, account_id: a.account_id, type: a.identifier.type, value: a.identifier.value, wildcard: a.wildcard ? 1 : 0, status: a.status, expires_at: a.expires_at })),
            ),
          ),
        ]);
      } catch (e) {
        throw (nonce && spendFailure(e)) || e;
      }
      if (nonce) nonce.spent = true;
    },
    async spendNonceAndRead(nonce, what) {
      const reads =
        "order" in what
          ? [db.prepare("SELECT * FROM acme_orders WHERE id = ?").bind(what.order), db.prepare("SELECT * FROM acme_authorizations WHERE order_id = ? ORDER BY rowid").bind(what.order)]
          : [db.prepare("SELECT pem, issuer_fingerprint, acme_account_id FROM certificates WHERE serial = ?").bind(what.certificate)];
      let results: D1Result[];
      try {
        results = await db.batch([spendStatement(db, nonce), ...reads]);
      } catch (e) {
        throw spendFailure(e) ?? e;
      }
      nonce.spent = true;
      if ("order" in what) {
        const o = results[1]!.results[0] as OrderRow | undefined;
        return { order: o ? toOrder(o) : null, authorizations: o ? (results[2]!.results as AuthorizationRow[]).map(toAuthorization) : [] };
      }
      return { certificate: (results[1]!.results[0] as Pick<CertificateRecord, "pem" | "issuer_fingerprint" | "acme_account_id"> | undefined) ?? null };
    },
    async accountWithOrder(accountId, orderId) {
      const [account, order, authorizations] = await db.batch([
        db.prepare(SELECT_ACCOUNT).bind(accountId),
        db.prepare("SELECT * FROM acme_orders WHERE id = ?").bind(orderId),
        db.prepare("SELECT * FROM acme_authorizations WHERE order_id = ? ORDER BY rowid").bind(orderId),
      ]);
      const a = account!.results[0] as AccountRow | undefined;
      const o = order!.results[0] as OrderRow | undefined;
      return { account: a ? toAccount(a) : null, order: o ? toOrder(o) : null, authorizations: o ? (authorizations!.results as AuthorizationRow[]).map(toAuthorization) : [] };
    },
    async accountWithCertificate(accountId, serial) {
      const [account, certificate] = await db.batch([
        db.prepare(SELECT_ACCOUNT).bind(accountId),
        db.prepare("SELECT pem, issuer_fingerprint, acme_account_id FROM certificates WHERE serial = ?").bind(serial),
      ]);
      const a = account!.results[0] as AccountRow | undefined;
      return { account: a ? toAccount(a) : null, certificate: (certificate!.results[0] as Pick<CertificateRecord, "pem" | "issuer_fingerprint" | "acme_account_id"> | undefined) ?? null };
    },
    async pendingReplacement(certId, now) {
      const r = await db
        // An order that reads as invalid (orders.ts orderStatus: an authorization deactivated, e.g. by certbot
        // --dry-run, or expired) no longer replaces anything; the same condition as the finalize claim (d1.ts).
        .prepare(
          `SELECT id FROM acme_orders o WHERE replaces = ?1 AND status IN ('ready', 'processing') AND expires_at > ?2
             AND NOT EXISTS (SELECT 1 FROM acme_authorizations a WHERE a.order_id = o.id AND (a.status <> 'valid' OR a.expires_at <= ?2)) LIMIT 1`,
        )
        .bind(certId, now)
        .first<{ id: string }>();
      return r?.id ?? null;
    },
    async order(id) {
      const r = await db.prepare("SELECT * FROM acme_orders WHERE id = ?").bind(id).first<OrderRow>();
      return r ? toOrder(r) : null;
    },
    async ordersOf(accountId, limit, now, after) {
      // Not invalid as of now, as orders.ts orderStatus reads an order: valid; or ready/processing, unexpired,
      // and (ready) with no authorization deactivated or expired.
      const r = await db
        .prepare(
          `SELECT id, created_at FROM acme_orders o WHERE account_id = ?1
             AND (status = 'valid' OR (status IN ('ready', 'processing') AND expires_at > ?2
               AND (status = 'processing' OR NOT EXISTS (SELECT 1 FROM acme_authorizations a WHERE a.order_id = o.id AND (a.status <> 'valid' OR a.expires_at <= ?2)))))
             AND (?3 IS NULL OR created_at < ?3 OR (created_at = ?3 AND id < ?4))
           ORDER BY created_at DESC, id DESC LIMIT ?5`,
        )
        .bind(accountId, now, after?.created_at ?? null, after?.id ?? null, limit)
        .all<{ id: string; created_at: string }>();
      return r.results;
    },
    async authorizationsOf(orderId) {
      const r = await db.prepare("SELECT * FROM acme_authorizations WHERE order_id = ? ORDER BY rowid").bind(orderId).all<AuthorizationRow>();
      return r.results.map(toAuthorization);
    },
    async authorization(id) {
      const r = await db.prepare("SELECT * FROM acme_authorizations WHERE id = ?").bind(id).first<AuthorizationRow>();
      return r ? toAuthorization(r) : null;
    },
    async deactivateAuthorization(id) {
      await db.prepare("UPDATE acme_authorizations SET status = 'deactivated' WHERE id = ?").bind(id).run();
    },
    async invalidateOrder(id, error) {
      await db.prepare("UPDATE acme_orders SET status = 'invalid', error = ? WHERE id = ? AND status IN ('ready', 'processing')").bind(error, id).run();
    },
    async purgeExpired(now) {
      await db.batch([
        db.prepare("DELETE FROM acme_nonces WHERE expires_at <= ?").bind(now),
        // Spent kids stay: they name the account they created. Unspent ones are dead after expiry.
        db.prepare("DELETE FROM acme_eab WHERE spent_at IS NULL AND expires_at <= ?").bind(now),
        db.prepare("DELETE FROM acme_authorizations WHERE order_id IN (SELECT id FROM acme_orders WHERE expires_at <= ? AND status <> 'valid')").bind(now),
        db.prepare("DELETE FROM acme_orders WHERE expires_at <= ? AND status <> 'valid'").bind(now),
      ]);
    },
  };
}
