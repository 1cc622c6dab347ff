/**
 * `edgeca renew`: re-issue a certificate with the same names, usage and
 * lifetime when it expires within a window; otherwise do nothing. Distinct
 * exit codes let a cron job or CI schedule act only on a renewal.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { formatDuration, parseDuration } from "../../pki/duration.ts";
import { KEY_ALGORITHMS, type KeyAlgorithm } from "../../pki/keys.ts";
import { oneOf, parseCommand, type Io } from "../context.ts";
import { CliError, EXIT, usageError } from "../errors.ts";
import { issueCertificate } from "../issuance.ts";
import { loadKeyPair, readCertificate } from "../local-key.ts";
import { emitIssued, parseOutputOptions } from "./issue.ts";

const HELP = `Usage: edgeca renew --cert DIR/tls.crt [--key DIR/tls.key] [--within 30d] [--keep-key] [options]

Re-issue the certificate with the same names, usage and lifetime if it expires within the window,
and write tls.crt, tls.key (0600) and ca.crt next to it (or in --out-dir). Files are replaced
atomically. Kuma 3.0 reloads control-plane certificate files on change; Kuma ≤ 2.14 and
subPath-mounted Kubernetes Secrets need a control-plane restart (docs/kuma.md).

  --cert FILE          the current tls.crt (its first certificate is the one renewed)
  --key FILE           the current tls.key (default: tls.key next to --cert); used with --keep-key
  --within DURATION    renew when it expires within this window (default 30d)
  --keep-key           keep the key pair: sign a CSR made with --key (the key never leaves)
  --local-key          make a new key here and send a CSR (default: the service makes the new key)
  --key-algorithm ALG  for a new key (default: the current certificate's)
  --ttl DURATION       lifetime of the new certificate (default: the current one's)
  --force              renew even when not due
  --out-dir DIR        where to write (default: the directory of --cert)
  --purpose, --product, --format, --name, --namespace, --env-dir   as for edgeca issue

Exit codes: 0 renewed, 3 not due (nothing done), 1 failed, 2 usage error.`;

export async function renewCommand(args: string[], io: Io): Promise<number> {
  const parsed = parseCommand(
    args,
    {
      cert: { type: "string" },
      key: { type: "string" },
      within: { type: "string", default: "30d" },
      "keep-key": { type: "boolean", default: false },
      "local-key": { type: "boolean", default: false },
      "key-algorithm": { type: "string" },
      ttl: { type: "string" },
      force: { type: "boolean", default: false },
      "out-dir": { type: "string" },
      purpose: { type: "string" },
      product: { type: "string" },
      format: { type: "string" },
      name: { type: "string" },
      namespace: { type: "string" },
      "env-dir": { type: "string" },
    },
    HELP,
    io,
  );
  if (!parsed) return EXIT.ok;
  const { values, globals: g } = parsed;
  const certFile = values.cert as string | undefined;
  if (!certFile) throw usageError(`--cert is required\n\n${HELP}`);
  const within = parseDuration(values.within as string);
  if (!within.ok) throw usageError("--within must be a duration such as 30d or 720h");
  if (values["keep-key"] && values["local-key"]) throw usageError("--keep-key and --local-key exclude each other");
  const out = parseOutputOptions({ ...values, "out-dir": values["out-dir"] ?? dirname(certFile) }, g);

  let certPem: string;
  try {
    certPem = readFileSync(certFile, "utf8");
  } catch (error) {
    throw new CliError(`cannot read --cert: ${(error as Error).message}`);
  }
  const current = await readCertificate(certPem, certFile);
  const now = Date.now();
  const remaining = Math.floor((current.notAfter.getTime() - now) / 1000);
  const due = remaining <= within.value;
  if (!due && !values.force) {
    const message = `not due: ${certFile} (serial ${current.serialNumber}) is valid until ${current.notAfter.toISOString()}, ${formatDuration(Math.max(60, remaining - (remaining % 60)))} from now, outside the ${values.within} window`;
    if (g.json) g.io.stdout(JSON.stringify({ renewed: false, reason: "not_due", serial_number: current.serialNumber, not_after: current.notAfter.toISOString(), exit_code: EXIT.notDue }, null, 2) + "\n");
    else g.io.stdout(`${message}\n`);
    return EXIT.notDue;
  }

  // The same lifetime: notAfter − notBefore less the service's 5-minute backdating.
  const lifetime = Math.round((current.notAfter.getTime() - current.notBefore.getTime()) / 1000) - 300;
  const ttl = (values.ttl as string | undefined) ?? (lifetime >= 3600 ? formatDuration(lifetime - (lifetime % 60)) : undefined);
  let keepKey;
  if (values["keep-key"]) {
    const keyFile = (values.key as string | undefined) ?? join(dirname(certFile), "tls.key");
    let keyPem: string;
    try {
      keyPem = readFileSync(keyFile, "utf8");
    } catch (error) {
      throw new CliError(`cannot read the key for --keep-key: ${(error as Error).message}`);
    }
    keepKey = { keys: await loadKeyPair(keyPem, keyFile, current), algorithm: current.keyAlgorithm, pem: keyPem };
  }
  const currentAlg = (KEY_ALGORITHMS as readonly string[]).includes(current.keyAlgorithm) ? (current.keyAlgorithm as KeyAlgorithm) : "ecdsa-p256";
  const issued = await issueCertificate(g.client(), {
    hostnames: current.hostnames,
    usage: current.usage,
    key: oneOf(values["key-algorithm"], KEY_ALGORITHMS, "--key-algorithm") ?? currentAlg,
    ttl,
    purpose: out.purpose,
    product: out.product,
    localKey: values["local-key"] === true,
    keepKey,
  });
  emitIssued(g, issued, out, `renewed ${current.serialNumber} →`, { renewed: true, previous_serial_number: current.serialNumber });
  return EXIT.ok;
}
