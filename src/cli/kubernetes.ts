/**
 * A minimal Kubernetes API client for `edgeca renew --kubernetes-secret`: in-cluster credentials
 * (the Service's host and port from the environment, the mounted service-account token and CA, as
 * client-go's rest.InClusterConfig reads them), GET and PUT of one Secret over node:https with that
 * CA, Status documents turned into plain messages, and the pure parts (reference parsing, reading
 * and rebuilding the Secret's data, comparing trust bundles) exported for unit tests. No kubectl,
 * no dependency.
 */
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { fromBase64, toBase64, utf8 } from "../pki/bytes.ts";
import { K8S_NAME, K8S_NAMESPACE, type TlsBundle } from "../pki/bundle.ts";
import { decodePem } from "../pki/pem.ts";
import { CliError, usageError } from "./errors.ts";

/** Where the kubelet mounts the service-account token, CA and namespace (overridable for tests). */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface InClusterConfig {
  host: string;
  port: number;
  token: string;
  /** PEM of the cluster CA that signed the API server's certificate. */
  ca: string;
  /** The files read, for messages. */
  tokenFile: string;
}

/**
 * The pod's credentials: KUBERNETES_SERVICE_HOST / _PORT (set by the kubelet in every container),
 * and token and ca.crt from the service-account directory (EDGECA_SERVICE_ACCOUNT_DIR, default the
 * kubelet's mount). The token is re-read on each run: projected tokens rotate (kubelet refreshes them
 * at 80 % of their lifetime).
 */
export function inClusterConfig(env: NodeJS.ProcessEnv): InClusterConfig {
  const host = env.KUBERNETES_SERVICE_HOST;
  const portText = env.KUBERNETES_SERVICE_PORT ?? "443";
  if (!host) throw new CliError("not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST is not set (the kubelet sets it in every container)");
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliError(`KUBERNETES_SERVICE_PORT is not a port: ${JSON.stringify(portText)}`);
  const dir = env.EDGECA_SERVICE_ACCOUNT_DIR || SERVICE_ACCOUNT_DIR;
  const read = (file: string, what: string) => {
    try {
      return readFileSync(join(dir, file), "utf8");
    } catch (error) {
      throw new CliError(`cannot read the service-account ${what} ${join(dir, file)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (is automountServiceAccountToken off?)`);
    }
  };
  const token = read("token", "token").trim();
  if (!token) throw new CliError(`the service-account token ${join(dir, "token")} is empty`);
  return { host, port, token, ca: read("ca.crt", "CA"), tokenFile: join(dir, "token") };
}

export interface SecretRef {
  namespace: string;
  name: string;
}

/** NAMESPACE/NAME, each as Kubernetes names them (DNS-1123 label / subdomain). */
export function parseSecretRef(text: string): SecretRef {
  const parts = text.split("/");
  if (parts.length !== 2 || !K8S_NAMESPACE.test(parts[0]!) || !K8S_NAME.test(parts[1]!) || parts[1]!.length > 253 || parts[0]!.length > 63) {
    throw usageError(`--kubernetes-secret must be NAMESPACE/NAME (e.g. kuma-system/general-tls-certs), not ${JSON.stringify(text)}`);
  }
  return { namespace: parts[0]!, name: parts[1]! };
}

export interface Secret {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; annotations?: Record<string, string>; labels?: Record<string, string>; [k: string]: unknown };
  type?: string;
  data?: Record<string, string>;
  [k: string]: unknown;
}

/** The Secret's tls.crt, tls.key and ca.crt as text (Secret data is base64). */
export function secretBundle(secret: Secret): { chain?: string; privateKey?: string; ca?: string } {
  const text = (key: string) => {
    const value = secret.data?.[key];
    if (value === undefined) return undefined;
    try {
      return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(fromBase64(value));
    } catch {
      throw new CliError(`Secret ${secret.metadata.namespace}/${secret.metadata.name}: ${key} is not base64 of PEM text`);
    }
  };
  return { chain: text("tls.crt"), privateKey: text("tls.key"), ca: text("ca.crt") };
}

/**
 * The Secret with a new bundle: every other key, label, annotation and owner reference kept, and the
 * resourceVersion it was read at kept as the update's precondition (optimistic concurrency, Kubernetes API
 * conventions "Concurrency Control and Consistency").
 */
export function withBundle(secret: Secret, bundle: TlsBundle, annotations: Record<string, string>): Secret {
  const data: Record<string, string> = { ...(secret.data ?? {}), "tls.crt": toBase64(utf8(bundle.chain)), "ca.crt": toBase64(utf8(bundle.ca)) };
  if (bundle.privateKey !== undefined) data["tls.key"] = toBase64(utf8(bundle.privateKey));
  return {
    ...secret,
    apiVersion: "v1",
    kind: "Secret",
    metadata: { ...secret.metadata, annotations: { ...(secret.metadata.annotations ?? {}), ...annotations } },
    data,
  };
}

