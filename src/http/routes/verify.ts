/**
 * POST /v1/verify: full path validation of a presented chain, with the
 * reason for every failure.
 */
import { Hono } from "hono";
import { lazySchema, z } from "../zod.ts";
import { requireCertificateAuthority } from "../../authority/certificate-authority.ts";
import { verifyChain } from "../../authority/verify-chain.ts";
import { VERIFY_PROFILES } from "../../pki/path-validation.ts";
import { ApiError } from "../../errors.ts";
import { requireScope } from "../middleware/auth.ts";
import { parseJsonBody } from "../schemas.ts";
import type { AppEnv } from "../types.ts";

export const VerifyBody = lazySchema(() =>
  z.strictObject({
    chain: z.string().check(z.minLength(1), z.maxLength(256 * 1024)),
    roots: z.optional(z.string().check(z.minLength(1), z.maxLength(256 * 1024))),
    hostname: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
    usage: z.default(z.enum(["server", "client"]), "server"),
    at: z.optional(z.string().check(z.maxLength(64))),
    profile: z.default(z.enum(VERIFY_PROFILES), "go").check(
      z.describe(
        "`go` (default): `valid` is the verdict of Go's crypto/x509, what Kuma runs; RFC 5280 §4 profile defects Go accepts are reported as warnings with their own codes. `strict`: the same findings are errors, so `valid` also requires a chain that stricter verifiers (rustls/webpki, OpenSSL -x509_strict, CA linters) accept.",
      ),
    ),
  }),
);

export const verifyRoutes = new Hono<AppEnv>().post("/v1/verify", requireScope("verify"), async (c) => {
  const body = await parseJsonBody(c, VerifyBody());
  let at = c.get("now");
  if (body.at !== undefined) {
    const t = Date.parse(body.at);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(body.at) || Number.isNaN(t)) {
      throw new ApiError("validation_failed", "at must be an RFC 3339 time such as 2026-01-31T12:00:00Z", { errors: [{ pointer: "/at", detail: "an RFC 3339 date-time" }] });
    }
    at = new Date(t);
  }
  const stores = c.get("deps").stores;
  const report = await verifyChain(
    {
      ledger: typeof stores === "string" ? null : stores.ledger,
      defaultRoots: async () => (await requireCertificateAuthority(c.get("deps").caMaterial, c.get("now"))).trust.pem,
    },
    { chain: body.chain, roots: body.roots, hostname: body.hostname, usage: body.usage, at, profile: body.profile },
  );
  c.header("Cache-Control", "no-store");
  return c.json(report);
});
