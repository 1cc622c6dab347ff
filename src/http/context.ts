/**
 * Per-request access to checked dependencies, raising the matching 503 when
 * the configuration or the CA is unusable.
 */
import type { Context } from "hono";
import { requireCertificateAuthority } from "../authority/certificate-authority.ts";
import type { AuthorityContext, RequestMeta } from "../authority/mint-leaf.ts";
import type { Stores } from "../deps.ts";
import type { Config } from "../config.ts";
import { ApiError } from "../errors.ts";
import type { KeepAlive } from "../store/types.ts";
import type { AppEnv } from "./types.ts";

export function requireConfig(c: Context<AppEnv>): Config {
  const config = c.get("deps").config;
  if (typeof config === "string") throw new ApiError("config_invalid", config);
  return config;
}

export function requireStores(c: Context<AppEnv>): Stores {
  const stores = c.get("deps").stores;
  if (typeof stores === "string") throw new ApiError("ledger_unavailable", stores);
  return stores;
}

/**
 * Where this service's own pages are: PUBLIC_URL when set (and valid), else
 * the origin the request reached. Before the deps middleware ran (an error
 * raised that early is rendered too) only the request's origin is known:
 * the configuration layer alone reads the environment.
 */
export function serviceOrigin(c: Context<AppEnv>): string {
  const config = c.get("deps")?.config;
  return (typeof config === "object" && config.publicUrl) || new URL(c.req.url).origin;
}

/** The client's address as Cloudflare reports it (absent in local tests). */
export function clientAddress(c: Context<AppEnv>): string | null {
  return c.req.header("CF-Connecting-IP") ?? null;
}

export function requestMeta(c: Context<AppEnv>): RequestMeta {
  return {
    requestId: c.get("requestId"),
    tokenName: c.get("principal").name,
    subject: c.get("principal").subject ?? null,
    clientAddress: clientAddress(c),
    method: c.req.method,
    path: c.req.path,
  };
}

/** ExecutionContext.waitUntil of this request, where the runtime gives one (not in app.request() tests). */
export function keepAlive(c: Context<AppEnv>): KeepAlive | undefined {
  try {
    const ctx = c.executionCtx;
    return (p) => ctx.waitUntil(p);
  } catch {
    return undefined;
  }
}

export async function authorityContext(c: Context<AppEnv>): Promise<AuthorityContext> {
  const config = requireConfig(c);
  const { ledger } = requireStores(c);
  const ca = await requireCertificateAuthority(c.get("deps").caMaterial, c.get("now"));
  return { ca, config, now: c.get("now"), ledger, request: requestMeta(c), keepAlive: keepAlive(c) };
}
