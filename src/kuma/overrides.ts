/**
 * Kuma / Kong Mesh control-plane TLS overrides: for each purpose, the
 * certificate usage, default names, Secret, Helm values and environment
 * variables (see shared/kuma-integration.md, from kumahq/kuma v2.14 and
 * master). Pure data and text rendering: used by the API and the CLI.
 */
import type { KeyAlgorithm, PublicKeyAlgorithm } from "../pki/keys.ts";
import type { Usage } from "../pki/leaf-profile.ts";

export const PURPOSES = ["general", "dp-server", "api-server", "kds-global", "mads", "client"] as const;
export type Purpose = (typeof PURPOSES)[number];
export const PRODUCTS = ["kuma", "kong-mesh"] as const;
export type Product = (typeof PRODUCTS)[number];

export interface ProductNames {
  /** The control plane Service, e.g. kuma-control-plane. */
  service: string;
  namespace: string;
  /** Prefix of Helm values: "" for Kuma, "kuma." for Kong Mesh (its chart nests Kuma's). */
  helmPrefix: string;
}

export const PRODUCT_NAMES: Record<Product, ProductNames> = {
  kuma: { service: "kuma-control-plane", namespace: "kuma-system", helmPrefix: "" },
  "kong-mesh": { service: "kong-mesh-control-plane", namespace: "kong-mesh-system", helmPrefix: "kuma." },
};

interface OverrideSpec {
  usage: Usage[];
  /** What the certificate secures, for messages. */
  link: string;
  /** Secret name as in Kuma's Helm chart and docs. */
  secretName: string;
  /** Served to Envoy (kuma-dp), which refuses Ed25519 and P-521 keys. */
  servedToEnvoy: boolean;
  /** The in-cluster names the link needs on Kubernetes. */
  kubernetesNames: (p: ProductNames) => string[];
  env: (dir: string) => Record<string, string>;
  /** Who connects to this server and must trust ca.crt, for the Universal env file's hints. */
  clients: Client[];
}

type Client = "kuma-dp" | "zone-cp" | "kumactl" | "prometheus";

/** How each client is told to trust ca.crt (Kuma docs: kuma-dp --ca-cert-file, KDS root CA, kumactl, Prometheus kuma_sd_configs). */
const CLIENT_HINTS: Record<Client, (d: string) => string> = {
  "kuma-dp": (d) => `#   kuma-dp:  KUMA_CONTROL_PLANE_CA_CERT_FILE=${d}/ca.crt`,
  "zone-cp": (d) => `#   zone CP:  KUMA_MULTIZONE_ZONE_KDS_ROOT_CA_FILE=${d}/ca.crt`,
  kumactl: (d) => `#   kumactl:  kumactl config control-planes add --ca-cert-file ${d}/ca.crt`,
  prometheus: (d) => `#   Prometheus: kuma_sd_configs tls_config.ca_file: ${d}/ca.crt`,
};

const pair = (prefix: string) => (dir: string) => ({ [`${prefix}_CERT_FILE`]: `${dir}/tls.crt`, [`${prefix}_KEY_FILE`]: `${dir}/tls.key` });

export const OVERRIDES: Record<Purpose, OverrideSpec> = {
  general: {
    usage: ["server"],
    link: "the general control-plane certificate (dp-server :5678, API :5682, KDS :5685, MADS, admission webhook :5443)",
    secretName: "general-tls-certs",
    servedToEnvoy: true,
    kubernetesNames: (p) => [`${p.service}.${p.namespace}`, `${p.service}.${p.namespace}.svc`],
    env: pair("KUMA_GENERAL_TLS"),
    clients: ["kuma-dp", "zone-cp", "kumactl"],
  },
  "dp-server": {
    usage: ["server"],
    link: "the data-plane server (:5678, bootstrap and xDS)",
    secretName: "dp-server-tls",
    servedToEnvoy: true,
    kubernetesNames: (p) => [`${p.service}.${p.namespace}`, `${p.service}.${p.namespace}.svc`],
    env: pair("KUMA_DP_SERVER_TLS"),
    clients: ["kuma-dp"],
  },
  "api-server": {
    usage: ["server"],
    link: "the API server (HTTPS :5682, used by kumactl, the GUI and automation)",
    secretName: "api-server-tls",
    servedToEnvoy: false,
    kubernetesNames: () => [],
    env: pair("KUMA_API_SERVER_HTTPS_TLS"),
    clients: ["kumactl"],
  },
  "kds-global": {
    usage: ["server"],
    link: "the global control plane's KDS server (:5685, zone CPs connect with grpcs://)",
    secretName: "kds-server-tls",
    servedToEnvoy: false,
    kubernetesNames: () => [],
    env: pair("KUMA_MULTIZONE_GLOBAL_KDS_TLS"),
    // Only zone control planes connect to the global's KDS server: no kuma-dp or kumactl hint.
    clients: ["zone-cp"],
  },
  mads: {
    usage: ["server"],
    link: "the monitoring assignment server (MADS :5676, Prometheus service discovery)",
    secretName: "general-tls-certs",
    servedToEnvoy: false,
    kubernetesNames: () => [],
    env: (dir) => ({ KUMA_MONITORING_ASSIGNMENT_SERVER_TLS_ENABLED: "true", ...pair("KUMA_MONITORING_ASSIGNMENT_SERVER_TLS")(dir) }),
    clients: ["prometheus"],
  },
  client: {
    usage: ["client"],
    link: "a client certificate for the API server (requireClientCert, tlsCaFile = ca.crt)",
    secretName: "api-server-client-tls",
    servedToEnvoy: false,
    kubernetesNames: () => [],
    env: () => ({}),
    clients: [],
  },
};

