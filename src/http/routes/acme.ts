/**
 * The ACME front end (RFC 8555) under /acme/*: directory, nonces, the JWS
 * checks every POST passes (§6.2–§6.5), resource URLs, and RFC 8555 problem
 * documents. Loaded lazily by src/app.ts on the first /acme request, so the
 * rest of the API never evaluates it (or jose). Each handler parses,
 * authenticates the account, calls one use case in src/authority/acme/ and
 * renders the resource.
 */
import type { Context } from "hono";
import type { JWK } from "jose";
import { accountForRequest, changeKey, registerAccount, updateAccount, type ActingAccount } from "../../authority/acme/accounts.ts";
import type { AcmeContext } from "../../authority/acme/context.ts";
import { certificateChain, finalizeOrder } from "../../authority/acme/finalize.ts";
import { authorizationOf, authorizationStatus, orderStatus, ownOrder, placeOrder, type OrderView } from "../../authority/acme/orders.ts";
import { revokeByAcme } from "../../authority/acme/revoke.ts";
import { requireCaSet } from "../../authority/certificate-authority.ts";
import { ApiError, type ErrorCode } from "../../errors.ts";
import { checkRequestHeader, decodePayload, parseFlattenedJws, payloadJson, publicAccountJwk, verifyWithAccountKey, type FlattenedJws } from "../../pki/acme/jws.ts";
import { checkNonce, mintNonce } from "../../pki/acme/nonce.ts";
import { AcmeProblem, acmeProblemBody, type AcmeErrorType } from "../../pki/acme/problem.ts";
import type { AcmeKeys } from "../../pki/acme/secrets.ts";
import { acmeKeysFor } from "../../store/acme-keys.ts";
import { AccountChanged, type AcmeAccountRecord, type AcmeAuthorizationRecord, type AcmeOrderRecord, type CertificateRecord, type Principal } from "../../store/types.ts";
import type { RequestMeta } from "../../authority/mint-leaf.ts";
import { authorityContext, clientAddress, requestMeta, requireStores } from "../context.ts";
import { limitByPrincipal, limitClient } from "../middleware/rate-limit.ts";
import type { AppEnv } from "../types.ts";

/** Largest JWS accepted: a CSR of an RSA-8192 key with 100 names fits well within it. */
export const MAX_JWS_BYTES = 64 * 1024;
/** Most orders listed on an account's orders URL (RFC 8555 §7.1.2.1 allows paging; clients never read it). */
const MAX_LISTED_ORDERS = 100;

type C = Context<AppEnv>;

/** Per request: the base URL (PUBLIC_URL, else the request's origin) and the use-case context. */
interface Acme {
  c: C;
  base: string;
  keys: AcmeKeys;
  ctx: AcmeContext;
  /** The request body, read once (a request verified with a stale account copy runs again from storage). */
  body?: string;
  /** Verify from storage, not from this isolate's copy of the account (set for that second run). */
  fresh?: boolean;
}

/**
 * Accounts as last read from storage, per isolate, so the hot requests (newOrder, the order, the
 * download) verify their JWS without a read first. A copy is only a guess: those requests spend their
 * nonce in the same D1 transaction as their read or write, on condition that the stored account is
 * still valid with the same key and binding (PendingNonce.account); when it is not (deactivated or
 * re-keyed in another isolate), nothing is written and the request runs again from storage. The
 * binding's principal is re-resolved against the current tokens and trust policies on every request, as before.
 */
const ACCOUNTS = new Map<string, AcmeAccountRecord>();
const MAX_ACCOUNTS = 1024;

/**
 * Orders this isolate just placed, so their finalize (which clients send right after) reads nothing
 * before it signs: finalize's one transaction re-checks everything about the order (still ready,
 * unexpired, authorizations valid, account valid with its key), and when the copy was stale it writes
 * nothing and the request runs again from storage.
 */
const ORDERS = new Map<string, OrderView>();

function rememberOrder(view: OrderView): void {
  if (ORDERS.size >= MAX_ACCOUNTS) ORDERS.delete(ORDERS.keys().next().value!);
  ORDERS.set(view.order.id, view);
}

function remember(account: AcmeAccountRecord): void {
  ACCOUNTS.delete(account.id);
  if (account.status !== "valid") return;
  if (ACCOUNTS.size >= MAX_ACCOUNTS) ACCOUNTS.delete(ACCOUNTS.keys().next().value!);
  ACCOUNTS.set(account.id, account);
}

