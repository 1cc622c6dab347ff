/**
 * `edgeca renew --kubernetes-secret NAMESPACE/NAME`: renew a kubernetes.io/tls Secret in place from
 * inside the cluster (a CronJob, examples/kubernetes/). Renews when the certificate is due, or when
 * the Secret's ca.crt is not the service's trust bundle (a CA rotation must reach the Secret even if
 * the leaf is fresh); replaces the Secret with the resourceVersion it read as precondition, and on a
 * 409 reads it again and retries once. Exit codes as `renew`: 0 renewed, 3 not due, 1 failed.
 */
import { oneOf, type Globals } from "../context.ts";
import { CliError, EXIT, usageError } from "../errors.ts";
import { K8S_NAME } from "../../pki/bundle.ts";
import type { Issued } from "../issuance.ts";
import { inClusterConfig, KubernetesClient, KubernetesError, parseSecretRef, sameCertificates, secretBundle, withBundle, type Secret, type SecretRef } from "../kubernetes.ts";
import { readCertificate, type CurrentCertificate } from "../local-key.ts";
import { PRODUCTS, PURPOSES } from "../../kuma/overrides.ts";
import { isDue, notDue, reissue, serviceRenewalWindow, windowOpen, type RenewalWindow } from "../renewal.ts";

type Reason = "due" | "window" | "ca_changed" | "forced";

interface Assessment {
  secret: Secret;
  current: CurrentCertificate;
  privateKey: string | undefined;
  reason: Reason | undefined;
  /** The service's renewal window, when it was asked (not due by --within) and knows the certificate. */
  window: RenewalWindow | null;
}

async function assess(g: Globals, kube: KubernetesClient, ref: SecretRef, trustPem: string, within: number, force: boolean): Promise<Assessment> {
  const secret = await kube.getSecret(ref);
  const where = `Secret ${ref.namespace}/${ref.name}`;
  const files = secretBundle(secret);
  if (!files.chain) throw new CliError(`${where} has no tls.crt to renew; create it with edgeca issue --format kubernetes-secret`);
  const current = await readCertificate(files.chain, `${where} tls.crt`);
  const due = isDue(current, within);
  const window = due ? null : await serviceRenewalWindow(g, current);
  const reason: Reason | undefined = due ? "due" : windowOpen(window) ? "window" : !sameCertificates(files.ca, trustPem) ? "ca_changed" : force ? "forced" : undefined;
  return { secret, current, privateKey: files.privateKey, reason, window };
}

export async function renewKubernetesSecret(g: Globals, refText: string, o: { within: number; windowText: string; values: Record<string, unknown> }): Promise<number> {
  const ref = parseSecretRef(refText);
  const restart = o.values["restart-deployment"] as string | undefined;
  if (restart !== undefined && !K8S_NAME.test(restart)) throw usageError(`--restart-deployment must be a Deployment name in ${ref.namespace}, not ${JSON.stringify(restart)}`);
  const kuma = { purpose: oneOf(o.values.purpose, PURPOSES, "--purpose"), product: oneOf(o.values.product, PRODUCTS, "--product") };
  const client = g.client();
  const kube = new KubernetesClient(inClusterConfig(g.io.env));
  const where = `Secret ${ref.namespace}/${ref.name}`;

  // The trust bundle this service hands out now: what every renewed Secret's ca.crt must hold.
  const trustPem = (await client.request("/v1/ca", { auth: false, accept: "application/x-pem-file" })).text;
  let a = await assess(g, kube, ref, trustPem, o.within, o.values.force === true);
  if (!a.reason) return notDue(g, a.current, where, o.windowText, { secret: ref }, a.window);

  let issued: Issued | undefined;
  for (let attempt = 1; ; attempt++) {
    if (o.values["keep-key"] && !a.privateKey) throw new CliError(`${where} has no tls.key to keep; drop --keep-key`);
    // One certificate per run: a retry after a conflict writes the one already issued.
    issued ??= await reissue(g, a.current, o.values, kuma, o.values["keep-key"] ? { pem: a.privateKey!, source: `${where} tls.key` } : undefined);
    const { json } = issued;
    const updated = withBundle(a.secret, { chain: json.chain, privateKey: issued.privateKey, ca: json.ca }, { "edgeca.dev/serial-number": json.serial_number, "edgeca.dev/not-after": json.not_after });
    try {
      const written = await kube.replaceSecret(ref, updated);
      if (restart !== undefined) {
        try {
          await kube.restartDeployment({ namespace: ref.namespace, name: restart }, new Date());
        } catch (error) {
          // The Secret holds the new certificate; only the restart is left to do.
          throw new CliError(`${where} was renewed (${json.serial_number}), but restarting deployment ${restart} failed: ${(error as Error).message}`, EXIT.failed, { code: "restart_failed", serial_number: json.serial_number });
        }
      }
      const summary = `renewed ${a.current.serialNumber} → ${json.serial_number} for ${json.hostnames.join(", ")} (${a.reason === "ca_changed" ? "ca.crt differed from the service's trust bundle" : a.reason === "due" ? `due within ${o.windowText}` : a.reason === "window" ? `the service's renewal window opened at ${a.window!.start.toISOString()}` : "forced"}), valid until ${json.not_after}; ${where} updated${restart !== undefined ? `; deployment ${restart} restarting` : ""}`;
      if (g.json) {
        g.io.stdout(
          JSON.stringify(
            {
              renewed: true,
              reason: a.reason,
              previous_serial_number: a.current.serialNumber,
              serial_number: json.serial_number,
              hostnames: json.hostnames,
              not_after: json.not_after,
              key_source: issued.keySource,
              secret: { ...ref, resourceVersion: written.metadata?.resourceVersion },
              attempts: attempt,
              ...(restart !== undefined ? { restarted: { kind: "Deployment", namespace: ref.namespace, name: restart } } : {}),
            },
            null,
            2,
          ) + "\n",
        );
      } else g.io.stdout(`${summary}\n`);
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof KubernetesError && error.status === 409)) throw error;
      if (attempt >= 2) {
        throw new CliError(`${error.message}, twice; certificate ${json.serial_number} was issued but not written. Run again (nothing is lost: the Secret still holds a valid certificate)`, EXIT.failed, { code: "kubernetes_conflict", serial_number: json.serial_number });
      }
      g.io.stderr(`edgeca: ${error.message}; reading it again and retrying once\n`);
      a = await assess(g, kube, ref, trustPem, o.within, o.values.force === true);
      if (!a.reason) {
        // Someone else renewed it meanwhile: theirs stands.
        g.io.stderr(`edgeca: ${where} was renewed by another writer meanwhile; certificate ${json.serial_number} is not used\n`);
        return notDue(g, a.current, where, o.windowText, { secret: ref });
      }
    }
  }
}
