/**
 * Records refused requests (every 4xx and 5xx under /v1) in the audit log:
 * time, token name when known, client address, status and problem code.
 * Refusals with no principal (no, a made-up or an expired credential) are
 * counted instead, one row per client address, code and minute: each is a
 * request anyone can send, and the trail is kept 400 days.
 * Successful issuance, signing and revocation are recorded by their use
 * cases, atomically with the ledger write. An audit failure never changes
 * the answer the caller gets.
 */
import { createMiddleware } from "hono/factory";
import { ApiError } from "../../errors.ts";
import { keepAlive } from "../context.ts";
import type { AppEnv } from "../types.ts";

export const auditRefusals = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const status = c.res.status;
  // c.req.path is the decoded path Hono routes on: /%761/… must count as /v1/….
  const path = c.req.path;
  // 429s are not recorded: a flood would otherwise write a row per refused request (the limiter is the record).
  if (status < 400 || status === 429 || !path.startsWith("/v1/")) return;
  const stores = c.get("deps").stores;
  if (typeof stores === "string") return;
  const principal = c.get("principal");
  try {
    const event = {
      at: c.get("now").toISOString(),
      event: "refused",
      outcome: "failure",
      status,
      code: c.error instanceof ApiError ? c.error.code : status >= 500 ? "internal" : null,
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
