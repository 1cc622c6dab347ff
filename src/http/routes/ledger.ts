/**
 * The ledger over HTTP: list and read issued certificates, revoke one, the
 * CRL, and the audit trail.
 */
import { Hono, type Context } from "hono";
import { lazySchema, z, type ZodType } from "../zod.ts";
import { inspectCaSet, issuerByFingerprint, requireCaSet } from "../../authority/certificate-authority.ts";
import { renewalWindowOf } from "../../authority/renewal-info.ts";
import { currentCrl } from "../../authority/certificate-revocation-list.ts";
import { listCertificates, readCertificate } from "../../authority/read-certificates.ts";
import { revokeCertificate } from "../../authority/revoke-certificate.ts";
import { ApiError, type FieldError } from "../../errors.ts";
import { toBase64Url, utf8 } from "../../pki/bytes.ts";
import { REVOCATION_REASONS } from "../../pki/crl.ts";
import { parseDuration } from "../../pki/duration.ts";
import { encodePem } from "../../pki/pem.ts";
import { normalizeSerial } from "../../pki/validity.ts";
import type { CaSet, CertificateAuthority } from "../../pki/certificate-authority.ts";
import type { CertificateRecord, CertificateStatus, Ledger } from "../../store/types.ts";
import { requestMeta, requireConfig, requireStores } from "../context.ts";
import { requireScope } from "../middleware/auth.ts";
import { parseJsonBody } from "../schemas.ts";
import type { AppEnv } from "../types.ts";

export const MAX_PAGE = 500;
const DEFAULT_PAGE = 100;

export { normalizeSerial };

function statusOf(r: CertificateRecord, now: Date): CertificateStatus {
  if (r.revoked_at !== null) return "revoked";
  return new Date(r.not_after) <= now ? "expired" : "active";
}

/** The configured CAs, whose previous one (during a rotation) has its certificates' renewal windows pulled into the past. */
async function caSetOrNull(c: Context<AppEnv>): Promise<CaSet | null> {
  // Reading the ledger needs no CA: when the CA set cannot be loaded (the issuing routes say why), no rotation is assumed.
  const set = await inspectCaSet(c.get("deps").caMaterial, c.get("now"));
  return set.ok ? set.value : null;
}

async function recordJson(r: CertificateRecord, now: Date, withPem: boolean, set: CaSet | null) {
  const window = await renewalWindowOf(set, r, now);
  return {
    serial_number: r.serial,
    status: statusOf(r, now),
    hostnames: r.hostnames,
    usage: r.usage,
    key_algorithm: r.key_algorithm,
    key_source: r.key_source,
    not_before: r.not_before,
    not_after: r.not_after,
    sha256_fingerprint: r.sha256_fingerprint,
    issuer_fingerprint: r.issuer_fingerprint,
    token_name: r.token_name,
    principal_subject: r.principal_subject,
    request_id: r.request_id,
    created_at: r.created_at,
    revoked_at: r.revoked_at,
    revocation_reason: r.revocation_reason,
    renewed_by: r.renewed_by,
    renewed_at: r.renewed_at,
    replaces: r.replaces ?? null,
    // RFC 9773's suggestedWindow for this certificate (the same as GET /acme/renewal-info/{certID}).
    renewal_window: { start: window.start.toISOString(), end: window.end.toISOString() },
    acme_account_id: r.acme_account_id ?? null,
    ...(withPem ? { certificate: r.pem } : {}),
  };
}

/** An opaque keyset cursor (base64url JSON), shared by the paged lists (certificates, audit, ACME accounts). */
export function encodeCursor(value: unknown): string {
  return toBase64Url(utf8(JSON.stringify(value)));
}

export function decodeCursor<T>(cursor: string, shape: ZodType<T>): T {
  try {
    const json = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    return shape.parse(JSON.parse(json));
  } catch {
    throw new ApiError("validation_failed", "cursor is not one this service returned", { errors: [{ pointer: "cursor", detail: "invalid cursor" }] });
  }
}

function queryError(errors: FieldError[]): never {
  throw new ApiError("validation_failed", errors.map((e) => `${e.pointer}: ${e.detail}`).join("; "), { errors });
}

function parseLimit(c: Context<AppEnv>): number {
  const text = c.req.query("limit");
  if (text === undefined) return DEFAULT_PAGE;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) queryError([{ pointer: "limit", detail: `a whole number from 1 to ${MAX_PAGE}` }]);
  return Math.min(n, MAX_PAGE);
}

function parseTime(c: Context<AppEnv>, name: string): string | undefined {
  const text = c.req.query(name);
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(t)) queryError([{ pointer: name, detail: "an RFC 3339 time such as 2026-01-31T00:00:00Z" }]);
  return new Date(t).toISOString();
}

/**
 * The CA whose CRL is asked for: the issuing one by default, else the one
 * named by `issuer` (SHA-256 of its certificate, as in the distribution point
 * of the certificates it signed), while it is configured. A fingerprint of an
 * earlier certificate of a configured CA (re-certified with the same subject
 * and key: the ledger's issuers table, migrations/0009) names that CA: its
 * CRL lists the revoked leaves of every certificate of it, and the leaves'
 * distribution points still carry the earlier fingerprint.
 */
