/**
 * What `renew` and `renew --kubernetes-secret` share: whether a certificate is due (its own expiry
 * against --within, or the service's renewal window), the "not due" answer (exit 3), and re-issuing
 * a certificate like the current one, naming it in `replaces`.
 */
import { formatCertId } from "../pki/ari.ts";
import { formatDuration, humanDuration } from "../pki/duration.ts";
import { KEY_ALGORITHMS, type KeyAlgorithm } from "../pki/keys.ts";
import type { Product, Purpose } from "../kuma/overrides.ts";
import { oneOf, type Globals } from "./context.ts";
import { CliError, EXIT } from "./errors.ts";
import { issueCertificate, type Issued } from "./issuance.ts";
import { loadKeyPair, type CurrentCertificate } from "./local-key.ts";

/** Whether `current` expires within `withinSeconds` from now. */
export function isDue(current: CurrentCertificate, withinSeconds: number, now = Date.now()): boolean {
  return Math.floor((current.notAfter.getTime() - now) / 1000) <= withinSeconds;
}

/** The service's renewal window for a certificate (RFC 9773 suggestedWindow). */
export interface RenewalWindow {
  start: Date;
  end: Date;
}

/**
 * The service's renewal window for `current`, from GET /acme/renewal-info/{certID}: unauthenticated
 * (a renewing token needs no read scope) and the one rule every client gets, so a revoked
 * certificate, or one of the previous CA during a rotation, is renewed on the next run. null when
 * the service does not know the certificate (another CA, another ledger) or cannot answer (a note
 * on stderr; --within alone decides then).
 */
export async function serviceRenewalWindow(g: Globals, current: CurrentCertificate): Promise<RenewalWindow | null> {
  if (!current.authorityKeyId) return null;
  const certId = formatCertId(current.authorityKeyId, current.serialNumber);
  try {
    const res = await g.client().request(`/acme/renewal-info/${certId}`, { auth: false });
    const body = res.json<{ suggestedWindow?: { start?: unknown; end?: unknown } }>();
    const start = Date.parse(String(body.suggestedWindow?.start));
    const end = Date.parse(String(body.suggestedWindow?.end));
    if (Number.isNaN(start) || Number.isNaN(end)) throw new CliError("the answer has no suggestedWindow");
    return { start: new Date(start), end: new Date(end) };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    // 404: not a certificate of this service's CAs; nothing to say.
    if (error.details.status !== 404) g.io.stderr(`edgeca: the service's renewal window is unavailable (${error.message}); deciding by --within alone\n`);
    return null;
  }
}

/** Whether the service's renewal window has opened (RFC 9773 §4.2: a window in the past means now). */
export function windowOpen(window: RenewalWindow | null, now = Date.now()): boolean {
  return window !== null && now >= window.start.getTime();
}

/** Says "not due" (text or --json) and returns exit code 3. */
export function notDue(g: Globals, current: CurrentCertificate, where: string, window: string, extra: Record<string, unknown> = {}, serviceWindow: RenewalWindow | null = null): number {
  const remaining = Math.floor((current.notAfter.getTime() - Date.now()) / 1000);
  const opens = serviceWindow ? `, and the service's renewal window opens at ${serviceWindow.start.toISOString()}` : "";
  const message = `not due: ${where} (serial ${current.serialNumber}) is valid until ${current.notAfter.toISOString()} (expires in ${humanDuration(remaining)}), outside the ${window} window${opens}`;
  const renewalWindow = serviceWindow ? { renewal_window: { start: serviceWindow.start.toISOString(), end: serviceWindow.end.toISOString() } } : {};
  if (g.json) g.io.stdout(JSON.stringify({ renewed: false, reason: "not_due", serial_number: current.serialNumber, not_after: current.notAfter.toISOString(), ...renewalWindow, ...extra, exit_code: EXIT.notDue }, null, 2) + "\n");
  else g.io.stdout(`${message}\n`);
  return EXIT.notDue;
}

/** The refusals of `replaces` (src/errors.ts) after which the renewal goes ahead without it. */
const REPLACES_REFUSALS = new Set(["replaces_not_found", "replaces_forbidden", "replaces_unrelated", "already_replaced"]);

/**
 * A new certificate for the names and usage of `current`, with its lifetime (unless --ttl) and key
 * algorithm (unless --key-algorithm); with `keptKey`, the same key pair through a CSR. It names
 * `current` in `replaces` (RFC 9773 §5), so the ledger marks exactly that certificate renewed.
 * When the service refuses that (the certificate is another caller's, unknown to it, or already
 * replaced by a renewal that never reached this file or Secret), the renewal still happens without
 * it: a certificate must never be left to expire over bookkeeping.
 */
export async function reissue(
  g: Globals,
  current: CurrentCertificate,
  values: Record<string, unknown>,
  kuma: { purpose?: Purpose | undefined; product?: Product | undefined },
  keptKey?: { pem: string; source: string },
): Promise<Issued> {
  // The same lifetime: notAfter − notBefore less the service's 5-minute backdating.
  const lifetime = Math.round((current.notAfter.getTime() - current.notBefore.getTime()) / 1000) - 300;
  const ttl = (values.ttl as string | undefined) ?? (lifetime >= 3600 ? formatDuration(lifetime - (lifetime % 60)) : undefined);
  const keepKey = keptKey ? { keys: await loadKeyPair(keptKey.pem, keptKey.source, current), algorithm: current.keyAlgorithm, pem: keptKey.pem } : undefined;
  const currentAlg = (KEY_ALGORITHMS as readonly string[]).includes(current.keyAlgorithm) ? (current.keyAlgorithm as KeyAlgorithm) : "ecdsa-p256";
  const request = {
    hostnames: current.hostnames,
    usage: current.usage,
    key: oneOf(values["key-algorithm"], KEY_ALGORITHMS, "--key-algorithm") ?? currentAlg,
    ttl,
    purpose: kuma.purpose,
    product: kuma.product,
    localKey: values["local-key"] === true,
    keepKey,
  };
  try {
    return await issueCertificate(g.client(), { ...request, replaces: current.serialNumber });
  } catch (error) {
    if (!(error instanceof CliError) || !REPLACES_REFUSALS.has(String(error.details.code))) throw error;
    g.io.stderr(`edgeca: renewing without replaces: ${error.message}\n`);
    return issueCertificate(g.client(), request);
  }
}
