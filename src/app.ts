/**
 * createApp: middleware order, routes, and the mapping of every error and
 * unknown route to problem+json. The only module besides src/index.ts that
 * sees every layer.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { depsFromEnv } from "./deps.ts";
import { ApiError } from "./errors.ts";
import { limitByClient } from "./http/middleware/rate-limit.ts";
import { requestId } from "./http/middleware/request-id.ts";
import { cors, securityHeaders } from "./http/middleware/security.ts";
import { serviceOrigin } from "./http/context.ts";
import { renderThrown } from "./http/problem.ts";
import { acmeRenewalInfoRoutes } from "./http/routes/acme-renewal-info.ts";
import { acmeApiRoutes } from "./http/routes/acme-api.ts";
import { caRoutes } from "./http/routes/ca.ts";
import { certificateRoutes } from "./http/routes/certificates.ts";
import { auditRefusals } from "./http/middleware/audit.ts";
import { docsRoutes } from "./http/routes/docs.ts";
import { healthRoutes } from "./http/routes/health.ts";
import { ledgerRoutes } from "./http/routes/ledger.ts";
import { metricsRoutes } from "./http/routes/metrics.ts";
import { verifyRoutes } from "./http/routes/verify.ts";
import type { AppEnv } from "./http/types.ts";

/** Largest request body accepted (a CSR plus names fits easily). */
export const MAX_BODY_BYTES = 64 * 1024;

export function createApp() {
  const app = new Hono<AppEnv>();
  app.use(requestId);
  app.use(securityHeaders);
  // The configuration first: CORS and the rate limits are configured values, like everything after them.
  app.use(async (c, next) => {
    c.set("deps", depsFromEnv(c.env ?? {}));
    await next();
  });
  app.use(cors);
  // ACME (RFC 8555) answers with its own problem documents, nonces, rate limit and size limit, so it is
  // routed before the /v1 middleware; its code (and jose) is loaded on the first /acme request only.
  // RFC 9773 renewal information is a plain GET without JWS or nonce: its own small module, ahead of the ACME handler.
  // Refusals of /acme and /v1 alike are audited (those without a principal counted, issue 21 #7).
  app.use(auditRefusals);
  app.route("/", acmeRenewalInfoRoutes);
  app.all("/acme/*", async (c) => (await import("./http/routes/acme.ts")).handleAcme(c));
  app.use(limitByClient);
  const streamedBodyLimit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError("payload_too_large", `request bodies are limited to ${MAX_BODY_BYTES} bytes`);
    },
  });
  app.use(async (c, next) => {
    // A declared length is checked from the header alone, without touching the body stream (most requests);
    // a chunked or undeclared body is counted as it streams by hono's bodyLimit.
    const length = c.req.header("Content-Length");
    if (length === undefined || !/^\d{1,15}$/.test(length) || c.req.header("Transfer-Encoding") !== undefined) return streamedBodyLimit(c, next);
    if (Number(length) > MAX_BODY_BYTES) throw new ApiError("payload_too_large", `request bodies are limited to ${MAX_BODY_BYTES} bytes`);
    await next();
  });
  app.route("/", healthRoutes);
  app.route("/", docsRoutes);
  app.route("/", caRoutes);
  app.route("/", certificateRoutes);
  app.route("/", ledgerRoutes);
  app.route("/", verifyRoutes);
  app.route("/", metricsRoutes);
  app.route("/", acmeApiRoutes);
  const allowed: Record<string, string> = {
    "/v1/certificates": "GET, HEAD, POST",
    "/v1/certificates/sign": "POST",
    "/v1/certificates/:serial": "GET, HEAD",
    "/v1/certificates/:serial/revoke": "POST",
    "/v1/ca": "GET, HEAD",
    "/v1/ca/status": "GET, HEAD",
    "/v1/crl": "GET, HEAD",
    "/v1/audit": "GET, HEAD",
    "/v1/verify": "POST",
    "/v1/acme/eab": "POST",
    "/v1/acme/accounts": "GET, HEAD",
    "/v1/acme/accounts/:id/deactivate": "POST",
    "/healthz": "GET, HEAD",
    "/metrics": "GET, HEAD",
  };
  for (const [path, allow] of Object.entries(allowed)) {
    app.all(path, (c) => {
      throw new ApiError("method_not_allowed", `${c.req.method} is not supported on ${path}`, { headers: { Allow: allow } });
    });
  }
  app.notFound((c) => {
    throw new ApiError("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`);
  });
  app.onError((error, c) => {
    // Problem types link to /docs/problems on PUBLIC_URL when set (a valid one), else on the origin the caller reached.
    return renderThrown(error, c.get("requestId") ?? crypto.randomUUID(), serviceOrigin(c));
  });
  return app;
}