/** The JWS of a POST, verified: its payload, and the account (kid) or key (jwk) that signed it. */
interface Verified {
  jws: FlattenedJws;
  payload: Uint8Array;
  acting?: ActingAccount;
  jwk?: JWK;
  /** What `preload` read with the account. */
  loaded?: { order: AcmeOrderRecord | null; authorizations: AcmeAuthorizationRecord[] } | { certificate: Pick<CertificateRecord, "pem" | "issuer_fingerprint" | "acme_account_id"> | null } | undefined;
}

function url(a: Acme, path: string): string {
  return `${a.base}${path}`;
}

function headers(a: Acme, nonce: string): Record<string, string> {
  // RFC 8555 §6.5: a fresh nonce on every response; §7.1: Link rel="index" to the directory.
  return { "Replay-Nonce": nonce, Link: `<${url(a, "/acme/directory")}>;rel="index"`, "Cache-Control": "no-store" };
}

async function respond(a: Acme, status: number, body: unknown, extra: Record<string, string> = {}): Promise<Response> {
  const h = { ...headers(a, await mintNonce(a.keys.nonce, Date.now())), ...extra };
  if (body === null) return new Response(null, { status, headers: h });
  if (typeof body === "string") return new Response(body, { status, headers: { "Content-Type": "application/pem-certificate-chain", ...h } });
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...h } });
}

/** Every ApiError a shared use case can raise, as the RFC 8555 §6.7 type a client acts on. */
const FROM_API: Record<ErrorCode, AcmeErrorType> = {
  invalid_json: "malformed",
  validation_failed: "malformed",
  invalid_hostname: "rejectedIdentifier",
  invalid_duration: "malformed",
  ttl_too_long: "malformed",
  ca_validity_exceeded: "malformed",
  invalid_csr: "badCSR",
  csr_signature_invalid: "badCSR",
  unsupported_key: "badCSR",
  no_names: "badCSR",
  invalid_common_name: "badCSR",
  invalid_pem: "malformed",
  invalid_certificate: "malformed",
  unsupported_format: "malformed",
  unauthorized: "unauthorized",
  invalid_token: "unauthorized",
  insufficient_scope: "unauthorized",
  name_not_allowed: "rejectedIdentifier",
  certificate_not_found: "malformed",
  // RFC 9773 §5: a replaced predecessor is alreadyReplaced (409); another account's is unauthorized; the rest malformed.
  replaces_forbidden: "unauthorized",
  already_replaced: "alreadyReplaced",
  replaces_not_found: "malformed",
  replaces_unrelated: "malformed",
  not_found: "malformed",
  method_not_allowed: "malformed",
  already_revoked: "alreadyRevoked",
  idempotency_in_progress: "malformed",
  payload_too_large: "malformed",
  idempotency_key_reused: "malformed",
  rate_limited: "rateLimited",
  config_invalid: "serverInternal",
  ca_not_configured: "serverInternal",
  ca_invalid: "serverInternal",
  ledger_unavailable: "serverInternal",
  identity_provider_unavailable: "serverInternal",
  internal: "serverInternal",
};

function toProblem(e: unknown, requestId: string): AcmeProblem {
  if (e instanceof AcmeProblem) return e;
  if (e instanceof ApiError) {
    // edgeca's stable `code` rides along (as on /acme/renewal-info): e.g. config_invalid tells an operator
    // that a setting is wrong, which serverInternal alone does not.
    return new AcmeProblem(FROM_API[e.code], e.detail ?? e.message, { status: e.status, extensions: { code: e.code }, ...(e.options.headers ? { headers: e.options.headers } : {}) });
  }
  console.error(JSON.stringify({ level: "error", request_id: requestId, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));
  return new AcmeProblem("serverInternal", `an internal error occurred; quote request id ${requestId} when reporting it`);
}

async function problemResponse(a: Pick<Acme, "base"> & { keys: AcmeKeys | null }, p: AcmeProblem, requestId: string): Promise<Response> {
  const h: Record<string, string> = {
    "Content-Type": "application/problem+json",
    "Cache-Control": "no-store",
    Link: `<${a.base}/acme/directory>;rel="index"`,
    ...p.options.headers,
  };
  // RFC 8555 §6.5: badNonce in particular must carry a fresh nonce, which clients retry with.
  if (a.keys) h["Replay-Nonce"] = await mintNonce(a.keys.nonce, Date.now());
  return new Response(JSON.stringify({ ...acmeProblemBody(p), request_id: requestId }), { status: p.status, headers: h });
}

async function readBody(c: C): Promise<string> {
  const declared = c.req.header("Content-Length");
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > MAX_JWS_BYTES) {
    throw new AcmeProblem("malformed", `request bodies are limited to ${MAX_JWS_BYTES} bytes`, { status: 413 });
  }
  const body = c.req.raw.body;
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_JWS_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new AcmeProblem("malformed", `request bodies are limited to ${MAX_JWS_BYTES} bytes`, { status: 413 });
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(all);
  } catch {
    throw new AcmeProblem("malformed", "the request body is not UTF-8");
  }
}

