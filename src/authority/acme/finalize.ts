/**
 * Use case: RFC 8555 §7.4 finalize, and the certificate download (§7.4.2).
 * The CSR goes through the same path as POST /v1/certificates/sign (key
 * rules, Kuma-ready profile, self-check, ledger record, audit), with the
 * names and lifetime re-checked against the principal's CURRENT policy; the
 * order is claimed atomically first, so one order never yields two certificates.
 */
import { ApiError } from "../../errors.ts";
import { accountKeySpki } from "../../pki/acme/jws.ts";
import { describeCsrMismatch, matchCsrToOrder } from "../../pki/acme/identifiers.ts";
import { AcmeProblem } from "../../pki/acme/problem.ts";
import { timingSafeEqual } from "../../pki/bytes.ts";
import { describeCsrProblem, parseCsr } from "../../pki/csr.ts";
import { normalizeNames } from "../../pki/names.ts";
import type { CertificateRecord, Ledger } from "../../store/types.ts";
import type { CaSet } from "../../pki/certificate-authority.ts";
import { issuerByFingerprint } from "../certificate-authority.ts";
import type { AuthorityContext } from "../mint-leaf.ts";
import { signCertificateRequest } from "../sign-csr.ts";
import type { ActingAccount } from "./accounts.ts";
import type { AcmeContext } from "./context.ts";
import { orderOf, orderStatus, refuseOutsidePolicy, requestedLifetime, type OrderView } from "./orders.ts";

/** A CSR as ACME sends it (base64url DER, RFC 8555 §7.4) to PEM for the CSR parser. */
function csrPem(raw: unknown): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 16384 || !/^[A-Za-z0-9_-]+$/.test(raw)) {
    throw new AcmeProblem("badCSR", "csr must be the base64url DER of a PKCS#10 request (RFC 8555 §7.4)");
  }
  const b64 = raw.replace(/-/g, "+").replace(/_/g, "/");
  const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
  return `-----BEGIN CERTIFICATE REQUEST-----\n${padded.replace(/.{1,64}/g, "$&\n")}-----END CERTIFICATE REQUEST-----\n`;
}

function notReady(status: string): AcmeProblem {
  return new AcmeProblem("orderNotReady", `the order is ${status}, not ready: finalize works once per order (RFC 8555 §7.4)`);
}

export async function finalizeOrder(authority: AuthorityContext, ctx: AcmeContext, acting: ActingAccount, orderId: string, payload: Record<string, unknown> | null): Promise<OrderView> {
  const { account, principal } = acting;
  const view = await orderOf(ctx, account, orderId);
  const status = orderStatus(view, ctx.now);
  if (status !== "ready") throw notReady(status);
  if (payload === null) throw new AcmeProblem("malformed", "finalize needs a payload with csr");
  const pem = csrPem(payload["csr"]);
  const parsed = await parseCsr(pem);
  if (!parsed.ok) throw new AcmeProblem("badCSR", describeCsrProblem(parsed.error));
  const mismatch = matchCsrToOrder(parsed.value.requestedNames, parsed.value.commonNames, view.order.identifiers);
  if (mismatch) throw new AcmeProblem("badCSR", describeCsrMismatch(mismatch));
  // RFC 8555 §11.1: the account key must not be the certificate's key.
  const accountSpki = await accountKeySpki(account.jwk);
  if (accountSpki && timingSafeEqual(accountSpki, parsed.value.publicKey)) throw new AcmeProblem("badCSR", "the CSR's key is the account key; use a separate key for the certificate (RFC 8555 §11.1)");
  const names = normalizeNames(view.order.identifiers.map((i) => i.value));
  if (!names.ok) throw new AcmeProblem("serverInternal", "the order holds a name that no longer normalizes");
  refuseOutsidePolicy(principal, names.value);
  const lifetime = view.order.not_after ? requestedLifetime(ctx.config, principal, null, new Date(view.order.not_after), ctx.now) : null;

  if (!(await ctx.store.claimOrder(view.order.id, ctx.now.toISOString()))) {
    const again = await orderOf(ctx, account, orderId);
    throw notReady(orderStatus(again, ctx.now));
  }
  let serial: string;
  try {
    const issued = await signCertificateRequest({ ...authority, request: { ...authority.request, acmeAccountId: account.id } }, principal, {
      csr: pem,
      hostnames: view.order.identifiers.map((i) => i.value),
      usages: ["server"],
      ttl: lifetime === null ? undefined : `${lifetime}s`,
      commonName: parsed.value.commonNames[0],
      parsed: parsed.value,
    });
    serial = issued.serialNumber;
  } catch (e) {
    // A refusal (policy changed under the order) ends the order; a failure to issue (ledger, CA) lets the client retry it.
    const refusal = e instanceof ApiError && e.status < 500;
    await ctx.store.releaseOrder(view.order.id, refusal ? "invalid" : "ready", refusal ? (e as ApiError).detail ?? e.message : null);
    throw e;
  }
  await ctx.store.completeOrder(view.order.id, serial);
  return { order: { ...view.order, status: "valid", certificate_serial: serial }, authorizations: view.authorizations };
}

/** RFC 8555 §7.4.2: the account's certificate as tls.crt (leaf, then the intermediates of the CA that signed it). */
export async function certificateChain(ledger: Ledger, set: CaSet, acting: ActingAccount, serial: string): Promise<string> {
  const record = await ownRecord(ledger, acting, serial);
  const issuer = issuerByFingerprint(set, record.issuer_fingerprint);
  return record.pem + (issuer?.chainPem ?? "");
}

async function ownRecord(ledger: Ledger, acting: ActingAccount, serial: string): Promise<CertificateRecord> {
  const record = /^[0-9a-f]{32,40}$/.test(serial) ? await ledger.get(serial) : null;
  if (!record || record.acme_account_id === null || record.acme_account_id === undefined) throw new AcmeProblem("malformed", "no such certificate", { status: 404 });
  if (record.acme_account_id !== acting.account.id) throw new AcmeProblem("unauthorized", "this certificate belongs to another account");
  return record;
}

