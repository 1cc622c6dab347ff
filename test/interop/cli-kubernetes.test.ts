/**
 * `edgeca renew --kubernetes-secret` as a CronJob runs it: the real bin, in-cluster credentials
 * (KUBERNETES_SERVICE_HOST/PORT and a service-account directory with token and ca.crt), against a
 * loopback HTTPS stand-in of the API server (test/helpers/kubernetes-api.ts, its certificate issued by
 * the worker under test) and the real worker. The renewed Secret is checked with Node's X509Certificate.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Secret } from "../../src/cli/kubernetes.ts";
import { issue, makeTempDir, type Issued } from "../helpers/interop.ts";
import { startKubernetesApi, type KubernetesApi } from "../helpers/kubernetes-api.ts";
import { startRunningWorker, type RunningWorker } from "../helpers/running-worker.ts";
import { cliEnv, edgeca } from "./cli-harness.ts";

const SA_TOKEN = "eyJhbGciOiJSUzI1NiJ9.service-account.test-signature";
let worker: RunningWorker;
let api: KubernetesApi;
let env: NodeJS.ProcessEnv;
const temp = makeTempDir("edgeca-k8s-");

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const text = (b: string | undefined) => Buffer.from(b ?? "", "base64").toString("utf8");

function secretOf(name: string, bundle: Issued, ca = bundle.ca): Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: "kuma-system", resourceVersion: "1", labels: { app: "kuma" }, annotations: { keep: "me" } },
    type: "kubernetes.io/tls",
    data: { "tls.crt": b64(bundle.chain), "tls.key": b64(bundle.private_key!), "ca.crt": b64(ca), "extra.txt": b64("untouched") },
  };
}

async function put(name: string, hostnames: string[], ttl: string, ca?: string): Promise<Issued> {
  const bundle = await issue(worker, { hostnames, ttl });
  api.secrets.set(`kuma-system/${name}`, secretOf(name, bundle, ca));
  return bundle;
}

const renew = (name: string, extra: string[] = [], e = env) => edgeca(["renew", "--kubernetes-secret", `kuma-system/${name}`, "--within", "30d", "--json", ...extra], { env: e });
const puts = (name: string) => api.requests.filter((r) => r.method === "PUT" && r.path.endsWith(`/secrets/${name}`));

beforeAll(async () => {
  worker = await startRunningWorker();
  // The API server's certificate, for 127.0.0.1, from the test authority; its root is the cluster CA.
  const serving = await issue(worker, { hostnames: ["127.0.0.1", "kubernetes.default.svc"], ttl: "1d" });
  api = await startKubernetesApi({ cert: serving.chain, key: serving.private_key!, token: SA_TOKEN });
  const sa = join(temp.dir, "serviceaccount");
  mkdirSync(sa);
  writeFileSync(join(sa, "token"), `${SA_TOKEN}\n`);
  writeFileSync(join(sa, "ca.crt"), serving.ca);
  env = cliEnv(worker.url, worker.authority.tokens.admin, { KUBERNETES_SERVICE_HOST: api.host, KUBERNETES_SERVICE_PORT: String(api.port), EDGECA_SERVICE_ACCOUNT_DIR: sa });
});

afterAll(async () => {
  await api?.close();
  await worker?.stop();
  temp.cleanup();
});

beforeEach(() => api.interfere(0));

describe("edgeca renew --kubernetes-secret", () => {
  it("renews a Secret that is due: same names, new key, the service's ca.crt, everything else kept, resourceVersion precondition", async () => {
    const old = await put("due-tls", ["kuma-control-plane.kuma-system", "kuma-control-plane.kuma-system.svc"], "2d");
    const r = await renew("due-tls");
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { renewed: boolean; reason: string; previous_serial_number: string; serial_number: string; attempts: number; secret: { resourceVersion: string } };
    expect(out).toMatchObject({ renewed: true, reason: "due", attempts: 1 });
    expect(puts("due-tls").map((q) => q.status)).toEqual([200]);

    const s = api.secrets.get("kuma-system/due-tls")!;
    expect(s.metadata.resourceVersion).toBe(out.secret.resourceVersion);
    expect(s.metadata.resourceVersion).not.toBe("1");
    const leaf = new X509Certificate(text(s.data!["tls.crt"]));
    expect(leaf.serialNumber.toLowerCase()).toBe(out.serial_number);
    expect(out.previous_serial_number).toBe(old.serial_number);
    expect(leaf.subjectAltName).toBe(new X509Certificate(old.certificate).subjectAltName);
    expect(Math.round((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 3600_000)).toBe(48); // the same lifetime
    expect(leaf.checkPrivateKey(createPrivateKey(text(s.data!["tls.key"])))).toBe(true);
    expect(text(s.data!["tls.key"])).not.toBe(old.private_key);
    expect(leaf.verify(new X509Certificate(worker.authority.intermediatePem).publicKey)).toBe(true);
    expect(text(s.data!["ca.crt"])).toBe(worker.authority.rootPem);
    expect(text(s.data!["extra.txt"])).toBe("untouched");
    expect(s.metadata.labels).toEqual({ app: "kuma" });
    expect(s.metadata.annotations).toMatchObject({ keep: "me", "edgeca.dev/serial-number": out.serial_number });
    expect(s.type).toBe("kubernetes.io/tls");
  });

  it("leaves a Secret that is not due alone: exit 3, one GET, no PUT", async () => {
    const before = await put("fresh-tls", ["fresh.mesh.example.com"], "90d");
    const r = await renew("fresh-tls");
    expect(r.status, r.stderr).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ renewed: false, reason: "not_due", serial_number: before.serial_number });
    expect(puts("fresh-tls")).toEqual([]);
    expect(api.secrets.get("kuma-system/fresh-tls")!.metadata.resourceVersion).toBe("1");
  });

  it("renews a fresh certificate whose ca.crt is not the service's trust bundle", async () => {
    await put("stale-ca-tls", ["stale.mesh.example.com"], "90d", worker.authority.intermediatePem);
    const r = await renew("stale-ca-tls");
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ renewed: true, reason: "ca_changed" });
    expect(text(api.secrets.get("kuma-system/stale-ca-tls")!.data!["ca.crt"])).toBe(worker.authority.rootPem);
  });

  it("re-reads and retries once after a 409 Conflict, writing the certificate already issued", async () => {
    await put("conflict-once-tls", ["once.mesh.example.com"], "1d");
    api.interfere(1);
    const r = await renew("conflict-once-tls");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/changed by someone else while renewing \(409 Conflict: Operation cannot be fulfilled on secrets "conflict-once-tls".*reading it again and retrying once/);
    const out = JSON.parse(r.stdout) as { serial_number: string; attempts: number };
    expect(out.attempts).toBe(2);
    expect(puts("conflict-once-tls").map((q) => q.status)).toEqual([409, 200]);
    const s = api.secrets.get("kuma-system/conflict-once-tls")!;
    expect(new X509Certificate(text(s.data!["tls.crt"])).serialNumber.toLowerCase()).toBe(out.serial_number);
    expect(s.metadata.annotations).toMatchObject({ "other-writer": expect.any(String) }); // the other writer's change survives
    // One issuance for the run: the ledger holds one new certificate for the name.
    const res = await fetch(`${worker.url}/v1/certificates?hostname=once.mesh.example.com`, { headers: { authorization: `Bearer ${worker.authority.tokens.admin}` } });
    expect(((await res.json()) as { certificates: unknown[] }).certificates).toHaveLength(2);
  });

  it("reports a second conflict (exit 1) and leaves the Secret as the other writer left it", async () => {
    const old = await put("conflict-twice-tls", ["twice.mesh.example.com"], "1d");
    api.interfere(2);
    const r = await renew("conflict-twice-tls");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/409 Conflict.*twice; certificate [0-9a-f]{32} was issued but not written/);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: "kubernetes_conflict", exit_code: 1 } });
    expect(puts("conflict-twice-tls").map((q) => q.status)).toEqual([409, 409]);
    expect(text(api.secrets.get("kuma-system/conflict-twice-tls")!.data!["tls.crt"])).toBe(old.chain);
  });

  it("says clearly when the API server refuses the service-account token, and when not in a pod", async () => {
    await put("auth-tls", ["auth.mesh.example.com"], "1d");
    const sa = join(temp.dir, "wrong-sa");
    mkdirSync(sa);
    writeFileSync(join(sa, "token"), "not-the-token");
    writeFileSync(join(sa, "ca.crt"), (await issue(worker, { hostnames: ["x.example.com"], ttl: "1d" })).ca);
    const r = await renew("auth-tls", [], { ...env, EDGECA_SERVICE_ACCOUNT_DIR: sa });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the Kubernetes API refused the service-account token from ${join(sa, "token")} (401 Unauthorized: Unauthorized)`);
    expect(r.stderr).not.toContain("not-the-token");
    expect(puts("auth-tls")).toEqual([]);

    const outside = await renew("auth-tls", [], { ...env, KUBERNETES_SERVICE_HOST: "" });
    expect(outside.status).toBe(1);
    expect(outside.stderr).toContain("not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST is not set");
    expect((await edgeca(["renew", "--kubernetes-secret", "Kuma_System/x"], { env })).status).toBe(2);
    expect((await edgeca(["renew", "--kubernetes-secret", "kuma-system/x", "--cert", "tls.crt"], { env })).status).toBe(2);
  });
});