/** What a request reads with its account, in the same D1 batch (one round trip for the hot paths). */
type Preload = { order: string } | { certificate: string };

/**
 * RFC 8555 §6.2–§6.5 for one POST: Content-Type, flattened JWS, header rules,
 * url, nonce MAC and age, the key (kid → the account, read in one batch with
 * the resource `preload` names; jwk → that key), signature, and only then
 * the nonce is spent, so unauthenticated traffic never writes. A request
 * with a state change defers the spending (`deferNonce`) to that change's
 * transaction (a replay then changes nothing); handleAcme spends a deferred
 * nonce the use case did not, success or refusal, so every verified nonce is spent once.
 */
async function verifyPost(a: Acme, keyBy: "kid" | "jwk" | "either", o: { preload?: Preload; deferNonce?: boolean; fast?: boolean } = {}): Promise<Verified> {
  const type = a.c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/jose+json") throw new AcmeProblem("malformed", "ACME requests are application/jose+json (RFC 8555 §6.2)", { status: 415 });
  a.body ??= await readBody(a.c);
  const text = a.body;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AcmeProblem("malformed", "the request body is not JSON");
  }
  const jws = parseFlattenedJws(json);
  // RFC 8555 §6.4: the URL the request is directed to, query included (the orders list's rel="next" pages).
  const requestUrl = url(a, a.c.req.path + new URL(a.c.req.url).search);
  checkRequestHeader(jws.header, requestUrl, keyBy);
  const nonce = jws.header.nonce;
  if (nonce === undefined) throw new AcmeProblem("badNonce", "the JWS has no nonce (RFC 8555 §6.5)");
  const check = await checkNonce(a.keys.nonce, nonce, a.ctx.now.getTime());
  if (!check.ok) throw new AcmeProblem("badNonce", check.reason === "expired" ? "the nonce has expired; use the Replay-Nonce of this response" : "the nonce was not issued by this server; use the Replay-Nonce of this response");

  let verified: Verified;
  if (jws.header.jwk !== undefined) {
    const jwk = publicAccountJwk(jws.header.jwk, jws.header.alg);
    verified = { jws, payload: await verifyWithAccountKey(jws, jwk), jwk };
  } else {
    const prefix = url(a, "/acme/account/");
    const kid = jws.header.kid!;
    const id = kid.startsWith(prefix) ? kid.slice(prefix.length) : "";
    const expiresAt = new Date(check.expiresAtMs).toISOString();
    // A deferred nonce with a read (finalize) takes the fast path only with this isolate's copy of the order.
    const order = o.preload && "order" in o.preload && o.deferNonce ? ORDERS.get(o.preload.order) : undefined;
    const cached = o.fast && !a.fresh && (!o.deferNonce || !o.preload || order) ? ACCOUNTS.get(id) : undefined;
    if (cached) {
      // The fast path: verified with this isolate's copy; the nonce is spent guarded by the stored account (see ACCOUNTS).
      const payload = await verifyWithAccountKey(jws, cached.jwk).catch(() => null);
      if (payload) {
        a.ctx.nonce = { value: nonce, expiresAt, spent: false, account: { id, thumbprint: cached.thumbprint, binding: JSON.stringify(cached.binding) } };
        const acting = await accountForRequest(a.ctx, cached);
        const loaded = order ? { order: order.order, authorizations: order.authorizations } : o.preload ? await a.ctx.store.spendNonceAndRead(a.ctx.nonce, o.preload) : undefined;
        a.c.set("principal", acting.principal);
        return { jws, payload, acting, loaded };
      }
    }
    let account: AcmeAccountRecord | null = null;
    let loaded: Verified["loaded"];
    if (/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
      if (o.preload && "order" in o.preload) {
        const r = await a.ctx.store.accountWithOrder(id, o.preload.order);
        account = r.account;
        loaded = { order: r.order, authorizations: r.authorizations };
      } else if (o.preload) {
        const r = await a.ctx.store.accountWithCertificate(id, o.preload.certificate);
        account = r.account;
        loaded = { certificate: r.certificate };
      } else {
        account = await a.ctx.store.account(id);
      }
    }
    if (!account) throw new AcmeProblem("accountDoesNotExist", "the kid is not the URL of an account of this server (RFC 8555 §6.2)");
    remember(account);
    const payload = await verifyWithAccountKey(jws, account.jwk);
    verified = { jws, payload, loaded };
    // Verified: from here on this nonce is spent whatever happens (handleAcme spends it if nothing else did).
    a.ctx.nonce = { value: nonce, expiresAt: new Date(check.expiresAtMs).toISOString(), spent: false };
    verified.acting = await accountForRequest(a.ctx, account);
  }
  a.ctx.nonce ??= { value: nonce, expiresAt: new Date(check.expiresAtMs).toISOString(), spent: false };
  if (!o.deferNonce) await spendNonce(a);
  if (verified.acting) a.c.set("principal", verified.acting.principal);
  return verified;
}

