/**
 * GET /v1/ca: the trust bundle (ca.crt) that zone CPs, kuma-dp and kumactl
 * trust. Public and cacheable; `?format=json` describes each certificate.
 * GET /v1/ca/status: every CA edgeca knows, what still depends on it and
 * whether it may be retired (scope read).
 */
import { Hono } from "hono";
import { requireCaSet, requireCertificateAuthority } from "../../authority/certificate-authority.ts";
import { caStatusReport } from "../../authority/ca-status.ts";
import { caMaterialFindings } from "../../pki/ca-profile.ts";
import { ApiError } from "../../errors.ts";
import { requireConfig, requireStores } from "../context.ts";
import { requireScope } from "../middleware/auth.ts";
import type { AppEnv } from "../types.ts";

export const caRoutes = new Hono<AppEnv>()
  .get("/v1/ca", async (c) => {
    const format = c.req.query("format") ?? "pem";
    if (format !== "pem" && format !== "json") {
      throw new ApiError("unsupported_format", "format must be pem or json", { errors: [{ pointer: "format", detail: `unknown format ${JSON.stringify(format)}` }] });
    }
    const { trust } = await requireCertificateAuthority(c.get("deps").caMaterial, c.get("now"));
    c.header("Cache-Control", "public, max-age=300");
    c.header("ETag", format === "json" ? `W/${trust.etag}` : trust.etag);
    c.header("Vary", "Accept");
    const inm = c.req.header("If-None-Match");
    if (inm && inm.split(",").some((t) => t.trim().replace(/^W\//, "") === trust.etag)) return c.body(null, 304);
    if (format === "json") return c.json({ certificates: trust.certificates, pem: trust.pem });
    c.header("Content-Type", "application/x-pem-file");
    return c.body(trust.pem);
  })
  .get("/v1/ca/status", requireScope("read"), async (c) => {
    const config = requireConfig(c);
    const { ledger } = requireStores(c);
    const set = await requireCaSet(c.get("deps").caMaterial, c.get("now"));
    // `at`: ask what the status will be then (counts of what is still active at that time), e.g. before planning a retire.
    const atText = c.req.query("at");
    let at = c.get("now");
    if (atText !== undefined) {
      const t = Date.parse(atText);
      if (!/^\d{4}-\d{2}-\d{2}T/.test(atText) || Number.isNaN(t)) {
        throw new ApiError("validation_failed", "at: an RFC 3339 time such as 2026-01-31T00:00:00Z", { errors: [{ pointer: "at", detail: "an RFC 3339 time" }] });
      }
      at = new Date(t);
    }
    c.header("Cache-Control", "no-store");
    const report = await caStatusReport({ set, ledger, now: at, maxTtlSeconds: config.maxTtlSeconds });
    return c.json({ ...report, profile_findings: caMaterialFindings(c.get("deps").caMaterial) });
  });