/** The certificates of a PEM bundle, order-insensitive, for comparing trust bundles by content, not by text. */
export function certificateSet(pem: string | undefined): Set<string> {
  const blocks = pem === undefined ? undefined : decodePem(pem);
  return new Set(blocks?.ok ? blocks.value.filter((b) => b.label === "CERTIFICATE").map((b) => toBase64(b.der)) : []);
}

export function sameCertificates(a: string | undefined, b: string | undefined): boolean {
  const x = certificateSet(a);
  const y = certificateSet(b);
  return x.size > 0 && x.size === y.size && [...x].every((c) => y.has(c));
}

/** A Kubernetes answer that was not 2xx, with the Status document's message and reason. */
export class KubernetesError extends CliError {
  constructor(
    readonly status: number,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message, undefined, { status, code: reason ? `kubernetes_${reason}` : "kubernetes_error" });
  }
}

interface Status {
  kind?: string;
  message?: string;
  reason?: string;
}

export class KubernetesClient {
  constructor(
    readonly config: InClusterConfig,
    readonly timeoutMs = 30_000,
  ) {}

  private call(method: "GET" | "PUT" | "PATCH", path: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; json: unknown }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.config.host,
          port: this.config.port,
          method,
          path,
          ca: this.config.ca,
          headers: {
            Authorization: `Bearer ${this.config.token}`,
            Accept: "application/json",
            "User-Agent": "edgeca-cli",
            ...(payload !== undefined ? { "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) } : {}),
          },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, json });
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on("error", (error: NodeJS.ErrnoException) =>
        reject(new CliError(`cannot reach the Kubernetes API at ${this.config.host}:${this.config.port}: ${error.code ?? ""}${error.code ? " " : ""}${error.message}`, undefined, { code: "kubernetes_unreachable" })),
      );
      req.end(payload);
    });
  }

  private fail(status: number, json: unknown, verb: string, ref: SecretRef, kind = "Secret"): KubernetesError {
    const s = (json ?? {}) as Status;
    const what = `${kind} ${ref.namespace}/${ref.name}`;
    const said = s.message ? `: ${s.message}` : "";
    switch (status) {
      case 401:
        return new KubernetesError(status, s.reason ?? "Unauthorized", `the Kubernetes API refused the service-account token from ${this.config.tokenFile} (401 Unauthorized${said}); is it expired or for another cluster?`);
      case 403:
        return new KubernetesError(status, s.reason ?? "Forbidden", `the service account may not ${verb} ${what} (403 Forbidden${said}); its Role needs ${kind === "Secret" ? '"get" and "update" on that Secret' : '"patch" on that Deployment'} (examples/kubernetes/rbac.yaml)`);
      case 404:
        return new KubernetesError(status, s.reason ?? "NotFound", `${what} does not exist (404${said})${kind === "Secret" ? "; create it first (edgeca issue --format kubernetes-secret | kubectl apply -f -)" : ""}`);
      case 409:
        return new KubernetesError(status, s.reason ?? "Conflict", `${what} was changed by someone else while renewing (409 Conflict${said})`);
      default:
        return new KubernetesError(status, s.reason, `the Kubernetes API answered ${status} to ${verb} ${what}${said}`);
    }
  }

  private path(ref: SecretRef): string {
    return `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/secrets/${encodeURIComponent(ref.name)}`;
  }

  async getSecret(ref: SecretRef): Promise<Secret> {
    const res = await this.call("GET", this.path(ref));
    if (res.status !== 200) throw this.fail(res.status, res.json, "get", ref);
    return res.json as Secret;
  }

  /** PUT (replace): fails with a 409 KubernetesError when the Secret changed since `secret.metadata.resourceVersion`. */
  async replaceSecret(ref: SecretRef, secret: Secret): Promise<Secret> {
    if (!secret.metadata.resourceVersion) throw new CliError(`Secret ${ref.namespace}/${ref.name} has no resourceVersion to update against`);
    const res = await this.call("PUT", this.path(ref), secret);
    if (res.status !== 200 && res.status !== 201) throw this.fail(res.status, res.json, "update", ref);
    return res.json as Secret;
  }

  /**
   * What `kubectl rollout restart` does: stamp the pod template with kubectl.kubernetes.io/restartedAt
   * (a strategic merge patch), so the Deployment rolls its pods. Needed after renewing a Secret that
   * the pods mount with subPath (Kuma's chart mounts general-tls-certs so), which never updates in place.
   */
  async restartDeployment(ref: SecretRef, at: Date): Promise<void> {
    const patch = { spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": at.toISOString() } } } } };
    const path = `/apis/apps/v1/namespaces/${encodeURIComponent(ref.namespace)}/deployments/${encodeURIComponent(ref.name)}`;
    const res = await this.call("PATCH", path, patch, "application/strategic-merge-patch+json");
    if (res.status !== 200) throw this.fail(res.status, res.json, "patch", ref, "Deployment");
  }
}
