/**
 * Bearer-token authentication (RFC 6750) and scope authorization. The token
 * is hashed with SHA-256 and compared in constant time against the stored
 * hashes; 401 (no or unknown token) and 403 (scope) are distinct.
 */
import { createMiddleware } from "hono/factory";
import { hasScope } from "../../authority/policy.ts";
import { ApiError } from "../../errors.ts";
import { sha256, utf8 } from "../../pki/bytes.ts";
import type { Scope } from "../../store/types.ts";
import type { AppEnv } from "../types.ts";
import { limitByToken } from "./rate-limit.ts";

const REALM = 'Bearer realm="edgeca"';

export function requireScope(scope: Scope) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const tokens = c.get("deps").tokens;
    if (typeof tokens === "string") throw new ApiError("config_invalid", tokens);
    const header = c.req.header("Authorization") ?? "";
    const match = /^Bearer +([A-Za-z0-9._~+/=-]{1,512})\s*$/i.exec(header);
    if (!match) {
      throw new ApiError("unauthorized", "send Authorization: Bearer <token>", { headers: { "WWW-Authenticate": REALM } });
    }
    const principal = await tokens.findByHash(await sha256(utf8(match[1]!)));
    if (!principal) {
      throw new ApiError("unauthorized", "the bearer token is not known", { headers: { "WWW-Authenticate": `${REALM}, error="invalid_token"` } });
    }
    if (!hasScope(principal, scope)) {
      throw new ApiError("insufficient_scope", `token "${principal.name}" lacks the "${scope}" scope`, {
        headers: { "WWW-Authenticate": `${REALM}, error="insufficient_scope", scope="${scope}"` },
      });
    }
    c.set("principal", principal);
    await limitByToken(c, principal.name);
    await next();
  });
}
