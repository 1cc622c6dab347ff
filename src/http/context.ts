/**
 * Per-request access to checked dependencies, raising the matching 503 when
 * the configuration or the CA is unusable.
 */
import type { Context } from "hono";
import { requireCertificateAuthority } from "../authority/certificate-authority.ts";
import type { AuthorityContext } from "../authority/mint-leaf.ts";
import type { Config } from "../config.ts";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "./types.ts";

export function requireConfig(c: Context<AppEnv>): Config {
  const config = c.var.deps.config;
  if (typeof config === "string") throw new ApiError("config_invalid", config);
  return config;
}

export async function authorityContext(c: Context<AppEnv>): Promise<AuthorityContext> {
  const config = requireConfig(c);
  const ca = await requireCertificateAuthority(c.var.deps.caMaterial, c.var.now);
  return { ca, config, now: c.var.now };
}
