/**
 * Use case: POST /v1/acme/eab — a one-time External Account Binding
 * credential (RFC 8555 §7.3.4) for the caller. Only the kid and the
 * principal binding are stored; the HMAC key is derived from STORE_KEY.
 */
import { eabHmacKeyText, randomId, type AcmeKeys } from "../../pki/acme/secrets.ts";
import type { AcmeStore, AuditLog, Principal } from "../../store/types.ts";
import { auditEvent, type RequestMeta } from "../mint-leaf.ts";
import type { TrustPolicy } from "../oidc-policy.ts";
import { bindingFor } from "./principal.ts";

export interface CreatedEab {
  kid: string;
  hmacKey: string;
  expiresAt: string;
}

export async function createEab(
  ctx: { store: AcmeStore; audit: AuditLog; request: RequestMeta; keys: AcmeKeys; now: Date; eabTtlSeconds: number; oidcAccountTtlSeconds: number; trust: readonly TrustPolicy[] | string },
  principal: Principal,
  tokenSha256: string | null,
): Promise<CreatedEab> {
  const binding = bindingFor(principal, tokenSha256, ctx.trust, ctx.now, ctx.oidcAccountTtlSeconds);
  const kid = randomId();
  const expiresAt = new Date(ctx.now.getTime() + ctx.eabTtlSeconds * 1000).toISOString();
  await ctx.store.createEab({ kid, binding, created_at: ctx.now.toISOString(), expires_at: expiresAt, spent_at: null, account_id: null });
  // Who minted which kid (the account it later creates names the kid too); never the HMAC key.
  await ctx.audit.append(auditEvent({ now: ctx.now, request: { ...ctx.request, auditDetail: `kid=${kid}` } }, "acme_eab", 201, null));
  return { kid, hmacKey: await eabHmacKeyText(ctx.keys, kid), expiresAt };
}
