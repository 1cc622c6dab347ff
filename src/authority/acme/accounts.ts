/**
 * Use cases on ACME accounts (RFC 8555 §7.3): newAccount with External
 * Account Binding, account lookup for kid-signed requests, contact update,
 * deactivation and key rollover.
 */
import type { JWK } from "jose";
import { jwkThumbprint, parseExternalBinding, verifyExternalBinding, verifyKeyChange, publicAccountJwk } from "../../pki/acme/jws.ts";
import { AcmeProblem } from "../../pki/acme/problem.ts";
import { eabHmacKey, randomId } from "../../pki/acme/secrets.ts";
import type { AcmeAccountRecord, AcmeStore, AuditLog, Principal } from "../../store/types.ts";
import { auditEvent, type RequestMeta } from "../mint-leaf.ts";
import type { AcmeContext } from "./context.ts";
import { currentPrincipal } from "./principal.ts";

const MAX_CONTACTS = 10;

/** RFC 8555 §7.3: contact URLs; edgeca sends no mail, but keeps mailto: addresses for the operator. */
function parseContact(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length > MAX_CONTACTS) throw new AcmeProblem("malformed", `contact must be an array of at most ${MAX_CONTACTS} URLs`);
  for (const c of raw) {
    if (typeof c !== "string" || !/^mailto:[^\s,?]{1,254}$/.test(c)) {
      throw new AcmeProblem("invalidContact", `contact ${JSON.stringify(String(c).slice(0, 64))} is not a mailto: URL with one address (RFC 8555 §7.3)`);
    }
  }
  return raw as string[];
}

/** The account and its principal, for a request that authenticated with the account's key. */
export interface ActingAccount {
  account: AcmeAccountRecord;
  principal: Principal;
}

function usable(account: AcmeAccountRecord): void {
  // RFC 8555 §7.3.6: a deactivated account's requests are refused with unauthorized.
  if (account.status !== "valid") throw new AcmeProblem("unauthorized", "this account is deactivated");
}

/** The account a kid names (the account id from its URL), usable, with its current principal. */
export async function accountForRequest(ctx: AcmeContext, account: AcmeAccountRecord): Promise<ActingAccount> {
  usable(account);
  return { account, principal: await currentPrincipal(account.binding, ctx.tokens, ctx.trust, ctx.now) };
}

export interface NewAccountInput {
  /** The outer JWS's key (checked public members) and alg. */
  jwk: JWK;
  payload: Record<string, unknown>;
  /** The request URL, which the EAB's url must equal. */
  url: string;
}

/**
 * RFC 8555 §7.3 newAccount. A key that already has an account gets that
 * account (200), without verifying, spending or rebinding an EAB
 * (cert-manager re-registers, cert-manager#2882); otherwise a valid EAB is
 * required (§7.3.4) and spent atomically with the account's creation.
 */
export async function registerAccount(ctx: AcmeContext, input: NewAccountInput): Promise<{ account: AcmeAccountRecord; created: boolean }> {
  const thumbprint = await jwkThumbprint(input.jwk);
  const existing = await ctx.store.accountByThumbprint(thumbprint);
  if (existing) {
    await ctx.limitPrincipal?.((await accountForRequest(ctx, existing)).principal);
    return { account: existing, created: false };
  }
  if (input.payload["onlyReturnExisting"] === true) throw new AcmeProblem("accountDoesNotExist", "no account exists with this key (RFC 8555 §7.3.1)");
  const eab = input.payload["externalAccountBinding"];
  if (eab === undefined) throw new AcmeProblem("externalAccountRequired", "this server requires externalAccountBinding: create a credential with `edgeca acme eab` (POST /v1/acme/eab)");
  const binding = await parseExternalBinding(eab, input.jwk, input.url);
  const record = await ctx.store.eab(binding.kid);
  if (!record) throw new AcmeProblem("unauthorized", "externalAccountBinding names an unknown kid");
  await verifyExternalBinding(binding, await eabHmacKey(ctx.keys, binding.kid));
  if (record.spent_at !== null) throw new AcmeProblem("unauthorized", "this EAB kid was already used to create an account; each credential binds one account");
  if (Date.parse(record.expires_at) <= ctx.now.getTime()) throw new AcmeProblem("unauthorized", `this EAB kid expired at ${record.expires_at}; create a new one`);
  // The principal must still be there (a token rotated since the kid was made binds nothing).
  await ctx.limitPrincipal?.(await currentPrincipal(record.binding, ctx.tokens, ctx.trust, ctx.now));
  const account: AcmeAccountRecord = {
    id: randomId(),
    thumbprint,
    jwk: input.jwk as Record<string, string>,
    status: "valid",
    contact: parseContact(input.payload["contact"]),
    binding: record.binding,
    eab_kid: binding.kid,
    created_at: ctx.now.toISOString(),
    expires_at: record.binding.kind === "oidc" ? record.binding.expires_at : null,
    deactivated_at: null,
  };
  const outcome = await ctx.store.createAccount(account, ctx.now.toISOString());
  if (outcome === "key_taken") {
    // The same key registered concurrently: answer with that account, the EAB stays unspent.
    const other = await ctx.store.accountByThumbprint(thumbprint);
    if (!other) throw new AcmeProblem("serverInternal", "the account could not be created; retry");
    await accountForRequest(ctx, other);
    return { account: other, created: false };
  }
  if (outcome === "eab_unusable") throw new AcmeProblem("unauthorized", "this EAB kid was already used or has expired");
  return { account, created: true };
}

