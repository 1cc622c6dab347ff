/**
 * GET /healthz: the service's state and the CA's fingerprint and expiry;
 * 503 problem+json saying what is wrong when the CA or config is unusable.
 */
import { Hono } from "hono";
import { inspectCertificateAuthority } from "../../authority/certificate-authority.ts";
import { ApiError } from "../../errors.ts";
import { caMaterialFindings } from "../../pki/ca-profile.ts";
import { describeCaProblem, isNotConfigured } from "../../pki/certificate-authority.ts";
import { requireConfig } from "../context.ts";
import type { AppEnv } from "../types.ts";

export const healthRoutes = new Hono<AppEnv>().get("/healthz", async (c) => {
  requireConfig(c);
  const tokens = c.get("deps").tokens;
  if (typeof tokens === "string") throw new ApiError("config_invalid", tokens);
  const ca = await inspectCertificateAuthority(c.get("deps").caMaterial, c.get("now"));
  if (!ca.ok) throw new ApiError(isNotConfigured(ca.error) ? "ca_not_configured" : "ca_invalid", describeCaProblem(ca.error));
  c.header("Cache-Control", "no-store");
  return c.json({
    status: "ok",
    ca: {
      subject: ca.value.subject,
      sha256_fingerprint: ca.value.fingerprint,
      key_algorithm: ca.value.keyAlgorithm,
      not_after: ca.value.notAfter.toISOString(),
    },
    trust_anchors: ca.value.trust.certificates.length,
    profile_findings: caMaterialFindings(c.get("deps").caMaterial),
  });
});
