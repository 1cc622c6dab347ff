/**
 * Bearer authentication (RFC 6750) and scope authorization. The credential
 * goes to the deps' authenticator (an API token, or an OIDC token accepted
 * by an OIDC_TRUST policy: src/authority/authenticate.ts), which yields the
 * one Principal type; 401 (no or unknown credential) and 403 (scope) are distinct.
 */
import { createMiddleware } from "hono/factory";
import { describePrincipal, hasScope } from "../../authority/policy.ts";
import { ApiError } from "../../errors.ts";
import type { Scope } from "../../store/types.ts";
import type { AppEnv } from "../types.ts";
import { limitByPrincipal } from "./rate-limit.ts";

const REALM = 'Bearer realm="edgeca"';
/** RFC 6750 §2.1 b64token; long enough for an OIDC token, whose own limit the authenticator applies. */
const BEARER = /^Bearer +([A-Za-z0-9._~+/=-]{1,65536})\s*$/i;

export function requireScope(scope: Scope) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const match = BEARER.exec(c.req.header("Authorization") ?? "");
    if (!match) {
      throw new ApiError("unauthorized", "send Authorization: Bearer <token>", { headers: { "WWW-Authenticate": REALM } });
    }
    const principal = await c.get("deps").authenticator.authenticate(match[1]!, c.get("now"));
    // Known before the scope check: a refusal of a real caller is audited under its name, row by row,
    // not counted with anonymous refusals (src/http/middleware/audit.ts).
    c.set("principal", principal);
    if (!hasScope(principal, scope)) {
      throw new ApiError("insufficient_scope", `${describePrincipal(principal)} lacks the "${scope}" scope`, {
        headers: { "WWW-Authenticate": `${REALM}, error="insufficient_scope", scope="${scope}"` },
      });
    }
    await limitByPrincipal(c, principal);
    await next();
  });
}
