/**
 * GET /acme/renewal-info/{certID}: ACME Renewal Information (RFC 9773 §4.2). Unauthenticated, as
 * the RFC has it (no JWS, a plain GET); the certID names the certificate. Like every ACME response
 * (RFC 8555 §6.5, §7.1) it carries a fresh Replay-Nonce and the directory link, and its errors are
 * problem documents with ACME types (RFC 8555 §6.7): malformed for an ID that does not parse (400)
 * and for one naming no certificate of this service (404, as Let's Encrypt's Boulder answers).
 * Kept apart from the lazily loaded ACME handler: it needs neither JWS nor jose.
 */
import { Hono, type Context } from "hono";
import { requireCaSet } from "../../authority/certificate-authority.ts";
import { renewalInfo } from "../../authority/renewal-info.ts";
import { ApiError } from "../../errors.ts";
import { ACME_ERROR_PREFIX } from "../../pki/acme/problem.ts";
import { mintNonce } from "../../pki/acme/nonce.ts";
import { describeCertIdProblem } from "../../pki/ari.ts";
import { acmeKeysFor } from "../../store/acme-keys.ts";
import { requireConfig, requireStores } from "../context.ts";
import { limitClient } from "../middleware/rate-limit.ts";
import type { AppEnv } from "../types.ts";

/** How long a client should wait before asking again (RFC 9773 §4.3); Let's Encrypt answers 6 hours too. */
export const RENEWAL_INFO_RETRY_AFTER_SECONDS = 6 * 3600;

/** The ACME directory's URL, from PUBLIC_URL when set (behind a proxy the Worker's own URL differs). */
export function acmeDirectoryUrl(c: Context<AppEnv>, publicUrl: string | undefined): string {
  return `${(publicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, "")}/acme/directory`;
}

/** Link rel="index" (RFC 8555 §7.1) and a fresh Replay-Nonce (RFC 8555 §6.5) when STORE_KEY allows one. */
async function acmeHeaders(c: Context<AppEnv>): Promise<Record<string, string>> {
  const config = c.get("deps").config;
  const headers: Record<string, string> = { Link: `<${acmeDirectoryUrl(c, typeof config === "string" ? undefined : config.publicUrl)}>;rel="index"` };
  const keys = acmeKeysFor(c.get("deps").storeKey);
  if (keys) headers["Replay-Nonce"] = await mintNonce((await keys).nonce, Date.now());
  return headers;
}

/** The RFC 8555 §6.7 type for an edgeca error code on this route. */
function acmeType(e: ApiError): string {
  if (e.code === "rate_limited") return "rateLimited";
  if (e.status >= 500) return "serverInternal";
  return "malformed";
}

/** Any failure as an ACME problem document (edgeca's `code` and `request_id` kept), with the ACME headers. */
async function asAcmeProblem(c: Context<AppEnv>, e: unknown): Promise<ApiError> {
  const error = e instanceof ApiError ? e : new ApiError("internal", `an internal error occurred; quote request id ${c.get("requestId")} when reporting it`);
  if (!(e instanceof ApiError)) console.error(JSON.stringify({ level: "error", request_id: c.get("requestId"), error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));
  return new ApiError(error.code, error.detail, {
    ...error.options,
    headers: { ...error.options.headers, ...(await acmeHeaders(c)) },
    extensions: { ...error.options.extensions, type: ACME_ERROR_PREFIX + acmeType(error) },
  });
}

export const acmeRenewalInfoRoutes = new Hono<AppEnv>()
  .get("/acme/renewal-info/:certID", async (c) => {
    try {
      // Unauthenticated and one ledger read each: limited per client address like the rest of /acme and /v1.
      await limitClient(c);
      requireConfig(c);
      const { ledger } = requireStores(c);
      const set = await requireCaSet(c.get("deps").caMaterial, c.get("now"));
      const found = await renewalInfo({ set, ledger, now: c.get("now") }, c.req.param("certID"));
      if (!found.ok) {
        throw found.error.reason === "malformed"
          ? new ApiError("validation_failed", `certID: ${describeCertIdProblem(found.error.problem)}`)
          : new ApiError("certificate_not_found", "no certificate of this service has that certID");
      }
      for (const [k, v] of Object.entries(await acmeHeaders(c))) c.header(k, v);
      c.header("Retry-After", String(RENEWAL_INFO_RETRY_AFTER_SECONDS));
      const { start, end } = found.value.window;
      // RFC 9773 §4.2: RFC 3339 timestamps, end after start.
      return c.json({ suggestedWindow: { start: start.toISOString(), end: end.toISOString() } });
    } catch (e) {
      throw await asAcmeProblem(c, e);
    }
  })
  .all("/acme/renewal-info/:certID", async (c) => {
    throw await asAcmeProblem(c, new ApiError("method_not_allowed", `${c.req.method} is not supported on /acme/renewal-info/{certID}: it is a GET (RFC 9773 §4.2)`, { headers: { Allow: "GET, HEAD" } }));
  });
