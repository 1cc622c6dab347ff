/**
 * `replaces` (RFC 9773 §5): a new certificate may name the one predecessor it renews, so the
 * ledger marks exactly that one renewed. One check for every front end: the /v1 API passes its
 * principal's ownership test, ACME newOrder its account's; each maps the refusal to its own
 * error vocabulary (src/errors.ts codes here, RFC 8555 problem types for ACME).
 */
import { ApiError } from "../errors.ts";
import { err, ok, type Result } from "../pki/result.ts";
import type { SubjectName } from "../pki/names.ts";
import type { CertificateRecord, Ledger, Principal } from "../store/types.ts";

/** Why a `replaces` was refused. */
export type ReplacesRefusal =
  | { reason: "not_found"; serial: string }
  /** Issued to another principal (or ACME account). */
  | { reason: "not_owner"; serial: string }
  /** RFC 9773 §5: the predecessor and the new request must share at least one identifier. */
  | { reason: "no_shared_identifier"; serial: string; names: string[] }
  /** A later certificate already renewed it (RFC 9773 §5: 409 alreadyReplaced). */
  | { reason: "already_replaced"; serial: string; by: string };

export interface ReplacesLookup {
  /** The predecessor's ledger record by serial (lowercase hex, as the ledger holds it). */
  find(serial: string): Promise<CertificateRecord | null>;
  /** Whether the caller may replace it: same principal for the API, same account for ACME. */
  owns(record: CertificateRecord): boolean;
}

/**
 * Checks that `serial` names a certificate the caller owns, that shares one of `names`
 * (normalized: lower case, A-labels, canonical IPs, as the ledger stores them), and that nothing
 * renewed yet. Returns the predecessor.
 */
export async function checkReplaces(serial: string, names: readonly string[], lookup: ReplacesLookup): Promise<Result<CertificateRecord, ReplacesRefusal>> {
  const record = await lookup.find(serial);
  if (!record) return err({ reason: "not_found", serial });
  if (!lookup.owns(record)) return err({ reason: "not_owner", serial });
  const wanted = new Set(names);
  if (!record.hostnames.some((h) => wanted.has(h))) return err({ reason: "no_shared_identifier", serial, names: record.hostnames });
  if (record.renewed_by !== null) return err({ reason: "already_replaced", serial, by: record.renewed_by });
  return ok(record);
}

/** The API principal's ownership test: the same token name, or the same trust policy and OIDC `sub`. */
export function ownedByPrincipal(principal: Principal): (record: CertificateRecord) => boolean {
  return (record) => record.token_name === principal.name && record.principal_subject === (principal.subject ?? null);
}

/** A refusal as the API's error (src/errors.ts). */
export function replacesError(refusal: ReplacesRefusal): ApiError {
  const errors = (detail: string) => [{ pointer: "/replaces", detail }];
  switch (refusal.reason) {
    case "not_found":
      return new ApiError("replaces_not_found", `replaces: no certificate with serial number ${refusal.serial} was issued by this service`, { errors: errors("unknown serial") });
    case "not_owner":
      return new ApiError("replaces_forbidden", `replaces: certificate ${refusal.serial} was issued to another caller; only its own holder may replace it`, { errors: errors("issued to another caller") });
    case "no_shared_identifier":
      return new ApiError("replaces_unrelated", `replaces: certificate ${refusal.serial} (${refusal.names.join(", ")}) shares no name with this request (RFC 9773 §5)`, { errors: errors("shares no name") });
    case "already_replaced":
      return new ApiError("already_replaced", `replaces: certificate ${refusal.serial} was already replaced by ${refusal.by}`, { errors: errors(`replaced by ${refusal.by}`), extensions: { renewed_by: refusal.by } });
  }
}

/** The ledger's refusal of a second current replacement of one predecessor (migrations/0007, certificates_replaces). */
export function isReplacesConflict(e: unknown): boolean {
  return e instanceof Error && /UNIQUE constraint failed: certificates\.replaces/.test(e.message);
}

/** The API's check before signing: 4xx with a replaces_* or already_replaced code unless `serial` may be replaced by `principal`. */
export async function requireReplaceable(ctx: { ledger: Ledger }, principal: Principal, serial: string, names: readonly SubjectName[]): Promise<CertificateRecord> {
  const checked = await checkReplaces(
    serial,
    names.map((n) => n.value),
    { find: (s) => ctx.ledger.get(s), owns: ownedByPrincipal(principal) },
  );
  if (!checked.ok) throw replacesError(checked.error);
  return checked.value;
}
