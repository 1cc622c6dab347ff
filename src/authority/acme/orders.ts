/**
 * Use cases on ACME orders and authorizations (RFC 8555 §7.4, §7.5): names
 * are authorized by the account's principal's policy, not by challenges, so
 * an allowed order's authorizations are created valid and the order is ready
 * at once; anything outside the policy is refused per identifier.
 */
import { formatDuration } from "../../pki/duration.ts";
import { authorizationIdentifier, identifierOf, parseIdentifiers } from "../../pki/acme/identifiers.ts";
import { AcmeProblem } from "../../pki/acme/problem.ts";
import { randomId } from "../../pki/acme/secrets.ts";
import type { SubjectName } from "../../pki/names.ts";
import type { AcmeAccountRecord, AcmeAuthorizationRecord, AcmeOrderRecord, Principal } from "../../store/types.ts";
import type { Config } from "../../config.ts";
import { describePrincipal } from "../policy.ts";
import type { AcmeContext } from "./context.ts";
import { checkOrderReplaces, type OrderReplacesContext } from "./replaces.ts";

/** Clock skew tolerated on a requested notBefore (edgeca certificates start when they are signed, backdated a little). */
const NOT_BEFORE_SKEW_MS = 5 * 60 * 1000;

export interface OrderView {
  order: AcmeOrderRecord;
  authorizations: AcmeAuthorizationRecord[];
}

/** The longest lifetime this principal may have now: the service's and its own ceiling. */
export function maxLifetimeSeconds(config: Config, principal: Principal): number {
  return Math.min(config.maxTtlSeconds, principal.maxTtlSeconds ?? Infinity);
}

function parseTime(raw: unknown, field: string): Date | null {
  if (raw === undefined) return null;
  const t = typeof raw === "string" && /^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(t)) throw new AcmeProblem("malformed", `${field} must be an RFC 3339 date-time (RFC 8555 §7.1.3)`);
  return new Date(t);
}

/** The names the principal's current policy refuses, as RFC 8555 §6.7.1 subproblems. */
export function refuseOutsidePolicy(principal: Principal, names: readonly SubjectName[]): void {
  const refused = principal.policy.disallowed(names);
  if (refused.length === 0) return;
  throw new AcmeProblem("rejectedIdentifier", `${describePrincipal(principal)} may not obtain certificates for: ${refused.map((n) => n.value).join(", ")}`, {
    subproblems: refused.map((n) => ({ type: "rejectedIdentifier", detail: `${n.value} is outside the names ${describePrincipal(principal)} may obtain`, identifier: identifierOf(n) })),
  });
}

/**
 * The requested lifetime (RFC 8555 §7.1.3 notBefore/notAfter): null for the
 * default; refused with malformed, naming the limit, beyond the principal's maximum.
 */
export function requestedLifetime(config: Config, principal: Principal, notBefore: Date | null, notAfter: Date | null, now: Date): number | null {
  if (notBefore && notBefore.getTime() > now.getTime() + NOT_BEFORE_SKEW_MS) {
    throw new AcmeProblem("malformed", "notBefore in the future is not supported: certificates are valid from when they are issued");
  }
  if (!notAfter) return null;
  const seconds = Math.ceil((notAfter.getTime() - now.getTime()) / 1000);
  if (seconds <= 0) throw new AcmeProblem("malformed", "notAfter is in the past");
  const max = maxLifetimeSeconds(config, principal);
  if (seconds > max) {
    throw new AcmeProblem("malformed", `notAfter is beyond the maximum certificate lifetime of ${formatDuration(max)} for ${describePrincipal(principal)}; ask for at most ${formatDuration(max)} (cert-manager: duration)`, {
      extensions: { max_lifetime: formatDuration(max) },
    });
  }
  return seconds;
}

/**
 * RFC 8555 §7.4 newOrder: every step of placing an order is here. RFC 9773 `replaces` is checked
 * (src/authority/acme/replaces.ts) before the order is written, against `renewal` (the CA set and
 * ledger), which the caller supplies when the payload names one.
 */
