/**
 * What the HTTP middleware is configured with: CORS_ORIGINS, the
 * rate-limiting bindings and the static assets binding.
 */

/** The Workers rate-limiting binding (wrangler.toml [[ratelimits]]). */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export interface HttpConfig {
  /** Origins allowed to call the API from a browser (exact match); empty by default, so CORS stays closed. */
  corsOrigins: ReadonlySet<string>;
  /** Per client address on every /v1 request, and per caller once authenticated; unset: nothing is limited. */
  rateLimits: { client: RateLimiter | undefined; token: RateLimiter | undefined };
  /** Static assets (public/): /docs, /ui and openapi.yaml; unset: those routes answer 404. */
  assets: Fetcher | undefined;
}

let cachedOrigins: { source: string | undefined; value: ReadonlySet<string> } | undefined;

/** Allowed origins from CORS_ORIGINS (comma-separated, exact match); none by default. Parsed once for the same text. */
export function corsOriginsFrom(source: string | undefined): ReadonlySet<string> {
  if (cachedOrigins && cachedOrigins.source === source) return cachedOrigins.value;
  const value = new Set((source ?? "").split(",").map((o) => o.trim()).filter(Boolean));
  cachedOrigins = { source, value };
  return value;
}
