/**
 * Renders an issued certificate in the format the caller asked for, by
 * ?format= or the Accept header: JSON (default), a tar.gz of tls.crt /
 * tls.key / ca.crt, or a Kubernetes Secret manifest.
 */
import type { Context } from "hono";
import type { IssuedCertificate } from "../authority/mint-leaf.ts";
import { ApiError, type FieldError } from "../errors.ts";
import { adviseOverride, helmValues, universalEnv, type Product, type Purpose } from "../kuma/overrides.ts";
import { K8S_NAME, K8S_NAMESPACE, kubernetesSecretYaml, tlsBundleTarGz } from "../pki/bundle.ts";
import type { AppEnv } from "./types.ts";

export const BUNDLE_FORMATS = ["json", "tar", "kubernetes-secret", "helm-values", "env"] as const;
export type BundleFormat = (typeof BUNDLE_FORMATS)[number];

/** Defaults match Kuma's Helm chart and docs (controlPlane.tls.general.secretName). */
export const DEFAULT_SECRET_NAME = "general-tls-certs";
export const DEFAULT_SECRET_NAMESPACE = "kuma-system";

/**
 * The format asked for, with its query parameters checked now, before any
 * certificate is minted: a bad Secret name must not cost a recorded
 * certificate and a discarded key.
 */
export function negotiateFormat(c: Context<AppEnv>): BundleFormat {
  const format = requestedFormat(c);
  const errors: FieldError[] = [];
  const name = c.req.query("name");
  const namespace = c.req.query("namespace");
  const dir = c.req.query("dir");
  if ((format === "kubernetes-secret" || format === "helm-values") && name !== undefined && (name.length > 253 || !K8S_NAME.test(name))) {
    errors.push({ pointer: "name", detail: "must be a DNS-1123 subdomain (lower case letters, digits, '-' and '.')" });
  }
  if (format === "kubernetes-secret" && namespace !== undefined && (namespace.length > 63 || !K8S_NAMESPACE.test(namespace))) {
    errors.push({ pointer: "namespace", detail: "must be a DNS-1123 label" });
  }
  if (format === "env" && dir !== undefined && !/^\/[A-Za-z0-9._\/-]{0,255}$/.test(dir)) {
    errors.push({ pointer: "dir", detail: "an absolute path of letters, digits, '.', '_', '-' and '/'" });
  }
  if (errors.length > 0) throw new ApiError("validation_failed", errors.map((e) => `${e.pointer}: ${e.detail}`).join("; "), { errors });
  return format;
}

function requestedFormat(c: Context<AppEnv>): BundleFormat {
  const requested = c.req.query("format");
  if (requested !== undefined) {
    if ((BUNDLE_FORMATS as readonly string[]).includes(requested)) return requested as BundleFormat;
    throw new ApiError("unsupported_format", `format must be one of ${BUNDLE_FORMATS.join(", ")}`, { errors: [{ pointer: "format", detail: `unknown format ${JSON.stringify(requested)}` }] });
  }
  const accept = (c.req.header("Accept") ?? "").toLowerCase();
  if (/application\/(x-)?(gzip|gtar|tar)/.test(accept)) return "tar";
  if (/(application|text)\/(x-)?yaml/.test(accept)) return "kubernetes-secret";
  return "json";
}

export interface KumaTarget {
  purpose: Purpose;
  product: Product;
}

export function issuedCertificateJson(cert: IssuedCertificate, target?: KumaTarget) {
  return {
    serial_number: cert.serialNumber,
    certificate: cert.certificate,
    chain: cert.chain,
    ...(cert.privateKey !== undefined ? { private_key: cert.privateKey } : {}),
    ca: cert.ca,
    not_before: cert.notBefore.toISOString(),
    not_after: cert.notAfter.toISOString(),
    sha256_fingerprint: cert.sha256Fingerprint,
    hostnames: cert.hostnames,
    usage: cert.usages,
    key_algorithm: cert.keyAlgorithm,
    ...(target ? { kuma: kumaSection(cert, target) } : {}),
  };
}

/** The JSON body of a successful POST /v1/certificates or /v1/certificates/sign: one type for the API, the CLI and the tests. */
export type IssuedCertificateJson = ReturnType<typeof issuedCertificateJson>;

/** What the chosen Kuma override needs: its Secret, Helm values, Universal env, and warnings. */
function kumaSection(cert: IssuedCertificate, target: KumaTarget) {
  const advice = adviseOverride(target.purpose, target.product, cert.hostnames, cert.keyAlgorithm);
  return {
    purpose: target.purpose,
    product: target.product,
    secret: advice.secret,
    helm_values: helmValues(target.purpose, target.product, advice.secret.name, cert.ca),
    env: universalEnv(target.purpose, DEFAULT_ENV_DIR),
    warnings: advice.warnings,
  };
}

/** Where Universal-mode examples put the files. */
export const DEFAULT_ENV_DIR = "/etc/kuma/tls";

export async function renderIssued(c: Context<AppEnv>, cert: IssuedCertificate, format: BundleFormat, target?: KumaTarget): Promise<Response> {
  // Responses may carry a private key: never store them in any cache.
  c.header("Cache-Control", "no-store");
  c.header("Location", `/v1/certificates/${cert.serialNumber}`);
  const bundle = { chain: cert.chain, privateKey: cert.privateKey, ca: cert.ca };
  switch (format) {
    case "json":
      return c.json(issuedCertificateJson(cert, target), 201);
    case "helm-values": {
      const purpose = target?.purpose ?? "general";
      const product = target?.product ?? "kuma";
      const name = c.req.query("name") ?? adviseOverride(purpose, product, cert.hostnames, cert.keyAlgorithm).secret.name;
      c.header("Content-Type", "application/yaml; charset=utf-8");
      return c.body(helmValues(purpose, product, name, cert.ca), 201);
    }
    case "env": {
      const dir = c.req.query("dir") ?? DEFAULT_ENV_DIR;
      c.header("Content-Type", "text/plain; charset=utf-8");
      return c.body(universalEnv(target?.purpose ?? "general", dir), 201);
    }
    case "tar": {
      const body = await tlsBundleTarGz(bundle, c.get("now"));
      const file = (cert.hostnames[0] ?? "bundle").replace(/[^a-z0-9.-]/gi, "_");
      c.header("Content-Type", "application/gzip");
      c.header("Content-Disposition", `attachment; filename="${file}.tar.gz"`);
      return c.body(body as Uint8Array<ArrayBuffer>, 201);
    }
    case "kubernetes-secret": {
      const advice = target ? adviseOverride(target.purpose, target.product, cert.hostnames, cert.keyAlgorithm) : undefined;
      const name = c.req.query("name") ?? advice?.secret.name ?? DEFAULT_SECRET_NAME;
      const namespace = c.req.query("namespace") ?? advice?.secret.namespace ?? DEFAULT_SECRET_NAMESPACE;
      const yaml = kubernetesSecretYaml(bundle, {
        name,
        namespace,
        annotations: { "edgeca.dev/serial-number": cert.serialNumber, "edgeca.dev/not-after": cert.notAfter.toISOString() },
      });
      c.header("Content-Type", "application/yaml; charset=utf-8");
      return c.body(yaml, 201);
    }
  }
}
