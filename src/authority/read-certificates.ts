/**
 * Use cases: list the ledger and read one record (GET /v1/certificates,
 * GET /v1/certificates/{serial}), bounded like every other scope by the
 * caller's allowed names: a `read` token sees the certificates whose names
 * all fall inside its `allow` (the certificates it could have obtained or
 * revoked), a `*` token or an admin sees them all. A record outside the
 * bound is answered exactly as an unknown serial, so its existence, PEM and
 * OIDC `sub` stay with the callers entitled to them.
 */
import { ApiError } from "../errors.ts";
import { normalizeNames } from "../pki/names.ts";
import type { CertificateQuery, CertificateRecord, Ledger } from "../store/types.ts";
import { hasScope, type Principal } from "./policy.ts";

/** Rows scanned per query while filtering for a narrow caller, and queries per page at most. */
const SCAN_BATCH = 500;
const MAX_SCAN_BATCHES = 4;

export type LedgerPosition = NonNullable<CertificateQuery["after"]>;

/** Whether the caller may see every certificate (no per-record check needed). */
function seesAll(principal: Principal): boolean {
  return hasScope(principal, "admin") || principal.policy.patterns.includes("*");
}

/** Whether every name of the record falls inside the caller's allow (revocation's rule, src/authority/revoke-certificate.ts). */
export function mayRead(principal: Principal, record: Pick<CertificateRecord, "hostnames">): boolean {
  if (seesAll(principal)) return true;
  const names = normalizeNames(record.hostnames);
  // A recorded name the parser no longer accepts is shown to no narrow caller (fail closed).
  return names.ok && names.value.length > 0 && principal.policy.disallowed(names.value).length === 0;
}

const position = (r: CertificateRecord): LedgerPosition => ({ created_at: r.created_at, serial: r.serial });

/**
 * One page of the ledger the caller may see, newest first, and where the
 * next page starts (null at the end). For a narrow caller the ledger is
 * scanned in batches and filtered; after MAX_SCAN_BATCHES the page may be
 * short, and `next` then points past the last row scanned, so each request's
 * work is bounded and paging still reaches every visible record.
 */
export async function listCertificates(
  ledger: Ledger,
  principal: Principal,
  query: Omit<CertificateQuery, "limit">,
  limit: number,
): Promise<{ records: CertificateRecord[]; next: LedgerPosition | null }> {
  if (seesAll(principal)) {
    const rows = await ledger.list({ ...query, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return { records: page, next: rows.length > limit ? position(page[page.length - 1]!) : null };
  }
  const records: CertificateRecord[] = [];
  let after = query.after;
  for (let batch = 0; batch < MAX_SCAN_BATCHES; batch++) {
    const rows = await ledger.list({ ...query, after, limit: SCAN_BATCH });
    for (const row of rows) {
      if (!mayRead(principal, row)) {
        after = position(row);
        continue;
      }
      if (records.length === limit) return { records, next: position(records[limit - 1]!) };
      records.push(row);
      after = position(row);
    }
    if (rows.length < SCAN_BATCH) return { records, next: null };
  }
  return { records, next: after ?? null };
}

/** One record by serial, or 404 certificate_not_found when it does not exist or lies outside the caller's allow. */
export async function readCertificate(ledger: Ledger, principal: Principal, serial: string): Promise<CertificateRecord> {
  const record = await ledger.get(serial);
  if (!record || !mayRead(principal, record)) throw new ApiError("certificate_not_found", `no certificate with serial number ${serial} was issued by this service`);
  return record;
}
