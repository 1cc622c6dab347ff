/**
 * POST /v1/certificates (edgeca generates the key) and
 * POST /v1/certificates/sign (the caller sends a CSR).
 */
import { Hono } from "hono";
import { issueCertificate } from "../../authority/issue-certificate.ts";
import { signCertificateRequest } from "../../authority/sign-csr.ts";
import { ApiError } from "../../errors.ts";
import { defaultNames, type Product, type Purpose } from "../../kuma/overrides.ts";
import { OVERRIDES } from "../../kuma/overrides.ts";
import type { Usage } from "../../pki/leaf-profile.ts";
import { normalizeSerial } from "../../pki/validity.ts";
import { authorityContext } from "../context.ts";
import { issueIdempotently } from "../idempotency.ts";
import { requireScope } from "../middleware/auth.ts";
import { negotiateFormat, renderIssued } from "../render.ts";
import { IssueCertificateBody, parseJsonBody, SignCsrBody } from "../schemas.ts";
import type { AppEnv } from "../types.ts";

/**
 * Resolves names and usage from an explicit request or, failing that, the
 * Kuma purpose's defaults (its in-cluster names; its usage).
 */
function kumaRequest(purpose: Purpose | undefined, product: Product, hostnames: string[] | undefined, usage: Usage[] | undefined, csrMayName = false) {
  const usages = usage ?? (purpose ? OVERRIDES[purpose].usage : ["server"]);
  let names = hostnames;
  if (names === undefined && purpose !== undefined && !csrMayName) {
    const defaults = defaultNames(purpose, product);
    if (defaults.length > 0) names = defaults;
  }
  if (names === undefined && !csrMayName) {
    throw new ApiError("validation_failed", "hostnames is required" + (purpose ? ` (the ${purpose} purpose has no default names)` : ""), { errors: [{ pointer: "/hostnames", detail: "required" }] });
  }
  return { hostnames: names, usages, target: purpose ? { purpose, product } : undefined };
}

/** `replaces` as the ledger writes serials; 400 validation_failed when it is not a serial number. */
function replacesSerial(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const serial = normalizeSerial(text);
  if (!serial) throw new ApiError("validation_failed", "replaces: a serial number, 1 to 40 hex digits", { errors: [{ pointer: "/replaces", detail: "a serial number, 1 to 40 hex digits" }] });
  return serial;
}

export const certificateRoutes = new Hono<AppEnv>()
  .post("/v1/certificates", requireScope("issue"), async (c) => {
    const format = negotiateFormat(c);
    if (format === "helm-values" || format === "env") {
      throw new ApiError("unsupported_format", `format=${format} carries no private key, so edgeca will not generate one for it: ask for json, tar or kubernetes-secret, or send a CSR to /v1/certificates/sign`, {
        errors: [{ pointer: "format", detail: "not available when edgeca generates the key" }],
      });
    }
    const body = await parseJsonBody(c, IssueCertificateBody());
    const kuma = kumaRequest(body.purpose, body.product, body.hostnames, body.usage);
    const ctx = await authorityContext(c);
    const issued = await issueIdempotently(c, ctx, true, () =>
      issueCertificate(ctx, c.get("principal"), {
        hostnames: kuma.hostnames ?? [],
        usages: kuma.usages,
        key: body.key,
        ttl: body.ttl,
        commonName: body.common_name,
        replaces: replacesSerial(body.replaces),
      }),
    );
    return renderIssued(c, issued, format, kuma.target);
  })
  .post("/v1/certificates/sign", requireScope("sign"), async (c) => {
    const format = negotiateFormat(c);
    const body = await parseJsonBody(c, SignCsrBody());
    const kuma = kumaRequest(body.purpose, body.product, body.hostnames, body.usage, true);
    const ctx = await authorityContext(c);
    const issued = await issueIdempotently(c, ctx, false, () =>
      signCertificateRequest(ctx, c.get("principal"), {
        csr: body.csr,
        hostnames: kuma.hostnames,
        usages: kuma.usages,
        ttl: body.ttl,
        commonName: body.common_name,
        replaces: replacesSerial(body.replaces),
      }),
    );
    return renderIssued(c, issued, format, kuma.target);
  });
