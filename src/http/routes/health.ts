/**
 * GET /healthz: the service's state, the CA's fingerprint and expiry, and
 * the rotation warnings of /v1/ca/status (still 200: they need an operator,
 * not a restart); 503 problem+json saying what is wrong when the CA or config
 * is unusable.
 */
import { Hono } from "hono";
import { inspectCaSet } from "../../authority/certificate-authority.ts";
import { caStatusReport, HEALTH_COUNTS_CACHE_MS } from "../../authority/ca-status.ts";
import { ApiError } from "../../errors.ts";
import { caMaterialFindings } from "../../pki/ca-profile.ts";
import { describeCaProblem, isNotConfigured, type CaWarning } from "../../pki/certificate-authority.ts";
import { requireConfig } from "../context.ts";
import type { AppEnv } from "../types.ts";

export const healthRoutes = new Hono<AppEnv>().get("/healthz", async (c) => {
  const config = requireConfig(c);
  const tokens = c.get("deps").tokens;
  if (typeof tokens === "string") throw new ApiError("config_invalid", tokens);
  const oidcTrust = c.get("deps").oidcTrust;
  if (typeof oidcTrust === "string") throw new ApiError("config_invalid", oidcTrust);
  const loaded = await inspectCaSet(c.get("deps").caMaterial, c.get("now"));
  if (!loaded.ok) throw new ApiError(isNotConfigured(loaded.error) ? "ca_not_configured" : "ca_invalid", describeCaProblem(loaded.error));
  const set = loaded.value;
  const stores = c.get("deps").stores;
  let warnings: CaWarning[] = set.warnings;
  if (typeof stores !== "string") {
    try {
      warnings = (await caStatusReport({ set, ledger: stores.ledger, now: c.get("now"), maxTtlSeconds: config.maxTtlSeconds, cacheMs: HEALTH_COUNTS_CACHE_MS })).warnings;
    } catch (e) {
      console.error(JSON.stringify({ level: "error", request_id: c.get("requestId"), error: `healthz: ledger counts failed: ${e instanceof Error ? e.message : String(e)}` }));
      warnings = [...set.warnings, { code: "ledger_unavailable", message: "the ledger could not be read, so the rotation warnings are incomplete" }];
    }
  }
  c.header("Cache-Control", "no-store");
  return c.json({
    status: "ok",
    ca: {
      subject: set.issuing.subject,
      sha256_fingerprint: set.issuing.fingerprint,
      key_algorithm: set.issuing.keyAlgorithm,
      not_after: set.issuing.notAfter.toISOString(),
    },
    previous_ca: set.previous ? { subject: set.previous.subject, sha256_fingerprint: set.previous.fingerprint, not_after: set.previous.notAfter.toISOString() } : null,
    trust_anchors: set.issuing.trust.certificates.length,
    warnings,
    profile_findings: caMaterialFindings(c.get("deps").caMaterial),
  });
});
