/**
 * edgeca's side of ACME: POST /v1/acme/eab gives the caller a one-time
 * External Account Binding credential (RFC 8555 §7.3.4) bound to its
 * identity; GET /v1/acme/accounts and POST /v1/acme/accounts/{id}/deactivate
 * let an operator see and cut ACME accounts.
 */
import { Hono } from "hono";
import { looksLikeJwt } from "../../authority/authenticate.ts";
import { deactivateByOperator } from "../../authority/acme/accounts.ts";
import { createEab } from "../../authority/acme/eab.ts";
import { ApiError } from "../../errors.ts";
import { sha256Hex, utf8 } from "../../pki/bytes.ts";
import { acmeKeysFor } from "../../store/acme-keys.ts";
import type { AcmeAccountRecord } from "../../store/types.ts";
import { requestMeta, requireConfig, requireStores } from "../context.ts";
import { requireScope } from "../middleware/auth.ts";
import { lazySchema, z } from "../zod.ts";
import { decodeCursor, encodeCursor } from "./ledger.ts";
import type { AppEnv } from "../types.ts";
import type { Context } from "hono";

const DEFAULT_PAGE = 100;
const MAX_PAGE = 500;
const AccountCursor = lazySchema(() => z.object({ created_at: z.string(), id: z.string() }));

function baseUrl(c: Context<AppEnv>): string {
  return requireConfig(c).publicUrl ?? new URL(c.req.url).origin;
}

export function accountSummary(base: string, a: AcmeAccountRecord) {
  return {
    id: a.id,
    url: `${base}/acme/account/${a.id}`,
    status: a.status,
    principal: a.binding.kind === "token" ? a.binding.name : a.binding.policy,
    principal_kind: a.binding.kind,
    principal_subject: a.binding.kind === "oidc" ? a.binding.subject : null,
    contact: a.contact,
    eab_kid: a.eab_kid,
    created_at: a.created_at,
    expires_at: a.expires_at,
    deactivated_at: a.deactivated_at,
  };
}

export const acmeApiRoutes = new Hono<AppEnv>()
  .post("/v1/acme/eab", requireScope("sign"), async (c) => {
    const config = requireConfig(c);
    const { acme, audit } = requireStores(c);
    const storeKey = c.get("deps").storeKey;
    // A malformed STORE_KEY gets the configuration layer's message (what is wrong with it), not "needs STORE_KEY".
    if (typeof storeKey === "string") throw new ApiError("config_invalid", storeKey);
    const keysPromise = acmeKeysFor(storeKey);
    if (!keysPromise) throw new ApiError("config_invalid", "ACME needs STORE_KEY (32 random bytes, base64) to derive EAB keys");
    const credential = /^Bearer +(\S+)/i.exec(c.req.header("Authorization") ?? "")?.[1] ?? "";
    // An API token is bound by its hash, so rotating the token (same name, new secret) ends the accounts made with it.
    const tokenSha256 = looksLikeJwt(credential) ? null : await sha256Hex(utf8(credential));
    const eab = await createEab(
      { store: acme, audit, request: requestMeta(c), keys: await keysPromise, now: c.get("now"), eabTtlSeconds: config.acme.eabTtlSeconds, oidcAccountTtlSeconds: config.acme.oidcAccountTtlSeconds, trust: c.get("deps").oidcTrust },
      c.get("principal"),
      tokenSha256,
    );
    c.header("Cache-Control", "no-store");
    return c.json({ kid: eab.kid, hmac_key: eab.hmacKey, directory: `${baseUrl(c)}/acme/directory`, expires_at: eab.expiresAt }, 201);
  })
  .get("/v1/acme/accounts", requireScope("admin"), async (c) => {
    const { acme } = requireStores(c);
    const text = c.req.query("limit");
    const n = text === undefined ? DEFAULT_PAGE : Number(text);
    if (!Number.isInteger(n) || n < 1) throw new ApiError("validation_failed", `limit must be a whole number from 1 to ${MAX_PAGE}`, { errors: [{ pointer: "limit", detail: `1 to ${MAX_PAGE}` }] });
    const limit = Math.min(n, MAX_PAGE);
    const cursor = c.req.query("cursor");
    // Paged like the ledger (keyset on created_at, id): an operator must reach every account to cut it.
    const rows = await acme.listAccounts(limit + 1, cursor ? decodeCursor(cursor, AccountCursor()) : undefined);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const base = baseUrl(c);
    return c.json({ accounts: page.map((a) => accountSummary(base, a)), next_cursor: rows.length > limit && last ? encodeCursor({ created_at: last.created_at, id: last.id }) : null });
  })
  .post("/v1/acme/accounts/:id/deactivate", requireScope("admin"), async (c) => {
    const { acme, audit } = requireStores(c);
    const id = c.req.param("id");
    const after = await deactivateByOperator({ store: acme, audit, now: c.get("now"), request: requestMeta(c) }, id);
    if (!after) throw new ApiError("not_found", `no ACME account ${JSON.stringify(id.slice(0, 64))}`);
    return c.json(accountSummary(baseUrl(c), after));
  });
