/**
 * HTTP hygiene on every response: no MIME sniffing, no framing, no referrer,
 * a locked-down CSP for API responses (the /docs route sets its own), HSTS
 * over HTTPS, and CORS closed unless CORS_ORIGINS lists an origin.
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../types.ts";

const API_CSP = "default-src 'none'; frame-ancestors 'none'";

export const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const h = c.res.headers;
  h.set("X-Content-Type-Options", "nosniff");
  h.set("X-Frame-Options", "DENY");
  h.set("Referrer-Policy", "no-referrer");
  h.set("Cross-Origin-Resource-Policy", "same-origin");
  if (!h.has("Content-Security-Policy")) h.set("Content-Security-Policy", API_CSP);
  if (c.req.url.startsWith("https:")) h.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  h.delete("Server");
  h.delete("X-Powered-By");
});

export const cors = createMiddleware<AppEnv>(async (c, next) => {
  const origin = c.req.header("Origin");
  const allowed = origin !== undefined && c.get("deps").http.corsOrigins.has(origin);
  if (c.req.method === "OPTIONS" && c.req.header("Access-Control-Request-Method")) {
    // A preflight: answer it only for an allowed origin; otherwise the browser blocks the call.
    if (!allowed) return c.body(null, 403);
    return c.body(null, 204, {
      "Access-Control-Allow-Origin": origin,
      "Access-Control-Allow-Methods": "GET, HEAD, POST",
      "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key, X-Request-Id",
      "Access-Control-Max-Age": "600",
      Vary: "Origin",
    });
  }
  await next();
  if (allowed) {
    c.res.headers.set("Access-Control-Allow-Origin", origin);
    c.res.headers.set("Access-Control-Expose-Headers", "X-Request-Id, Location, Retry-After, Idempotent-Replayed, ETag");
    c.res.headers.append("Vary", "Origin");
  }
});