export async function placeOrder(
  ctx: AcmeContext,
  account: AcmeAccountRecord,
  principal: Principal,
  payload: Record<string, unknown> | null,
  renewal?: Omit<OrderReplacesContext, "store" | "now">,
): Promise<OrderView> {
  if (payload === null) throw new AcmeProblem("malformed", "newOrder needs a payload with identifiers");
  const names = parseIdentifiers(payload["identifiers"]);
  refuseOutsidePolicy(principal, names);
  const notBefore = parseTime(payload["notBefore"], "notBefore");
  const notAfter = parseTime(payload["notAfter"], "notAfter");
  requestedLifetime(ctx.config, principal, notBefore, notAfter, ctx.now);
  let replaces: string | null = null;
  if (payload["replaces"] !== undefined) {
    if (!renewal) throw new AcmeProblem("serverInternal", "replaces cannot be checked here");
    replaces = (await checkOrderReplaces({ ...renewal, store: ctx.store, now: ctx.now }, account, payload["replaces"], names)).certId;
  }
  const expires = new Date(ctx.now.getTime() + ctx.config.acme.orderTtlSeconds * 1000).toISOString();
  const order: AcmeOrderRecord = {
    id: randomId(),
    account_id: account.id,
    status: "ready",
    identifiers: names.map(identifierOf),
    not_before: notBefore ? (payload["notBefore"] as string) : null,
    not_after: notAfter ? (payload["notAfter"] as string) : null,
    expires_at: expires,
    created_at: ctx.now.toISOString(),
    certificate_serial: null,
    error: null,
    replaces,
  };
  // One authorization per identifier and order, created valid: the principal's policy is the authorization (no challenge).
  const authorizations: AcmeAuthorizationRecord[] = names.map((n) => ({
    id: randomId(),
    order_id: order.id,
    account_id: account.id,
    ...authorizationIdentifier(n),
    status: "valid",
    expires_at: expires,
  }));
  // The request's nonce is spent in the order's transaction (RFC 8555 §6.5): a replay orders nothing.
  await ctx.store.createOrder(order, authorizations, ctx.nonce);
  return { order, authorizations };
}

/** An authorization as of now: valid ones past their expiry read as expired (RFC 8555 §7.1.6). */
export function authorizationStatus(a: AcmeAuthorizationRecord, now: Date): "valid" | "deactivated" | "expired" {
  if (a.status === "valid" && Date.parse(a.expires_at) <= now.getTime()) return "expired";
  return a.status;
}

/**
 * An order as of now (RFC 8555 §7.1.6): a ready order past its expiry, or with
 * an authorization deactivated or expired, is invalid.
 */
export function orderStatus(view: OrderView, now: Date): AcmeOrderRecord["status"] {
  const { order } = view;
  if (order.status === "ready" || order.status === "processing") {
    if (Date.parse(order.expires_at) <= now.getTime()) return "invalid";
    if (order.status === "ready" && view.authorizations.some((a) => authorizationStatus(a, now) !== "valid")) return "invalid";
  }
  return order.status;
}

/** The account's own order, with its authorizations; another account's is refused. */
export async function orderOf(ctx: AcmeContext, account: AcmeAccountRecord, orderId: string): Promise<OrderView> {
  const order = await ctx.store.order(orderId);
  return ownOrder(account, order, order ? await ctx.store.authorizationsOf(order.id) : []);
}

/** An order read with its account (AcmeStore.accountWithOrder), if it is the account's own. */
export function ownOrder(account: AcmeAccountRecord, order: AcmeOrderRecord | null, authorizations: AcmeAuthorizationRecord[]): OrderView {
  if (!order) throw new AcmeProblem("malformed", "no such order", { status: 404 });
  if (order.account_id !== account.id) throw new AcmeProblem("unauthorized", "this order belongs to another account");
  return { order, authorizations };
}

/**
 * RFC 8555 §7.5 (read) and §7.5.2 (deactivate): certbot --dry-run deactivates
 * valid authorizations; a deactivated one is never valid again, and its order turns invalid.
 */
export async function authorizationOf(ctx: AcmeContext, account: AcmeAccountRecord, authzId: string, payload: Record<string, unknown> | null): Promise<AcmeAuthorizationRecord> {
  const authz = await ctx.store.authorization(authzId);
  if (!authz) throw new AcmeProblem("malformed", "no such authorization", { status: 404 });
  if (authz.account_id !== account.id) throw new AcmeProblem("unauthorized", "this authorization belongs to another account");
  if (payload === null) return authz;
  if (payload["status"] !== "deactivated") throw new AcmeProblem("malformed", 'the only status a client may set on an authorization is "deactivated" (RFC 8555 §7.5.2)');
  if (authz.status === "valid") await ctx.store.deactivateAuthorization(authz.id);
  return { ...authz, status: "deactivated" };
}