/** Spends the verified request's nonce unless its state change's transaction did; a replay is badNonce. */
async function spendNonce(a: Acme): Promise<void> {
  const n = a.ctx.nonce;
  if (!n || n.spent) return;
  n.spent = true;
  if (!(await a.ctx.store.spendNonce(n.value, n.expiresAt, n.account))) {
    throw new AcmeProblem("badNonce", "the nonce was already used; use the Replay-Nonce of this response (RFC 8555 §6.5)");
  }
}

function requireAccount(v: Verified): ActingAccount {
  if (!v.acting) throw new AcmeProblem("malformed", "this resource needs a JWS with kid (RFC 8555 §6.2)");
  return v.acting;
}

function postAsGet(v: Verified): void {
  if (v.payload.length !== 0) throw new AcmeProblem("malformed", 'this resource is read with POST-as-GET: an empty payload "" (RFC 8555 §6.3)');
}

function accountJson(a: Acme, account: AcmeAccountRecord) {
  return {
    status: account.status,
    contact: account.contact,
    orders: url(a, `/acme/account/${account.id}/orders`),
    createdAt: account.created_at,
    ...(account.expires_at ? { expires: account.expires_at } : {}),
  };
}

function orderJson(a: Acme, view: OrderView) {
  const { order } = view;
  const status = orderStatus(view, a.ctx.now);
  return {
    status,
    expires: order.expires_at,
    identifiers: order.identifiers,
    ...(order.not_before ? { notBefore: order.not_before } : {}),
    ...(order.not_after ? { notAfter: order.not_after } : {}),
    authorizations: view.authorizations.map((z) => url(a, `/acme/authz/${z.id}`)),
    finalize: url(a, `/acme/order/${order.id}/finalize`),
    ...(order.certificate_serial ? { certificate: url(a, `/acme/cert/${order.certificate_serial}`) } : {}),
    // RFC 9773 §5: the order echoes the certID it replaces.
    ...(order.replaces ? { replaces: order.replaces } : {}),
    ...(status === "invalid" ? { error: { type: "urn:ietf:params:acme:error:unauthorized", detail: order.error ?? "the order expired or one of its authorizations was deactivated" } } : {}),
  };
}

/**
 * An order's response headers: its Location, and Retry-After while it is processing (RFC 8555 §7.4: the
 * client polls the order; 1 s because a certificate is signed and recorded within one request here).
 */
function orderHeaders(a: Acme, view: OrderView): Record<string, string> {
  const h: Record<string, string> = { Location: url(a, `/acme/order/${view.order.id}`) };
  if (orderStatus(view, a.ctx.now) === "processing") h["Retry-After"] = "1";
  return h;
}

