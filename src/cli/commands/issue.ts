/**
 * `edgeca issue`: get a certificate and write tls.crt / tls.key / ca.crt,
 * or print it as a Kubernetes Secret, Helm values or Universal env.
 */
import { resolve } from "node:path";
import { adviseOverride, helmValues, PRODUCTS, PURPOSES, universalEnv, type Product, type Purpose } from "../../kuma/overrides.ts";
import { K8S_NAME, K8S_NAMESPACE, kubernetesSecretYaml } from "../../pki/bundle.ts";
import { KEY_ALGORITHMS, type KeyAlgorithm } from "../../pki/keys.ts";
import { listOption, oneOf, parseCommand, type Globals, type Io } from "../context.ts";
import { EXIT, usageError } from "../errors.ts";
import { writeBundle, type BundleFiles } from "../files.ts";
import { issueCertificate, type Issued } from "../issuance.ts";

export const FORMATS = ["kubernetes-secret", "helm-values", "env"] as const;
export type Format = (typeof FORMATS)[number];

const HELP = `Usage: edgeca issue --hostname NAME [--hostname NAME …] (--out-dir DIR | --format FORMAT) [options]

Get a certificate signed by the edgeca CA.

  --hostname NAME      a DNS name, wildcard or IP (repeatable, or comma-separated); with --purpose
                       general or dp-server the in-cluster Service names are the default
  --usage USAGE        server (default), client, or server,client
  --key ALG            ${KEY_ALGORITHMS.join(", ")} (default ecdsa-p256;
                       Envoy refuses ed25519 for the general / dp-server certificate)
  --ttl DURATION       e.g. 90d, 720h (default: the service's, 90d)
  --common-name CN     optional subject CN (one of the hostnames for server certificates)
  --purpose PURPOSE    the Kuma override: ${PURPOSES.join(", ")}
  --product PRODUCT    ${PRODUCTS.join(" or ")} (default kuma; sets namespace, Service and Helm prefix)
  --local-key          make the key pair here (WebCrypto) and send only a CSR: the key never leaves
  --out-dir DIR        write DIR/tls.crt (leaf + intermediates), DIR/tls.key (0600), DIR/ca.crt;
                       with --format env also DIR/kuma.env pointing at them
  --format FORMAT      print instead: kubernetes-secret (a Secret for kubectl apply -f -),
                       helm-values (controlPlane.tls… with caBundle as one-line base64 of ca.crt),
                       env (KUMA_* variables for Universal mode)
  --name NAME          Secret name (default: the override's, e.g. general-tls-certs)
  --namespace NS       Secret namespace (default kuma-system, kong-mesh-system for kong-mesh)
  --env-dir DIR        the directory the env format points at (default: --out-dir, else /etc/kuma/tls)

Exit codes: 0 issued, 1 failed, 2 usage error.`;

export const ISSUE_OPTIONS = {
  hostname: { type: "string", multiple: true },
  usage: { type: "string", multiple: true },
  key: { type: "string" },
  ttl: { type: "string" },
  "common-name": { type: "string" },
  purpose: { type: "string" },
  product: { type: "string" },
  "local-key": { type: "boolean", default: false },
  "out-dir": { type: "string" },
  format: { type: "string" },
  name: { type: "string" },
  namespace: { type: "string" },
  "env-dir": { type: "string" },
} as const;

export interface OutputOptions {
  outDir?: string | undefined;
  format?: Format | undefined;
  name?: string | undefined;
  namespace?: string | undefined;
  envDir?: string | undefined;
  purpose?: Purpose | undefined;
  product?: Product | undefined;
}

export function parseOutputOptions(values: Record<string, unknown>, g: Globals): OutputOptions {
  const format = oneOf(values.format, FORMATS, "--format");
  if (format && g.json) throw usageError("--format prints the manifest or values on stdout; drop --json (or --format)");
  const name = values.name as string | undefined;
  const namespace = values.namespace as string | undefined;
  if (name !== undefined && !K8S_NAME.test(name)) throw usageError("--name must be a DNS-1123 subdomain (lower case letters, digits, '-' and '.')");
  if (namespace !== undefined && !K8S_NAMESPACE.test(namespace)) throw usageError("--namespace must be a DNS-1123 label");
  return {
    outDir: values["out-dir"] as string | undefined,
    format,
    name,
    namespace,
    envDir: values["env-dir"] as string | undefined,
    purpose: oneOf(values.purpose, PURPOSES, "--purpose"),
    product: oneOf(values.product, PRODUCTS, "--product"),
  };
}