/** RFC 8555 §7.3.2 / §7.3.6: POST to the account URL — read, update contact, or deactivate. */
export async function updateAccount(ctx: AcmeContext, account: AcmeAccountRecord, payload: Record<string, unknown> | null): Promise<AcmeAccountRecord> {
  if (payload === null) return account;
  let current = account;
  if (payload["contact"] !== undefined) {
    const contact = parseContact(payload["contact"]);
    await ctx.store.setContact(account.id, contact);
    current = { ...current, contact };
  }
  if (payload["status"] !== undefined) {
    if (payload["status"] !== "deactivated") throw new AcmeProblem("malformed", 'the only status a client may set is "deactivated" (RFC 8555 §7.3.6)');
    await ctx.store.deactivateAccount(account.id, ctx.now.toISOString());
    current = { ...current, status: "deactivated", deactivated_at: ctx.now.toISOString() };
  }
  return current;
}

/**
 * RFC 8555 §7.3.5 keyChange: the inner JWS, signed by the new key, names this
 * account and its current key. 409 with the holder's URL when the new key has
 * an account already (returned as `conflictAccountId`).
 */
export async function changeKey(ctx: AcmeContext, account: AcmeAccountRecord, accountUrl: string, inner: unknown, outerUrl: string): Promise<{ ok: true } | { ok: false; conflictAccountId: string }> {
  const change = await verifyKeyChange(inner, outerUrl);
  if (change.account !== accountUrl) throw new AcmeProblem("unauthorized", "the keyChange payload's account is not the account that signed the request (RFC 8555 §7.3.5)");
  let oldMatches = false;
  try {
    oldMatches = typeof change.oldKey === "object" && change.oldKey !== null && (await jwkThumbprint(change.oldKey as JWK)) === account.thumbprint;
  } catch {
    oldMatches = false;
  }
  if (!oldMatches) throw new AcmeProblem("unauthorized", "the keyChange payload's oldKey is not the account's current key (RFC 8555 §7.3.5)");
  const thumbprint = await jwkThumbprint(change.newKey);
  const holder = await ctx.store.accountByThumbprint(thumbprint);
  if (holder) return { ok: false, conflictAccountId: holder.id };
  const outcome = await ctx.store.changeKey(account.id, account.thumbprint, thumbprint, publicAccountJwk(change.newKey, algOf(change.newKey)) as Record<string, string>);
  if (outcome === "key_taken") {
    const other = await ctx.store.accountByThumbprint(thumbprint);
    return { ok: false, conflictAccountId: other?.id ?? account.id };
  }
  if (outcome === "stale") throw new AcmeProblem("unauthorized", "the account's key changed concurrently; retry with its current key");
  return { ok: true };
}

function algOf(jwk: JWK): string {
  return jwk.kty === "RSA" ? "RS256" : jwk.kty === "OKP" ? "EdDSA" : jwk.crv === "P-384" ? "ES384" : "ES256";
}

/**
 * POST /v1/acme/accounts/{id}/deactivate: an operator cuts an account (RFC 8555 §7.3.6's end state).
 * Audited (acme_deactivate, acme_account=<id>) when it changed the account; null for an unknown id.
 */
export async function deactivateByOperator(ctx: { store: AcmeStore; audit: AuditLog; now: Date; request: RequestMeta }, id: string): Promise<AcmeAccountRecord | null> {
  const account = /^[A-Za-z0-9_-]{1,64}$/.test(id) ? await ctx.store.account(id) : null;
  if (!account) return null;
  if (await ctx.store.deactivateAccount(id, ctx.now.toISOString())) {
    await ctx.audit.append(auditEvent({ now: ctx.now, request: { ...ctx.request, acmeAccountId: id } }, "acme_deactivate", 200, null));
  }
  return (await ctx.store.account(id)) ?? account;
}