export interface OverrideAdvice {
  purpose: Purpose;
  product: Product;
  usage: Usage[];
  secret: { name: string; namespace: string };
  warnings: string[];
}

/** Default names for a purpose when the caller gives none: the in-cluster names, where the link has them. */
export function defaultNames(purpose: Purpose, product: Product): string[] {
  return OVERRIDES[purpose].kubernetesNames(PRODUCT_NAMES[product]);
}

/**
 * Warnings when a certificate would not work for the link it is meant for. `mode`: where the control
 * plane runs, when the caller said (the env format is Universal's, a Secret or Helm values Kubernetes'):
 * the in-cluster names are Kubernetes' only, so Universal gets no warning about them.
 */
export function adviseOverride(purpose: Purpose, product: Product, hostnames: readonly string[], keyAlgorithm: KeyAlgorithm | PublicKeyAlgorithm, mode?: "universal" | "kubernetes"): OverrideAdvice {
  const spec = OVERRIDES[purpose];
  const names = PRODUCT_NAMES[product];
  const warnings: string[] = [];
  if (spec.servedToEnvoy && (keyAlgorithm === "ed25519" || keyAlgorithm === "ecdsa-p521")) {
    warnings.push(`${keyAlgorithm} keys are refused by Envoy (kuma-dp), which connects to ${spec.link}: use ecdsa-p256, ecdsa-p384 or rsa-2048`);
  }
  const needed = mode === "universal" ? [] : spec.kubernetesNames(names).filter((n) => !hostnames.includes(n));
  if (needed.length > 0) {
    warnings.push(`on Kubernetes, ${spec.link} is reached as ${needed.join(" and ")}; add ${needed.length > 1 ? "them" : "it"} to hostnames unless this control plane runs in Universal mode`);
  }
  return { purpose, product, usage: spec.usage, secret: { name: spec.secretName, namespace: names.namespace }, warnings };
}

/** The Helm values that point the chart at the Secret (single-line base64 of ca.crt for caBundle, as the webhook requires). */
export function helmValues(purpose: Purpose, product: Product, secretName: string, caPem: string): string {
  const caBundle = btoa(caPem);
  const lines: string[] = [];
  const prefix = PRODUCT_NAMES[product].helmPrefix;
  const indent = prefix ? "  " : "";
  if (prefix) lines.push("kuma:");
  lines.push(`${indent}controlPlane:`);
  switch (purpose) {
    case "general":
    case "mads":
    case "dp-server":
      lines.push(`${indent}  tls:`, `${indent}    general:`, `${indent}      secretName: ${secretName}`, `${indent}      caBundle: ${caBundle}`);
      if (purpose === "mads") lines.push(`${indent}  envVars:`, `${indent}    KUMA_MONITORING_ASSIGNMENT_SERVER_TLS_ENABLED: "true"`);
      break;
    case "api-server":
      lines.push(`${indent}  tls:`, `${indent}    apiServer:`, `${indent}      secretName: ${secretName}`);
      break;
    case "kds-global":
      lines.push(`${indent}  tls:`, `${indent}    kdsGlobalServer:`, `${indent}      secretName: ${secretName}`);
      break;
    case "client":
      lines.push(`${indent}  envVars:`, `${indent}    KUMA_API_SERVER_HTTPS_REQUIRE_CLIENT_CERT: "true"`);
      break;
  }
  return lines.join("\n") + "\n";
}

/** KUMA_* variables for Universal mode, pointing at tls.crt / tls.key in `dir`. */
export function universalEnv(purpose: Purpose, dir: string): string {
  const vars = OVERRIDES[purpose].env(dir.replace(/\/+$/, ""));
  const lines = [`# ${OVERRIDES[purpose].link}`];
  for (const [k, v] of Object.entries(vars)) lines.push(`${k}=${v}`);
  const d = dir.replace(/\/+$/, "");
  const clients = OVERRIDES[purpose].clients;
  if (clients.length > 0) lines.push("# Clients trust ca.crt:", ...clients.map((c) => CLIENT_HINTS[c](d)));
  return lines.join("\n") + "\n";
}