function authorizationJson(a: Acme, z: AcmeAuthorizationRecord) {
  return {
    identifier: z.identifier,
    status: authorizationStatus(z, a.ctx.now),
    expires: z.expires_at,
    // No challenges: the account's edgeca principal is the authorization (docs/acme.md).
    challenges: [],
    ...(z.wildcard ? { wildcard: true } : {}),
  };
}

async function limit(a: Acme, principal: Principal): Promise<void> {
  await limitByPrincipal(a.c, principal);
}

/** The last path segment after `prefix`, when it is an id this server could have made. */
function idAfter(path: string, prefix: string, suffix = ""): string | null {
  if (!path.startsWith(prefix) || !path.endsWith(suffix)) return null;
  const id = path.slice(prefix.length, path.length - suffix.length);
  return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : null;
}

type Handler = (a: Acme) => Promise<Response>;

const directory: Handler = (a) =>
  respond(a, 200, {
    newNonce: url(a, "/acme/new-nonce"),
    newAccount: url(a, "/acme/new-account"),
    newOrder: url(a, "/acme/new-order"),
    revokeCert: url(a, "/acme/revoke-cert"),
    keyChange: url(a, "/acme/key-change"),
    renewalInfo: url(a, "/acme/renewal-info"),
    meta: { externalAccountRequired: true, website: url(a, "/docs") },
  });

const newAccount: Handler = async (a) => {
  const v = await verifyPost(a, "jwk");
  const payload = payloadJson(v.payload) ?? {};
  const { account, created } = await registerAccount(a.ctx, { jwk: v.jwk!, payload, url: v.jws.header.url });
  // RFC 8555 §7.3: 201 for a new account, 200 for the key's existing one; Location is the account URL either way.
  return respond(a, created ? 201 : 200, accountJson(a, account), { Location: url(a, `/acme/account/${account.id}`) });
};

const accountResource = (id: string): Handler => async (a) => {
  const v = await verifyPost(a, "kid");
  const acting = requireAccount(v);
  if (acting.account.id !== id) throw new AcmeProblem("unauthorized", "the kid is not this account (RFC 8555 §7.3.2)");
  const account = await updateAccount(a.ctx, acting.account, payloadJson(v.payload));
  return respond(a, 200, accountJson(a, account), { Location: url(a, `/acme/account/${id}`) });
};

const accountOrders = (id: string): Handler => async (a) => {
  const v = await verifyPost(a, "kid");
  postAsGet(v);
  const acting = requireAccount(v);
  if (acting.account.id !== id) throw new AcmeProblem("unauthorized", "these are another account's orders");
  // RFC 8555 §7.1.2.1: "The server SHOULD include pending orders and SHOULD NOT include orders that are
  // invalid"; it "MAY return an incomplete list, along with a Link header field with a "next" link relation".
  const after = orderCursor(a.c.req.query("cursor"));
  const rows = await a.ctx.store.ordersOf(id, MAX_LISTED_ORDERS + 1, a.ctx.now.toISOString(), after);
  const page = rows.slice(0, MAX_LISTED_ORDERS);
  const last = page[page.length - 1];
  const extra: Record<string, string> =
    rows.length > MAX_LISTED_ORDERS && last
      ? { Link: `<${url(a, "/acme/directory")}>;rel="index", <${url(a, `/acme/account/${id}/orders?cursor=${Date.parse(last.created_at)}.${last.id}`)}>;rel="next"` }
      : {};
  return respond(a, 200, { orders: page.map((o) => url(a, `/acme/order/${o.id}`)) }, extra);
};

/** The position after which an orders page starts (`<created_at in ms>.<order id>`, from our own rel="next" link). */
function orderCursor(raw: string | undefined): { created_at: string; id: string } | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{1,64})$/.exec(raw);
  const ms = m ? Number(m[1]) : NaN;
  if (!m || !Number.isFinite(ms) || ms > 8.64e15) throw new AcmeProblem("malformed", "cursor is not one this server's orders list gave (follow its Link rel=\"next\")");
  return { created_at: new Date(ms).toISOString(), id: m[2]! };
}

