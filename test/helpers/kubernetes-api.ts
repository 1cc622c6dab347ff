/**
 * A loopback HTTPS stand-in for the Kubernetes API server, enforcing what the real one enforces for
 * the calls `edgeca renew --kubernetes-secret` makes: a bearer token (401 Status otherwise), GET and
 * PUT of /api/v1/namespaces/{ns}/secrets/{name} (404 Status for an unknown one), optimistic
 * concurrency (a PUT must carry the current metadata.resourceVersion: 409 Conflict Status otherwise,
 * the real message), a Secret's type is immutable and a kubernetes.io/tls Secret must hold tls.crt and
 * tls.key (422 Invalid), and each accepted write bumps the resourceVersion. PATCH of a Deployment
 * (a strategic merge patch, as `kubectl rollout restart` sends) stamps its pod template. With `rules`
 * (a Role's rules), every request is authorized as RBAC does: verb, API group, resource and
 * resourceNames; 403 Forbidden with the real message otherwise.
 */
import { createServer, type Server } from "node:https";
import { closeServer, listenLoopback } from "./net.ts";
import type { Secret } from "../../src/cli/kubernetes.ts";

export interface RoleRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

export interface Deployment {
  metadata: { name: string; namespace: string };
  spec: { template: { metadata: { annotations?: Record<string, string> } } };
}

export interface KubernetesApi {
  host: string;
  port: number;
  secrets: Map<string, Secret>;
  deployments: Map<string, Deployment>;
  requests: { method: string; path: string; status: number }[];
  /** Make the next `n` PUTs stale, as if another writer updated the Secret just before each. */
  interfere(n: number): void;
  close(): Promise<void>;
}

function status(code: number, reason: string, message: string) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

export async function startKubernetesApi(o: { cert: string; key: string; token: string; rules?: RoleRule[]; user?: string }): Promise<KubernetesApi> {
  const secrets = new Map<string, Secret>();
  const deployments = new Map<string, Deployment>();
  const allowed = (verb: string, group: string, resource: string, name: string) =>
    !o.rules || o.rules.some((r) => r.verbs.includes(verb) && r.apiGroups.includes(group) && r.resources.includes(resource) && (!r.resourceNames || r.resourceNames.includes(name)));
  const requests: KubernetesApi["requests"] = [];
  let version = 1000;
  let interference = 0;
  const server: Server = createServer({ cert: o.cert, key: o.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const send = (code: number, body: unknown) => {
        requests.push({ method: req.method ?? "", path: req.url ?? "", status: code });
        res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${o.token}`) return send(401, status(401, "Unauthorized", "Unauthorized"));
      const verb = ({ GET: "get", PUT: "update", PATCH: "patch" } as Record<string, string>)[req.method ?? ""] ?? "unknown";
      const forbidden = (group: string, resource: string, ns: string, name: string) =>
        send(403, status(403, "Forbidden", `${resource} "${name}" is forbidden: User "${o.user ?? "system:serviceaccount:test:test"}" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "${ns}"`));
      const d = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/?]+)$/.exec(req.url ?? "");
      if (d) {
        if (!allowed(verb, "apps", "deployments", d[2]!)) return forbidden("apps", "deployments", d[1]!, d[2]!);
        const deployment = deployments.get(`${d[1]}/${d[2]}`);
        if (!deployment) return send(404, status(404, "NotFound", `deployments.apps "${d[2]}" not found`));
        if (req.method !== "PATCH") return send(405, status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
        if (req.headers["content-type"] !== "application/strategic-merge-patch+json") return send(415, status(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`));
        const patch = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Deployment;
        const tmpl = deployment.spec.template.metadata;
        tmpl.annotations = { ...tmpl.annotations, ...patch.spec?.template?.metadata?.annotations };
        return send(200, deployment);
      }
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/?]+)$/.exec(req.url ?? "");
      if (!m) return send(404, status(404, "NotFound", "the server could not find the requested resource"));
      if (!allowed(verb, "", "secrets", m[2]!)) return forbidden("", "secrets", m[1]!, m[2]!);
      const key = `${m[1]}/${m[2]}`;
      const current = secrets.get(key);
      if (!current) return send(404, status(404, "NotFound", `secrets "${m[2]}" not found`));
      if (req.method === "GET") return send(200, current);
      if (req.method !== "PUT") return send(405, status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
      if (interference > 0) {
        interference--;
        current.metadata = { ...current.metadata, resourceVersion: String(++version), annotations: { ...current.metadata.annotations, "other-writer": String(version) } };
      }
      let body: Secret;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Secret;
      } catch {
        return send(400, status(400, "BadRequest", "the body is not JSON"));
      }
      if (body.kind !== "Secret" || body.metadata?.name !== m[2] || body.metadata?.namespace !== m[1]) return send(400, status(400, "BadRequest", "the name or namespace of the object does not match the request"));
      if (body.metadata.resourceVersion !== current.metadata.resourceVersion) {
        return send(409, status(409, "Conflict", `Operation cannot be fulfilled on secrets "${m[2]}": the object has been modified; please apply your changes to the latest version and try again`));
      }
      if ((body.type ?? "Opaque") !== (current.type ?? "Opaque")) return send(422, status(422, "Invalid", `Secret "${m[2]}" is invalid: type: Invalid value: field is immutable`));
      if (body.type === "kubernetes.io/tls" && (!body.data?.["tls.crt"] || !body.data?.["tls.key"])) return send(422, status(422, "Invalid", `Secret "${m[2]}" is invalid: data[tls.key]: Required value`));
      const stored = { ...body, metadata: { ...body.metadata, resourceVersion: String(++version) } };
      secrets.set(key, stored);
      return send(200, stored);
    });
  });
  const port = await listenLoopback(server);
  return {
    host: "127.0.0.1",
    port,
    secrets,
    deployments,
    requests,
    interfere: (n) => (interference = n),
    close: () => closeServer(server),
  };
}
