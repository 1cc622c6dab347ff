/**
 * What `renew` and `renew --kubernetes-secret` share: whether a certificate is due, the "not due"
 * answer (exit 3), and re-issuing a certificate like the current one.
 */
import { formatDuration, humanDuration } from "../pki/duration.ts";
import { KEY_ALGORITHMS, type KeyAlgorithm } from "../pki/keys.ts";
import type { Product, Purpose } from "../kuma/overrides.ts";
import { oneOf, type Globals } from "./context.ts";
import { EXIT } from "./errors.ts";
import { issueCertificate, type Issued } from "./issuance.ts";
import { loadKeyPair, type CurrentCertificate } from "./local-key.ts";

/** Whether `current` expires within `withinSeconds` from now. */
export function isDue(current: CurrentCertificate, withinSeconds: number, now = Date.now()): boolean {
  return Math.floor((current.notAfter.getTime() - now) / 1000) <= withinSeconds;
}

/** Says "not due" (text or --json) and returns exit code 3. */
export function notDue(g: Globals, current: CurrentCertificate, where: string, window: string, extra: Record<string, unknown> = {}): number {
  const remaining = Math.floor((current.notAfter.getTime() - Date.now()) / 1000);
  const message = `not due: ${where} (serial ${current.serialNumber}) is valid until ${current.notAfter.toISOString()} (expires in ${humanDuration(remaining)}), outside the ${window} window`;
  if (g.json) g.io.stdout(JSON.stringify({ renewed: false, reason: "not_due", serial_number: current.serialNumber, not_after: current.notAfter.toISOString(), ...extra, exit_code: EXIT.notDue }, null, 2) + "\n");
  else g.io.stdout(`${message}\n`);
  return EXIT.notDue;
}

/**
 * A new certificate for the names and usage of `current`, with its lifetime (unless --ttl) and key
 * algorithm (unless --key-algorithm); with `keptKey`, the same key pair through a CSR.
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
  return issueCertificate(g.client(), {
    hostnames: current.hostnames,
    usage: current.usage,
    key: oneOf(values["key-algorithm"], KEY_ALGORITHMS, "--key-algorithm") ?? currentAlg,
    ttl,
    purpose: kuma.purpose,
    product: kuma.product,
    localKey: values["local-key"] === true,
    keepKey,
  });
}