const keyChange: Handler = async (a) => {
  const v = await verifyPost(a, "kid");
  const acting = requireAccount(v);
  const accountUrl = url(a, `/acme/account/${acting.account.id}`);
  const outcome = await changeKey(a.ctx, acting.account, accountUrl, payloadJson(v.payload), v.jws.header.url);
  if (!outcome.ok) {
    // RFC 8555 §7.3.5: 409 with the Location of the account that holds the new key.
    throw new AcmeProblem("malformed", "the new key already belongs to an account", { status: 409, headers: { Location: url(a, `/acme/account/${outcome.conflictAccountId}`) } });
  }
  const account = (await a.ctx.store.account(acting.account.id)) ?? acting.account;
  return respond(a, 200, accountJson(a, account), { Location: accountUrl });
};

const newOrder: Handler = async (a) => {
  // The nonce is spent in the order's transaction (placeOrder).
  const v = await verifyPost(a, "kid", { deferNonce: true, fast: true });
  const acting = requireAccount(v);
  await limit(a, acting.principal);
  const payload = payloadJson(v.payload);
  // RFC 9773 §5: only an order naming a predecessor needs the CA set and the ledger.
  const renewal = payload?.["replaces"] !== undefined ? { set: await requireCaSet(a.c.get("deps").caMaterial, a.ctx.now), ledger: requireStores(a.c).ledger } : undefined;
  const view = await placeOrder(a.ctx, acting.account, acting.principal, payload, renewal);
  rememberOrder(view);
  return respond(a, 201, orderJson(a, view), { Location: url(a, `/acme/order/${view.order.id}`) });
};

function preloadedOrder(v: Verified, account: AcmeAccountRecord): OrderView {
  const loaded = v.loaded && "order" in v.loaded ? v.loaded : { order: null, authorizations: [] };
  return ownOrder(account, loaded.order, loaded.authorizations);
}

const orderResource = (id: string): Handler => async (a) => {
  const v = await verifyPost(a, "kid", { preload: { order: id }, fast: true });
  postAsGet(v);
  const view = preloadedOrder(v, requireAccount(v).account);
  return respond(a, 200, orderJson(a, view), orderHeaders(a, view));
};

const finalize = (id: string): Handler => async (a) => {
  // The order is read with the account; the nonce is spent in the certificate's transaction (finalizeOrder).
  const v = await verifyPost(a, "kid", { preload: { order: id }, deferNonce: true, fast: true });
  const acting = requireAccount(v);
  await limit(a, acting.principal);
  const own = preloadedOrder(v, acting.account);
  const authority = await authorityContext(a.c);
  ORDERS.delete(id);
  const view = await finalizeOrder(authority, a.ctx, acting, own, payloadJson(v.payload));
  return respond(a, 200, orderJson(a, view), orderHeaders(a, view));
};

const authorization = (id: string): Handler => async (a) => {
  const v = await verifyPost(a, "kid");
  const z = await authorizationOf(a.ctx, requireAccount(v).account, id, payloadJson(v.payload));
  return respond(a, 200, authorizationJson(a, z));
};

const certificate = (serial: string): Handler => async (a) => {
  const v = await verifyPost(a, "kid", { preload: { certificate: serial }, fast: true });
  postAsGet(v);
  const set = await requireCaSet(a.c.get("deps").caMaterial, a.ctx.now);
  const chain = await certificateChain(set, requireAccount(v), v.loaded && "certificate" in v.loaded ? v.loaded.certificate : null);
  return respond(a, 200, chain);
};

const revokeCert: Handler = async (a) => {
  const v = await verifyPost(a, "either");
  if (v.acting) await limit(a, v.acting.principal);
  const revoker = v.acting ? { kind: "account" as const, acting: v.acting } : { kind: "certificate-key" as const, jwk: v.jwk! };
  // The audit row names the revoking account (acme_account=<id>); revoked with the certificate's own key,
  // revokeByAcme names the certificate's principal and the means (by=certificate_key).
  const meta: RequestMeta = v.acting
    ? { ...requestMeta(a.c), acmeAccountId: v.acting.account.id }
    : { requestId: a.c.get("requestId"), tokenName: "", subject: null, clientAddress: clientAddress(a.c), method: a.c.req.method, path: a.c.req.path };
  await revokeByAcme({ ledger: requireStores(a.c).ledger, now: a.ctx.now, request: meta }, revoker, payloadJson(v.payload));
  return respond(a, 200, null);
};

const newNonce: Handler = (a) => respond(a, a.c.req.method === "HEAD" ? 200 : 204, null);

/**
 * The resource a path names and the methods it answers (405 otherwise).
 * GET /acme/renewal-info/{certID} (RFC 9773) never reaches this handler: src/app.ts mounts
 * src/http/routes/acme-renewal-info.ts ahead of it (no JWS, so no need to load this module).
 */
