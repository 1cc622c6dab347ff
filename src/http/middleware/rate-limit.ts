/**
 * Rate limits with the Workers rate-limiting binding (wrangler.toml
 * [[ratelimits]]): per client address on every /v1 request, and per token
 * once it is authenticated. Over the limit: 429 rate_limited with
 * Retry-After. Without the bindings (e.g. a benchmark), nothing is limited.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../../errors.ts";
import type { Principal, RateLimiter } from "../../store/types.ts";
import type { AppEnv } from "../types.ts";


/** The longest period a simple rate limit can have: a safe Retry-After. */
const RETRY_AFTER_SECONDS = "60";

async function enforce(limiter: RateLimiter | undefined, key: string, what: string): Promise<void> {
  if (!limiter) return;
  let outcome: { success: boolean };
  try {
    outcome = await limiter.limit({ key });
  } catch {
    // A failing limiter must not take issuance down with it: fail open, the token limits still apply where they work.
    return;
  }
  if (!outcome.success) {
    throw new ApiError("rate_limited", `too many requests from this ${what}; retry after ${RETRY_AFTER_SECONDS} seconds`, { headers: { "Retry-After": RETRY_AFTER_SECONDS } });
  }
}

export function clientKey(c: Context<AppEnv>): string {
  return c.req.header("CF-Connecting-IP") ?? "unknown";
}

/** The per-address limit, for routes that answer before the middleware below (ACME renders its own problem documents). */
export function limitClient(c: Context<AppEnv>): Promise<void> {
  return enforce(c.env?.RATE_LIMIT_CLIENT, `client:${clientKey(c)}`, "client address");
}

export const limitByClient = createMiddleware<AppEnv>(async (c, next) => {
  // The decoded path Hono routes on, so percent-encoding cannot route around the limit.
  if (c.req.path.startsWith("/v1/")) await enforce(c.env?.RATE_LIMIT_CLIENT, `client:${clientKey(c)}`, "client address");
  await next();
});

/** Per caller: an API token by its name, an OIDC caller by its trust policy and `sub` (one pipeline cannot starve the others). */
export function limitByPrincipal(c: Context<AppEnv>, principal: Principal): Promise<void> {
  const key = principal.subject === undefined ? `token:${principal.name}` : `oidc:${principal.name}\n${principal.subject}`;
  return enforce(c.env?.RATE_LIMIT_TOKEN, key, principal.subject === undefined ? "token" : "workload identity");
}
