/**
 * `edgeca renew`: re-issue a certificate with the same names, usage and
 * lifetime when it expires within a window; otherwise do nothing. Distinct
 * exit codes let a cron job or CI schedule act only on a renewal.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseDuration } from "../../pki/duration.ts";
import { parseCommand, type Io } from "../context.ts";
import { CliError, EXIT, usageError } from "../errors.ts";
import { SERVICE_ACCOUNT_DIR } from "../kubernetes.ts";
import { readCertificate } from "../local-key.ts";
import { isDue, notDue, reissue, serviceRenewalWindow, windowOpen } from "../renewal.ts";
import { emitIssued, parseOutputOptions } from "./issue.ts";

const HELP = `Usage: edgeca renew --cert DIR/tls.crt [--key DIR/tls.key] [--within 30d] [--keep-key] [options]
       edgeca renew --kubernetes-secret NAMESPACE/NAME [--within 30d] [--restart-deployment NAME]

Re-issue the certificate with the same names, usage and lifetime if it expires within the window,
or once the service's renewal window has opened (ARI, RFC 9773: the last third of its lifetime, or
at once when it was revoked or a CA rotation is under way), and write tls.crt, tls.key (0600) and
ca.crt next to it (or in --out-dir). The request names the current certificate in \`replaces\`, so
the service's ledger marks exactly that one renewed. Files are replaced
atomically. Kuma 3.0 reloads control-plane certificate files on change; Kuma ≤ 2.14 and
subPath-mounted Kubernetes Secrets need a control-plane restart (docs/kuma.md).

With --kubernetes-secret (run in a pod), the Secret is read and replaced through the Kubernetes API
with the pod's service-account credentials (KUBERNETES_SERVICE_HOST/PORT, the token and ca.crt in
EDGECA_SERVICE_ACCOUNT_DIR, default ${SERVICE_ACCOUNT_DIR}). It is renewed when due, or
when its ca.crt differs from the service's trust bundle (GET /v1/ca); the update carries the
resourceVersion read, and a conflict is retried once after reading the Secret again.

  --cert FILE          the current tls.crt (its first certificate is the one renewed)
  --kubernetes-secret NAMESPACE/NAME   renew the kubernetes.io/tls Secret in place instead
  --restart-deployment NAME            after renewing the Secret, restart this Deployment in its namespace
                       (as kubectl rollout restart does): Secrets mounted with subPath never update
  --key FILE           the current tls.key (default: tls.key next to --cert); used with --keep-key
  --within DURATION    renew when it expires within this window (default 30d), or earlier when the
                       service's renewal window (GET /acme/renewal-info) has opened
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
      "kubernetes-secret": { type: "string" },
      "restart-deployment": { type: "string" },
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
  const within = parseDuration(values.within as string);
  if (!within.ok) throw usageError("--within must be a duration such as 30d or 720h");
  if (values["keep-key"] && values["local-key"]) throw usageError("--keep-key and --local-key exclude each other");
  const secret = values["kubernetes-secret"] as string | undefined;
  const certFile = values.cert as string | undefined;
  if (secret !== undefined) {
    const fileOnly = ["cert", "key", "out-dir", "format", "name", "namespace", "env-dir"].filter((k) => values[k] !== undefined);
    if (fileOnly.length) throw usageError(`--kubernetes-secret renews the Secret in place: drop ${fileOnly.map((k) => `--${k}`).join(", ")}`);
    const { renewKubernetesSecret } = await import("./renew-kubernetes.ts");
    return renewKubernetesSecret(g, secret, { within: within.value, windowText: values.within as string, values });
  }
  if (values["restart-deployment"] !== undefined) throw usageError("--restart-deployment goes with --kubernetes-secret");
  if (!certFile) throw usageError(`--cert or --kubernetes-secret is required\n\n${HELP}`);
  const out = parseOutputOptions({ ...values, "out-dir": values["out-dir"] ?? dirname(certFile) }, g);

  let certPem: string;
  try {
    certPem = readFileSync(certFile, "utf8");
  } catch (error) {
    throw new CliError(`cannot read --cert: ${(error as Error).message}`);
  }
  const current = await readCertificate(certPem, certFile);
  const window = isDue(current, within.value) || values.force ? null : await serviceRenewalWindow(g, current);
  const reason = isDue(current, within.value) ? "due" : windowOpen(window) ? "window" : values.force ? "forced" : undefined;
  if (!reason) return notDue(g, current, certFile, values.within as string, {}, window);

  let keyPem: string | undefined;
  let keyFile: string | undefined;
  if (values["keep-key"]) {
    keyFile = (values.key as string | undefined) ?? join(dirname(certFile), "tls.key");
    try {
      keyPem = readFileSync(keyFile, "utf8");
    } catch (error) {
      throw new CliError(`cannot read the key for --keep-key: ${(error as Error).message}`);
    }
  }
  const issued = await reissue(g, current, values, { purpose: out.purpose, product: out.product }, keyPem === undefined ? undefined : { pem: keyPem, source: keyFile! });
  emitIssued(g, issued, out, `renewed ${current.serialNumber} →`, { renewed: true, reason, previous_serial_number: current.serialNumber });
  return EXIT.ok;
}
