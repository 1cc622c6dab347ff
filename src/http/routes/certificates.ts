/**
 * POST /v1/certificates (edgeca generates the key) and
 * POST /v1/certificates/sign (the caller sends a CSR).
 */
import { Hono } from "hono";
import { issueCertificate } from "../../authority/issue-certificate.ts";
import { signCertificateRequest } from "../../authority/sign-csr.ts";
import { authorityContext } from "../context.ts";
import { issueIdempotently } from "../idempotency.ts";
import { requireScope } from "../middleware/auth.ts";
import { negotiateFormat, renderIssued } from "../render.ts";
import { IssueCertificateBody, parseJsonBody, SignCsrBody } from "../schemas.ts";
import type { AppEnv } from "../types.ts";

export const certificateRoutes = new Hono<AppEnv>()
  .post("/v1/certificates", requireScope("issue"), async (c) => {
    const format = negotiateFormat(c);
    const body = await parseJsonBody(c, IssueCertificateBody);
    const ctx = await authorityContext(c);
    const issued = await issueIdempotently(c, ctx, true, () =>
      issueCertificate(ctx, c.var.principal, {
        hostnames: body.hostnames,
        usages: body.usage,
        key: body.key,
        ttl: body.ttl,
        commonName: body.common_name,
      }),
    );
    return renderIssued(c, issued, format);
  })
  .post("/v1/certificates/sign", requireScope("sign"), async (c) => {
    const format = negotiateFormat(c);
    const body = await parseJsonBody(c, SignCsrBody);
    const ctx = await authorityContext(c);
    const issued = await issueIdempotently(c, ctx, false, () =>
      signCertificateRequest(ctx, c.var.principal, {
        csr: body.csr,
        hostnames: body.hostnames,
        usages: body.usage,
        ttl: body.ttl,
        commonName: body.common_name,
      }),
    );
    return renderIssued(c, issued, format);
  });
