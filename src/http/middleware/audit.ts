/**
 * Records refused requests (every 4xx and 5xx under /v1 and /acme) in the
 * audit log: time, token name when known, client address, status and problem
 * code (for ACME, `acme:` and the RFC 8555 §6.7 type of its problem document,
 * since the ACME handler renders its own problems instead of throwing).
 * Refusals with no principal (no, a made-up or an expired credential) are
 * counted instead, one row per client address, code and minute: each is a
 * request anyone can send, and the trail is kept 400 days.
 * Successful issuance, signing and revocation are recorded by their use
 * cases, atomically with the ledger write. An audit failure never changes
 * the answer the caller gets.
 */
import { createMiddleware } from "hono/factory";
import { ApiError } from "../../errors.ts";
import { ACME_ERROR_PREFIX } from "../../pki/acme/problem.ts";
import { keepAlive } from "../context.ts";
import type { AppEnv } from "../types.ts";

/** The RFC 8555 type of an ACME problem response ("acme:badNonce"), or null when it is not one. */
async function acmeCode(res: Response): Promise<string | null> {
  if (res.headers.get("Content-Type") !== "application/problem+json") return null;
  try {
    const type = ((await res.clone().json()) as { type?: unknown }).type;
    return typeof type === "string" && type.startsWith(ACME_ERROR_PREFIX) ? `acme:${type.slice(ACME_ERROR_PREFIX.length, ACME_ERROR_PREFIX.length + 64)}` : null;
  } catch {
    return null;
  }
}

export const auditRefusals = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const status = c.res.status;
  // c.req.path is the decoded path Hono routes on: /%761/… must count as /v1/….
  const path = c.req.path;
  // 429s are not recorded: a flood would otherwise write a row per refused request (the limiter is the record).
  const acme = path.startsWith("/acme/");
  if (status < 400 || status === 429 || !(acme || path.startsWith("/v1/"))) return;
  const stores = c.get("deps").stores;
  if (typeof stores === "string") return;
  const principal = c.get("principal");
  try {
    const event = {
      at: c.get("now").toISOString(),
      event: "refused",
      outcome: "failure",
      status,
      code: c.error instanceof ApiError ? c.error.code : acme ? await acmeCode(c.res) : status >= 500 ? "internal" : null,
      token_name: principal?.name ?? null,
      principal_subject: principal?.subject ?? null,
      client_address: c.req.header("CF-Connecting-IP") ?? null,
      method: c.req.method,
      path: path.slice(0, 256),
      serial: null,
      request_id: c.get("requestId"),
    } as const;
    if (principal === undefined) await stores.audit.countRefusal(event);
    else await stores.audit.append(event, keepAlive(c));
  } catch (e) {
    console.error(JSON.stringify({ level: "error", request_id: c.get("requestId"), error: `audit write failed: ${e instanceof Error ? e.message : String(e)}` }));
  }
});
