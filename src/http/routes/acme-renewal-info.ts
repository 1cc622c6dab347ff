/**
 * GET /acme/renewal-info/{certID}: ACME Renewal Information (RFC 9773 §4.2). Unauthenticated, as
 * the RFC has it (no JWS, a plain GET); the certID names the certificate. Errors are problem
 * documents with ACME types (RFC 8555 §6.7): malformed for an ID that does not parse (400), and
 * for one naming no certificate of this service (404, as Let's Encrypt's Boulder answers).
 */
import { Hono, type Context } from "hono";
import { requireCaSet } from "../../authority/certificate-authority.ts";
import { renewalInfo } from "../../authority/renewal-info.ts";
import { ApiError } from "../../errors.ts";
import { describeCertIdProblem } from "../../pki/ari.ts";
import { requireConfig, requireStores } from "../context.ts";
import { limitClient } from "../middleware/rate-limit.ts";
import type { AppEnv } from "../types.ts";

/** How long a client should wait before asking again (RFC 9773 §4.3); Let's Encrypt answers 6 hours too. */
export const RENEWAL_INFO_RETRY_AFTER_SECONDS = 6 * 3600;

const MALFORMED = "urn:ietf:params:acme:error:malformed";

/** The ACME directory's URL, from PUBLIC_URL when set (behind a proxy the Worker's own URL differs). */
export function acmeDirectoryUrl(c: Context<AppEnv>, publicUrl: string | undefined): string {
  return `${(publicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, "")}/acme/directory`;
}

/** RFC 8555 §7.1: every ACME response links the directory. */
function indexLink(c: Context<AppEnv>): string {
  const config = requireConfig(c);
  return `<${acmeDirectoryUrl(c, config.publicUrl)}>;rel="index"`;
}

export const acmeRenewalInfoRoutes = new Hono<AppEnv>()
  .get("/acme/renewal-info/:certID", async (c) => {
    const link = indexLink(c);
    // Unauthenticated and one ledger read each: limited per client address like the rest of /acme and /v1.
    await limitClient(c);
    const { ledger } = requireStores(c);
    const set = await requireCaSet(c.get("deps").caMaterial, c.get("now"));
    const found = await renewalInfo({ set, ledger, now: c.get("now") }, c.req.param("certID"));
    if (!found.ok) {
      const malformed = found.error.reason === "malformed";
      throw new ApiError(
        malformed ? "validation_failed" : "certificate_not_found",
        found.error.reason === "malformed" ? `certID: ${describeCertIdProblem(found.error.problem)}` : "no certificate of this service has that certID",
        { headers: { Link: link }, extensions: { type: MALFORMED } },
      );
    }
    c.header("Link", link);
    c.header("Retry-After", String(RENEWAL_INFO_RETRY_AFTER_SECONDS));
    const { start, end } = found.value.window;
    // RFC 9773 §4.2: RFC 3339 timestamps, end after start.
    return c.json({ suggestedWindow: { start: start.toISOString(), end: end.toISOString() } });
  })
  .all("/acme/renewal-info/:certID", (c) => {
    throw new ApiError("method_not_allowed", `${c.req.method} is not supported on /acme/renewal-info/{certID}: it is a GET (RFC 9773 §4.2)`, {
      headers: { Allow: "GET, HEAD", Link: indexLink(c) },
      extensions: { type: MALFORMED },
    });
  });
