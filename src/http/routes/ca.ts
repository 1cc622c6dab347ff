/**
 * GET /v1/ca: the trust bundle (ca.crt) that zone CPs, kuma-dp and kumactl
 * trust. Public and cacheable; `?format=json` describes each certificate.
 */
import { Hono } from "hono";
import { requireCertificateAuthority } from "../../authority/certificate-authority.ts";
import { ApiError } from "../../errors.ts";
import type { AppEnv } from "../types.ts";

export const caRoutes = new Hono<AppEnv>().get("/v1/ca", async (c) => {
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
});
