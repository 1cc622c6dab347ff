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
import { parseCertId } from "../../pki/ari.ts";
import { fromBase64, sha256Hex, timingSafeEqual } from "../../pki/bytes.ts";
import { describeCsrProblem, parseCsr } from "../../pki/csr.ts";
import { encodePem } from "../../pki/pem.ts";
import { normalizeNames } from "../../pki/names.ts";
import { AccountChanged, LedgerWriteRefused, type AcmeFinalizeWrite, type AcmeOrderRecord, type CertificateRecord } from "../../store/types.ts";
import type { CaSet } from "../../pki/certificate-authority.ts";
import { issuerOfRecord } from "../certificate-authority.ts";
import type { AuthorityContext } from "../mint-leaf.ts";
import { signCertificateRequest } from "../sign-csr.ts";
import type { ActingAccount } from "./accounts.ts";
import type { AcmeContext } from "./context.ts";
import { orderOf, orderStatus, refuseOutsidePolicy, requestedLifetime, type OrderView } from "./orders.ts";

/** A CSR as ACME sends it (base64url DER, RFC 8555 §7.4): its DER and PEM for the CSR parser. */
function csrOf(raw: unknown): { der: Uint8Array; pem: string } {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 16384 || !/^[A-Za-z0-9_-]+$/.test(raw) || raw.length % 4 === 1) {
    throw new AcmeProblem("badCSR", "csr must be the base64url DER of a PKCS#10 request (RFC 8555 §7.4)");
  }
  const b64 = raw.replace(/-/g, "+").replace(/_/g, "/");
  const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
  return { der: fromBase64(padded), pem: `-----BEGIN CERTIFICATE REQUEST-----\n${padded.replace(/.{1,64}/g, "$&\n")}-----END CERTIFICATE REQUEST-----\n` };
}

/** The serial a stored (already checked) certID names. */
function replacedSerial(certId: string): string {
  const parsed = parseCertId(certId);
  if (!parsed.ok) throw new AcmeProblem("serverInternal", "the order holds a certID that no longer parses");
  return parsed.value.serialHex;
}

function notReady(status: string): AcmeProblem {
  return new AcmeProblem("orderNotReady", `the order is ${status}, not ready: finalize works once per order (RFC 8555 §7.4)`);
}

/**
 * A finalize of an order that is no longer ready: the same CSR (byte for byte) as the one that produced
 * its certificate is a retry (cert-manager re-POSTs finalize, cert-manager#3777) and gets the order
 * back; anything else is orderNotReady (RFC 8555 §7.4), never a second certificate.
 */
function retried(view: OrderView, status: AcmeOrderRecord["status"], csrSha256: string | null): OrderView {
  if ((status === "valid" || status === "processing") && csrSha256 !== null && view.order.csr_sha256 === csrSha256) return view;
  throw notReady(status);
}

/**
 * RFC 8555 §7.4 finalize of `view` (the account's own order, read with the account). The certificate is
 * signed first and recorded in one transaction with the order's ready → valid and the nonce's spending
 * (AuthorityContext.acmeFinalize): a race or replay lands nothing (LedgerWriteRefused), and one order
 * never yields two recorded certificates.
 */
export async function finalizeOrder(authority: AuthorityContext, ctx: AcmeContext, acting: ActingAccount, view: OrderView, payload: Record<string, unknown> | null): Promise<OrderView> {
  const { account, principal } = acting;
  const status = orderStatus(view, ctx.now);
  if (payload === null) throw status === "ready" ? new AcmeProblem("malformed", "finalize needs a payload with csr") : notReady(status);
  const csr = csrOf(payload["csr"]);
  if (status !== "ready") return retried(view, status, await sha256Hex(csr.der));
  const parsed = await parseCsr(csr.pem);
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
  const nonce = ctx.nonce;
  if (!nonce || nonce.spent) throw new AcmeProblem("serverInternal", "finalize needs the request's unspent nonce");
  const csrSha256 = await sha256Hex(csr.der);
  const acmeFinalize: AcmeFinalizeWrite = {
    nonce: nonce.value,
    nonceExpiresAt: nonce.expiresAt,
    orderId: view.order.id,
    accountId: account.id,
    thumbprint: account.thumbprint,
    binding: nonce.account?.binding,
    csrSha256,
    now: ctx.now.toISOString(),
  };
  let serial: string;
  try {
    const issued = await signCertificateRequest({ ...authority, request: { ...authority.request, acmeAccountId: account.id }, acmeFinalize }, principal, {
      csr: csr.pem,
      hostnames: view.order.identifiers.map((i) => i.value),
      usages: ["server"],
      ttl: lifetime === null ? undefined : `${lifetime}s`,
      commonName: parsed.value.commonNames[0],
      // RFC 9773 §5: the ledger marks exactly the predecessor the order named; checked again here, so a
      // replacement that raced this order (another order, or the /v1 API) ends it with alreadyReplaced.
      replaces: view.order.replaces ? replacedSerial(view.order.replaces) : undefined,
      parsed: parsed.value,
    });
    serial = issued.serialNumber;
  } catch (e) {
    if (e instanceof LedgerWriteRefused) {
      if (e.reason === "nonce_spent") {
        nonce.spent = true;
        throw new AcmeProblem("badNonce", "the nonce was already used; use the Replay-Nonce of this response (RFC 8555 §6.5)");
      }
      // Read from per-isolate copies (PendingNonce.account): storage decides, so the request runs again from it.
      if (nonce.account) throw new AccountChanged();
      // Another finalize won the order meanwhile (or it expired, or the account changed): answer as for a late retry.
      const again = await orderOf(ctx, account, view.order.id);
      return retried(again, orderStatus(again, ctx.now), csrSha256);
    }
    // A refusal (policy changed under the order) ends the order; a failure to issue (ledger, CA) lets the client retry it.
    if (e instanceof ApiError && e.status < 500) await ctx.store.invalidateOrder(view.order.id, e.detail ?? e.message);
    throw e;
  }
  nonce.spent = true;
  return { order: { ...view.order, status: "valid", certificate_serial: serial, csr_sha256: csrSha256 }, authorizations: view.authorizations };
}

/**
 * RFC 8555 §7.4.2: the account's certificate (read with the account) as tls.crt (leaf, then the intermediates
 * of the CA that signed it). The CA is found by fingerprint or, after a re-certification (same subject and
 * key, new certificate), by identity (issuerOfRecord), so an earlier leaf still downloads with its chain.
 */
export async function certificateChain(set: CaSet, acting: ActingAccount, record: Pick<CertificateRecord, "pem" | "issuer_fingerprint" | "acme_account_id"> | null): Promise<string> {
  if (!record || record.acme_account_id === null || record.acme_account_id === undefined) throw new AcmeProblem("malformed", "no such certificate", { status: 404 });
  if (record.acme_account_id !== acting.account.id) throw new AcmeProblem("unauthorized", "this certificate belongs to another account");
  const issuer = await issuerOfRecord(set, record);
  if (!issuer) return record.pem;
  // RFC 8555 §7.4.2: the end-entity certificate, then the chain "toward" the root; a self-signed root may be
  // part of it. tls.crt leaves the root out, but when the root itself issued there would be no chain at all,
  // and certbot refuses a download of one certificate ("failed to parse fullchain into cert and chain: less
  // than 2 certificates in chain"), which is what `npm start`'s development CA gives: send the issuing root then.
  return record.pem + (issuer.chainPem || encodePem("CERTIFICATE", issuer.der));
}