async function crlIssuer(set: CaSet, ledger: Ledger, issuer: string | undefined): Promise<CertificateAuthority> {
  if (issuer === undefined) return set.issuing;
  const fp = issuer.replace(/:/g, "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(fp)) queryError([{ pointer: "issuer", detail: "the SHA-256 fingerprint of an issuing CA certificate, 64 hex digits" }]);
  let ca = issuerByFingerprint(set, fp);
  if (!ca) {
    const identity = (await ledger.issuerIdentities()).find((r) => r.fingerprint === fp)?.identity;
    ca = identity === undefined ? undefined : [set.issuing, set.previous].find((x) => x?.identity === identity) ?? undefined;
  }
  if (!ca) throw new ApiError("not_found", `no CRL for issuer sha256:${fp}: this service signs CRLs for its issuing CA and, until it is retired, the previous one`);
  return ca;
}

const CertificateCursor = lazySchema(() => z.object({ created_at: z.string(), serial: z.string() }));
const AuditCursor = lazySchema(() => z.object({ id: z.int() }));
export const RevokeBody = lazySchema(() => z.strictObject({ reason: z.default(z.enum(Object.keys(REVOCATION_REASONS) as [keyof typeof REVOCATION_REASONS]), "unspecified") }));

export const ledgerRoutes = new Hono<AppEnv>()
  .get("/v1/certificates", requireScope("read"), async (c) => {
    const { ledger } = requireStores(c);
    const now = c.get("now");
    const errors: FieldError[] = [];
    const hostname = c.req.query("hostname")?.toLowerCase().replace(/\.$/, "");
    if (hostname !== undefined && (hostname.length === 0 || hostname.length > 253)) errors.push({ pointer: "hostname", detail: "a name, or .suffix" });
    const status = c.req.query("status");
    if (status !== undefined && !["active", "revoked", "expired"].includes(status)) errors.push({ pointer: "status", detail: "active, revoked or expired" });
    let expiringBefore: string | undefined;
    const within = c.req.query("expiring_within");
    if (within !== undefined) {
      const d = parseDuration(within);
      if (d.ok) expiringBefore = new Date(now.getTime() + d.value * 1000).toISOString();
      else errors.push({ pointer: "expiring_within", detail: 'a duration such as "30d"' });
    }
    const renewed = c.req.query("renewed");
    if (renewed !== undefined && renewed !== "true" && renewed !== "false") errors.push({ pointer: "renewed", detail: "true or false" });
    if (errors.length) queryError(errors);
    const limit = parseLimit(c);
    const cursor = c.req.query("cursor");
    const { records, next } = await listCertificates(
      ledger,
      c.get("principal"),
      {
        hostname,
        status: status as CertificateStatus | undefined,
        expiringBefore,
        token: c.req.query("token"),
        renewed: renewed === undefined ? undefined : renewed === "true",
        subject: c.req.query("subject"),
        after: cursor ? decodeCursor(cursor, CertificateCursor()) : undefined,
        now: now.toISOString(),
      },
      limit,
    );
    const set = await caSetOrNull(c);
    return c.json({ certificates: await Promise.all(records.map((r) => recordJson(r, now, false, set))), next_cursor: next ? encodeCursor(next) : null });
  })
  .get("/v1/certificates/:serial", requireScope("read"), async (c) => {
    const serial = normalizeSerial(c.req.param("serial"));
    if (!serial) throw new ApiError("certificate_not_found", "a serial number is 1 to 40 hex digits");
    const record = await readCertificate(requireStores(c).ledger, c.get("principal"), serial);
    return c.json(await recordJson(record, c.get("now"), true, await caSetOrNull(c)));
  })
  .post("/v1/certificates/:serial/revoke", requireScope("revoke"), async (c) => {
    const serial = normalizeSerial(c.req.param("serial"));
    if (!serial) throw new ApiError("certificate_not_found", "a serial number is 1 to 40 hex digits");
    const text = await c.req.text();
    const body = text.trim() === "" ? { reason: "unspecified" as const } : await parseJsonBody(c, RevokeBody());
    const { ledger } = requireStores(c);
    const { record } = await revokeCertificate({ ledger, now: c.get("now"), request: requestMeta(c), principal: c.get("principal") }, serial, body.reason);
    return c.json(await recordJson(record, c.get("now"), false, await caSetOrNull(c)));
  })
  .get("/v1/crl", async (c) => {
    const format = c.req.query("format") ?? "der";
    if (format !== "der" && format !== "pem") throw new ApiError("unsupported_format", "format must be der or pem", { errors: [{ pointer: "format", detail: "der or pem" }] });
    const config = requireConfig(c);
    const stores = requireStores(c);
    const set = await requireCaSet(c.get("deps").caMaterial, c.get("now"));
    const ca = await crlIssuer(set, stores.ledger, c.req.query("issuer"));
    const crl = await currentCrl({ ca, ledger: stores.ledger, crl: stores.crl, now: c.get("now"), nextUpdateSeconds: config.crlNextUpdateSeconds });
    const maxAge = Math.max(0, Math.min(300, Math.floor((crl.nextUpdate.getTime() - c.get("now").getTime()) / 1000)));
    c.header("Cache-Control", `public, max-age=${maxAge}`);
    c.header("ETag", `"crl-${ca.fingerprint.slice(0, 16)}-${crl.crlNumber}"`);
    c.header("Last-Modified", crl.thisUpdate.toUTCString());
    if (format === "pem") {
      c.header("Content-Type", "application/x-pem-file");
      return c.body(encodePem("X509 CRL", crl.der));
    }
    c.header("Content-Type", "application/pkix-crl");
    return c.body(crl.der as Uint8Array<ArrayBuffer>);
  })
  .get("/v1/audit", requireScope("admin"), async (c) => {
    const { audit } = requireStores(c);
    const since = parseTime(c, "since");
    const until = parseTime(c, "until");
    const limit = parseLimit(c);
    const cursor = c.req.query("cursor");
    const rows = await audit.list({ since, until, token: c.req.query("token"), subject: c.req.query("subject"), beforeId: cursor ? decodeCursor(cursor, AuditCursor()).id : undefined, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return c.json({ events: page, next_cursor: rows.length > limit && last ? encodeCursor({ id: last.id }) : null });
  });