function route(path: string): { methods: string[]; handler: Handler } | null {
  switch (path) {
    case "/acme/directory":
      return { methods: ["GET", "HEAD"], handler: directory };
    case "/acme/new-nonce":
      return { methods: ["GET", "HEAD"], handler: newNonce };
    case "/acme/new-account":
      return { methods: ["POST"], handler: newAccount };
    case "/acme/new-order":
      return { methods: ["POST"], handler: newOrder };
    case "/acme/revoke-cert":
      return { methods: ["POST"], handler: revokeCert };
    case "/acme/key-change":
      return { methods: ["POST"], handler: keyChange };
  }
  let id: string | null;
  if ((id = idAfter(path, "/acme/account/", "/orders"))) return { methods: ["POST"], handler: accountOrders(id) };
  if ((id = idAfter(path, "/acme/account/"))) return { methods: ["POST"], handler: accountResource(id) };
  if ((id = idAfter(path, "/acme/order/", "/finalize"))) return { methods: ["POST"], handler: finalize(id) };
  if ((id = idAfter(path, "/acme/order/"))) return { methods: ["POST"], handler: orderResource(id) };
  if ((id = idAfter(path, "/acme/authz/"))) return { methods: ["POST"], handler: authorization(id) };
  if ((id = idAfter(path, "/acme/cert/"))) return { methods: ["POST"], handler: certificate(id) };
  return null;
}

/**
 * Runs a handler and spends the verified request's nonce if its use case did not, success or refusal:
 * replaying a refused request must never change state later (RFC 8555 §6.5). A refusal whose nonce was
 * already spent is badNonce; AccountChanged (a stale copy of the account) goes up to be run again.
 */
async function attempt(a: Acme, handler: Handler): Promise<Response> {
  let res: Response;
  try {
    res = await handler(a);
  } catch (e) {
    if (!(e instanceof AccountChanged) && a.ctx.nonce && !a.ctx.nonce.spent) await spendNonce(a);
    throw e;
  }
  await spendNonce(a);
  return res;
}

/** Serves one /acme/* request; every failure becomes an RFC 8555 problem document with a fresh nonce. */
export async function handleAcme(c: C): Promise<Response> {
  const requestId = c.get("requestId");
  const deps = c.get("deps");
  const config = deps.config;
  const base = (typeof config !== "string" && config.publicUrl) || new URL(c.req.url).origin;
  const keysPromise = acmeKeysFor(deps.storeKey);
  const keys = keysPromise ? await keysPromise : null;
  try {
    await limitClient(c);
    // Configuration errors are the configuration layer's messages, as config_invalid (503, serverInternal on the wire).
    if (typeof config === "string") throw new ApiError("config_invalid", config);
    // A malformed STORE_KEY gets what is wrong with it, not "needs STORE_KEY".
    if (typeof deps.storeKey === "string") throw new ApiError("config_invalid", deps.storeKey);
    if (!keys) throw new ApiError("config_invalid", "ACME needs STORE_KEY (32 random bytes, base64) to sign nonces and derive EAB keys; `npm start` creates one");
    const stores = requireStores(c);
    const found = route(c.req.path);
    if (!found) throw new AcmeProblem("malformed", `no ACME resource at ${c.req.path.slice(0, 128)}`, { status: 404 });
    if (!found.methods.includes(c.req.method)) throw new AcmeProblem("malformed", `${c.req.method} is not supported here`, { status: 405, headers: { Allow: found.methods.join(", ") } });
    const a: Acme = {
      c,
      base,
      keys,
      ctx: { store: stores.acme, keys, config, tokens: deps.tokens, trust: deps.oidcTrust, now: c.get("now") },
    };
    a.ctx.limitPrincipal = (p) => limit(a, p);
    try {
      return await attempt(a, found.handler);
    } catch (e) {
      if (!(e instanceof AccountChanged)) throw e;
      // Verified with a stale copy of the account (deactivated or re-keyed elsewhere): nothing was written; again from storage.
      a.fresh = true;
      a.ctx.nonce = undefined;
      return await attempt(a, found.handler);
    }
  } catch (e) {
    return problemResponse({ base, keys }, toProblem(e, requestId), requestId);
  }
}