/** Writes and prints an issued bundle as asked; returns the files written, if any. */
export function emitIssued(g: Globals, issued: Issued, o: OutputOptions, verb = "issued", extra: Record<string, unknown> = {}): BundleFiles | undefined {
  const { json } = issued;
  const purpose = o.purpose ?? json.kuma?.purpose ?? "general";
  const product = o.product ?? json.kuma?.product ?? "kuma";
  const advice = adviseOverride(purpose, product, json.hostnames, json.key_algorithm as KeyAlgorithm);
  // --format env is Universal's: the service, not knowing the format, warns about in-cluster names; here we know better.
  const warnings = o.format === "env" && json.kuma ? adviseOverride(purpose, product, json.hostnames, json.key_algorithm as KeyAlgorithm, "universal").warnings : (json.kuma?.warnings ?? []);
  for (const w of warnings) g.io.stderr(`edgeca: warning: ${w}\n`);
  const envDir = o.envDir ?? (o.outDir ? resolve(o.outDir) : "/etc/kuma/tls");
  const env = o.format === "env" ? universalEnv(purpose, envDir) : undefined;
  const files = o.outDir ? writeBundle(o.outDir, { chain: json.chain, privateKey: issued.privateKey, ca: json.ca }, env) : undefined;
  const summary = [
    `${verb} ${json.serial_number} for ${json.hostnames.join(", ")} (${json.usage.join(", ")}, ${json.key_algorithm}, key made ${issued.keySource === "service" ? "by the service" : issued.keySource === "local" ? "here" : "earlier, kept"}), valid until ${json.not_after}`,
    ...(files ? [`wrote ${files.cert}, ${files.key} (0600), ${files.ca}${files.env ? `, ${files.env}` : ""}`] : []),
  ].join("\n  ");
  if (o.format) {
    const secret = { name: o.name ?? advice.secret.name, namespace: o.namespace ?? advice.secret.namespace };
    switch (o.format) {
      case "kubernetes-secret":
        g.io.stdout(
          kubernetesSecretYaml(
            { chain: json.chain, privateKey: issued.privateKey, ca: json.ca },
            { ...secret, annotations: { "edgeca.dev/serial-number": json.serial_number, "edgeca.dev/not-after": json.not_after } },
          ),
        );
        break;
      case "helm-values":
        g.io.stdout(helmValues(purpose, product, secret.name, json.ca));
        break;
      case "env":
        g.io.stdout(env!);
        break;
    }
    g.io.stderr(`edgeca: ${summary}\n`);
  } else if (g.json) {
    const { private_key: _omitted, ...rest } = json;
    g.io.stdout(
      JSON.stringify(
        {
          ...extra,
          ...rest,
          key_source: issued.keySource,
          ...(files ? { files } : { private_key: issued.privateKey }),
          warnings,
        },
        null,
        2,
      ) + "\n",
    );
  } else {
    g.io.stdout(`${summary}\n`);
  }
  return files;
}

export async function issueCommand(args: string[], io: Io): Promise<number> {
  const parsed = parseCommand(args, ISSUE_OPTIONS, HELP, io);
  if (!parsed) return EXIT.ok;
  const { values, globals: g } = parsed;
  const out = parseOutputOptions(values, g);
  if (!out.outDir && !out.format && !g.json) throw usageError(`say where the certificate goes: --out-dir DIR, --format ${FORMATS.join("|")}, or --json\n\n${HELP}`);
  const hostnames = listOption(values.hostname);
  if (hostnames.length === 0 && out.purpose !== "general" && out.purpose !== "dp-server") throw usageError(`--hostname is required${out.purpose ? ` (the ${out.purpose} purpose has no default names)` : ""}\n\n${HELP}`);
  const key = oneOf(values.key, KEY_ALGORITHMS, "--key") ?? "ecdsa-p256";
  const usage = listOption(values.usage);
  for (const u of usage) oneOf(u, ["server", "client"] as const, "--usage");
  const client = g.client();
  const issued = await issueCertificate(client, {
    hostnames,
    usage,
    key,
    ttl: values.ttl as string | undefined,
    commonName: values["common-name"] as string | undefined,
    purpose: out.purpose,
    product: out.product,
    localKey: values["local-key"] === true,
  });
  emitIssued(g, issued, out);
  return EXIT.ok;
}
