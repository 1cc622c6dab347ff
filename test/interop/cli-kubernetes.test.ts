/**
 * Renewal where the certificates live, with one worker:
 * - `edgeca renew --kubernetes-secret` as a CronJob runs it: the real bin, in-cluster credentials
 *   (KUBERNETES_SERVICE_HOST/PORT and a service-account directory with token and ca.crt), against a
 *   loopback HTTPS stand-in of the API server (test/helpers/kubernetes-api.ts, its certificate issued by
 *   the worker under test). The renewed Secret is checked with Node's X509Certificate.
 * - examples/kubernetes: the manifests parse and agree with each other, and the CronJob's command runs
 *   as written against the stand-in enforcing the example Role's rules, authenticated to edgeca with a
 *   projected service-account token (a real RS256 JWT of the test cluster's issuer, the volume's
 *   audience, the CronJob's ServiceAccount) through the OIDC_TRUST policy docs/kuma.md gives for it.
 * - examples/systemd: the units agree with each other, and the service's ExecStart and ExecStopPost run
 *   as systemd would run them: kuma-cp is restarted after a renewal (exit 0), not after "not due" (3).
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { writeBundle } from "../../src/cli/files.ts";
import type { Secret } from "../../src/cli/kubernetes.ts";
import { run } from "../../src/cli/main.ts";
import { issue, makeTempDir, type Issued } from "../helpers/interop.ts";
import { startKubernetesApi, type KubernetesApi, type RoleRule } from "../helpers/kubernetes-api.ts";
import { kubernetesClaims, signingKey, TestIssuer } from "../helpers/oidc-issuer.ts";
import { startRunningWorker, type RunningWorker } from "../helpers/running-worker.ts";
import { cliEnv, edgeca, makeToolDir, REPO, sh } from "./cli-harness.ts";

const SA_TOKEN = "eyJhbGciOiJSUzI1NiJ9.service-account.test-signature";
let worker: RunningWorker;
let api: KubernetesApi;
let env: NodeJS.ProcessEnv;
let serving: Issued;
let saDir: string;
/** The cluster's service-account issuer, trusted by the OIDC_TRUST policy docs/kuma.md gives for the renewal CronJob. */
let cluster: TestIssuer;
let renewerPolicy: { name: string; issuer: string; audience: string; claims: Record<string, string> };
const temp = makeTempDir("edgeca-k8s-");

/** The policy of docs/kuma.md "A zone control plane renewing its own certificate inside Kubernetes", its jwks the test cluster's. */
function documentedRenewerPolicy(jwks: unknown): typeof renewerPolicy & Record<string, unknown> {
  const doc = readFileSync(join(REPO, "docs", "kuma.md"), "utf8");
  const section = doc.slice(doc.indexOf("### A zone control plane renewing its own certificate inside Kubernetes"));
  const block = /```json\n([\s\S]*?)```/.exec(section);
  expect(block, "docs/kuma.md shows the renewal CronJob's OIDC_TRUST policy").not.toBeNull();
  return { ...(JSON.parse(block![1]!) as typeof renewerPolicy), jwks };
}

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
  const key = await signingKey("RS256");
  renewerPolicy = documentedRenewerPolicy({ keys: [key.publicJwk] });
  cluster = new TestIssuer(renewerPolicy.issuer, [key]);
  worker = await startRunningWorker({ bindings: { OIDC_TRUST: JSON.stringify([renewerPolicy]) } });
  // The API server's certificate, for 127.0.0.1, from the test authority; its root is the cluster CA.
  serving = await issue(worker, { hostnames: ["127.0.0.1", "kubernetes.default.svc"], ttl: "1d" });
  api = await startKubernetesApi({ cert: serving.chain, key: serving.private_key!, token: SA_TOKEN });
  saDir = join(temp.dir, "serviceaccount");
  mkdirSync(saDir);
  writeFileSync(join(saDir, "token"), `${SA_TOKEN}\n`);
  writeFileSync(join(saDir, "ca.crt"), serving.ca);
  env = cliEnv(worker.url, worker.authority.tokens.admin, { KUBERNETES_SERVICE_HOST: api.host, KUBERNETES_SERVICE_PORT: String(api.port), EDGECA_SERVICE_ACCOUNT_DIR: saDir });
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

  it("renews a fresh certificate whose ca.crt is not the service's trust bundle (here keeping the Secret's key)", async () => {
    const old = await put("stale-ca-tls", ["stale.mesh.example.com"], "90d", worker.authority.intermediatePem);
    const r = await renew("stale-ca-tls", ["--keep-key"]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ renewed: true, reason: "ca_changed", key_source: "kept" });
    const s = api.secrets.get("kuma-system/stale-ca-tls")!;
    expect(text(s.data!["ca.crt"])).toBe(worker.authority.rootPem);
    expect(text(s.data!["tls.key"])).toBe(old.private_key);
    expect(new X509Certificate(text(s.data!["tls.crt"])).checkPrivateKey(createPrivateKey(old.private_key!))).toBe(true);
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
    // Usage errors, in process (no need for a child process to read a command line).
    const usage = async (argv: string[]) => {
      let stderr = "";
      const status = await run(argv, { stdout: () => {}, stderr: (t) => (stderr += t), env });
      return { status, stderr };
    };
    expect(await usage(["renew", "--kubernetes-secret", "Kuma_System/x"])).toMatchObject({ status: 2, stderr: expect.stringContaining("must be NAMESPACE/NAME") });
    expect(await usage(["renew", "--kubernetes-secret", "kuma-system/x", "--cert", "tls.crt"])).toMatchObject({ status: 2, stderr: expect.stringContaining("drop --cert") });
    expect(await usage(["renew", "--cert", "tls.crt", "--restart-deployment", "kuma-control-plane"])).toMatchObject({ status: 2, stderr: expect.stringContaining("goes with --kubernetes-secret") });
  });
});

// ---- examples/kubernetes ---------------------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;
const manifests = (file: string): Doc[] => parseAllDocuments(readFileSync(join(REPO, "examples", "kubernetes", file), "utf8")).map((d) => {
  expect(d.errors).toEqual([]);
  return d.toJS();
});
const byKind = (docs: Doc[], kind: string): Doc => {
  const found = docs.filter((d) => d.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
};
/** The new serial of a text-mode renewal ("renewed OLD → NEW for …"). */
const renewedSerialOf = (stdout: string) => /^renewed [0-9a-f]{32} → ([0-9a-f]{32}) /.exec(stdout)![1]!;
/** The value after `flag` in an argument list. */
const arg = (args: string[], flag: string) => args[args.indexOf(flag) + 1]!;

describe("examples/kubernetes", () => {
  const rbac = manifests("rbac.yaml");
  const cron = byKind(manifests("cronjob.yaml"), "CronJob");
  const sa = byKind(rbac, "ServiceAccount");
  const role = byKind(rbac, "Role");
  const binding = byKind(rbac, "RoleBinding");
  const pod = cron.spec.jobTemplate.spec.template.spec;
  const container = pod.containers[0];
  const args: string[] = container.args.slice(2); // after the sh -c script and its $0
  const [secretNs, secretName] = arg(args, "--kubernetes-secret").split("/");

  it("name each other consistently: ServiceAccount, Role, RoleBinding, CronJob, Secret, Deployment, namespace", () => {
    expect(cron.apiVersion).toBe("batch/v1");
    expect(pod.serviceAccountName).toBe(sa.metadata.name);
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: sa.metadata.name, namespace: sa.metadata.namespace }]);
    for (const d of [sa, role, binding, cron]) expect(d.metadata.namespace).toBe(secretNs);
    // Exactly what the CLI does, on exactly those objects.
    expect(role.rules).toEqual([
      { apiGroups: [""], resources: ["secrets"], resourceNames: [secretName], verbs: ["get", "update"] },
      { apiGroups: ["apps"], resources: ["deployments"], resourceNames: [arg(args, "--restart-deployment")], verbs: ["patch"] },
    ]);
    expect(cron.spec.concurrencyPolicy).toBe("Forbid");
    expect(pod.restartPolicy).toBe("Never");
  });

  it("mount a projected service-account token with edgeca's audience where --id-token-file reads it", () => {
    const tokenFile = arg(args, "--id-token-file");
    const mount = container.volumeMounts.find((m: Doc) => m.mountPath === dirname(tokenFile));
    expect(mount, `a volume mounted at ${dirname(tokenFile)}`).toBeDefined();
    const volume = pod.volumes.find((v: Doc) => v.name === mount.name);
    const source = volume.projected.sources.find((s: Doc) => s.serviceAccountToken).serviceAccountToken;
    expect(source.path).toBe(basename(tokenFile));
    const url = container.env.find((e: Doc) => e.name === "EDGECA_URL").value;
    expect(source.audience).toBe(url);
    expect(source.expirationSeconds).toBeGreaterThanOrEqual(600); // the API server's minimum
    expect(readFileSync(join(REPO, "examples", "kubernetes", "cronjob.yaml"), "utf8")).toContain("--token-file"); // the token-Secret alternative
  });

  it("run as written against the API stand-in enforcing the example Role: renewed and restarted, then 'not due' is success", async () => {
    const rbacApi = await startKubernetesApi({ cert: serving.chain, key: serving.private_key!, token: SA_TOKEN, rules: role.rules as RoleRule[], user: `system:serviceaccount:${secretNs}:${sa.metadata.name}` });
    try {
      const bundle = await issue(worker, { hostnames: ["kuma-control-plane.kuma-system", "kuma-control-plane.kuma-system.svc"], ttl: "7d" });
      rbacApi.secrets.set(`${secretNs}/${secretName}`, { ...secretOf(secretName!, bundle), metadata: { name: secretName!, namespace: secretNs!, resourceVersion: "1" } });
      const deployment = arg(args, "--restart-deployment");
      rbacApi.deployments.set(`${secretNs}/${deployment}`, { metadata: { name: deployment, namespace: secretNs! }, spec: { template: { metadata: {} } } });
      // The projected token as the kubelet writes it: the cluster's issuer, the volume's audience, the CronJob's
      // ServiceAccount; the service trusts it through the policy docs/kuma.md gives. Only the file's path differs.
      const audience = pod.volumes.flatMap((v: Doc) => v.projected?.sources ?? []).find((x: Doc) => x.serviceAccountToken).serviceAccountToken.audience;
      expect(audience, "the projected token's audience is the documented policy's").toBe(renewerPolicy.audience);
      const tokenFile = join(temp.dir, "edgeca-token");
      const claims = kubernetesClaims(renewerPolicy.issuer, audience, secretNs, { sub: `system:serviceaccount:${secretNs}:${sa.metadata.name}` });
      (claims["kubernetes.io"] as { serviceaccount: { name: string } }).serviceaccount.name = sa.metadata.name;
      writeFileSync(tokenFile, await cluster.sign(claims));
      const argv = container.args.map((a: string) => (a === arg(args, "--id-token-file") ? tokenFile : a));
      const podEnv: NodeJS.ProcessEnv = { ...cliEnv(container.env.find((e: Doc) => e.name === "EDGECA_URL").value, ""), EDGECA_URL: worker.url, KUBERNETES_SERVICE_HOST: rbacApi.host, KUBERNETES_SERVICE_PORT: String(rbacApi.port), EDGECA_SERVICE_ACCOUNT_DIR: saDir, PATH: `${makeToolDir(join(temp.dir, "pod"))}:${process.env.PATH}` };
      delete podEnv.EDGECA_TOKEN;
      const command = [...container.command, ...argv].map((a: string) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");

      const first = await sh(command, { env: podEnv, cwd: temp.dir });
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^renewed [0-9a-f]{32} → [0-9a-f]{32} .*; Secret kuma-system\/general-tls-certs updated; deployment kuma-control-plane restarting/);
      expect(rbacApi.requests.filter((q) => q.status === 403)).toEqual([]);
      expect(rbacApi.requests.map((q) => `${q.method} ${q.status}`)).toEqual(["GET 200", "PUT 200", "PATCH 200"]);
      expect(rbacApi.deployments.get(`${secretNs}/${deployment}`)!.spec.template.metadata.annotations).toMatchObject({ "kubectl.kubernetes.io/restartedAt": expect.stringMatching(/^\d{4}-/) });
      // The ledger holds the renewal under the policy's name and the CronJob's identity (what /ui, alerts and /metrics show).
      const renewed = renewedSerialOf(first.stdout);
      const record = (await (await fetch(`${worker.url}/v1/certificates/${renewed}`, { headers: { authorization: `Bearer ${worker.authority.tokens.admin}` } })).json()) as { token_name: string; principal_subject: string };
      expect(record).toMatchObject({ token_name: renewerPolicy.name, principal_subject: `system:serviceaccount:${secretNs}:${sa.metadata.name}` });

      // A fresh 90-day certificate with the service's ca.crt: nothing to do.
      const fresh = await issue(worker, { hostnames: ["kuma-control-plane.kuma-system"], ttl: "90d" });
      rbacApi.secrets.set(`${secretNs}/${secretName}`, { ...secretOf(secretName!, fresh), metadata: { name: secretName!, namespace: secretNs!, resourceVersion: "5000" } });
      const second = await sh(command, { env: podEnv, cwd: temp.dir });
      expect(second.status, second.stderr).toBe(0); // exit 3 (not due) is a successful Job
      expect(second.stdout).toMatch(/^not due: /);
      expect(rbacApi.requests.map((q) => q.method)).toEqual(["GET", "PUT", "PATCH", "GET"]);

      // And the Role is really enforced: another Secret's name is refused with a clear message.
      const other = await edgeca(["renew", "--kubernetes-secret", `${secretNs}/other-tls`, "--id-token-file", tokenFile], { env: podEnv });
      expect(other.status).toBe(1);
      expect(other.stderr).toContain(`may not get Secret ${secretNs}/other-tls (403 Forbidden: secrets "other-tls" is forbidden: User "system:serviceaccount:kuma-system:edgeca-renew" cannot get`);
    } finally {
      await rbacApi.close();
    }
  });
});

// ---- examples/systemd ------------------------------------------------------------------------------------

/** A systemd unit file as section → key → values (keys may repeat). Comments and blank lines dropped. */
function unit(file: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = "";
  for (const line of readFileSync(join(REPO, "examples", "systemd", file), "utf8").split("\n")) {
    const t = line.trim();
    if (!t || t.startsWith("#") || t.startsWith(";")) continue;
    const header = /^\[(\w+)\]$/.exec(t);
    if (header) {
      section = header[1]!;
      out[section] = {};
      continue;
    }
    const m = /^(\w+)=(.*)$/.exec(t);
    expect(m, `${file}: ${t}`).not.toBeNull();
    (out[section]![m![1]!] ??= []).push(m![2]!);
  }
  return out;
}

describe("examples/systemd", () => {
  const service = unit("edgeca-renew.service");
  const timer = unit("edgeca-renew.timer");

  it("the timer starts the service, which runs edgeca renew, treats 'not due' as success and may write only the certificate's directory", () => {
    expect(timer.Timer!.Unit).toEqual(["edgeca-renew.service"]);
    expect(existsSync(join(REPO, "examples", "systemd", timer.Timer!.Unit![0]!))).toBe(true);
    expect(timer.Install!.WantedBy).toEqual(["timers.target"]);
    expect(timer.Timer!.OnCalendar).toHaveLength(1);
    expect(service.Service!.Type).toEqual(["oneshot"]);
    const exec = service.Service!.ExecStart![0]!.split(" ");
    expect(exec.slice(0, 2)).toEqual(["/usr/local/bin/edgeca", "renew"]);
    expect(service.Service!.SuccessExitStatus).toEqual(["3"]);
    expect(service.Service!.ReadWritePaths).toEqual([dirname(arg(exec, "--cert"))]);
    expect(service.Service!.ExecStopPost![0]).toContain("kuma-cp.service");
  });

  it("restarts kuma-cp after a renewal (exit 0) and not when nothing was due (exit 3), as systemd runs ExecStart and ExecStopPost", async () => {
    const state = join(temp.dir, "systemd");
    mkdirSync(state, { recursive: true });
    const tools = makeToolDir(state, { systemctl: `#!/bin/sh\necho "$@" >> "${state}/systemctl.log"\n` });
    const tls = join(state, "kuma-tls");
    const tokenFile = join(state, "token");
    writeFileSync(tokenFile, worker.authority.tokens.admin);
    const unitEnv: NodeJS.ProcessEnv = { ...cliEnv(worker.url, ""), PATH: `${tools}:${process.env.PATH}` };
    delete unitEnv.EDGECA_TOKEN;
    const local = (line: string) => line.replaceAll("/usr/local/bin/edgeca", "edgeca").replaceAll("/etc/kuma/tls", tls).replaceAll("/etc/edgeca/token", tokenFile);
    const execStart = local(service.Service!.ExecStart![0]!);
    const stopPost = service.Service!.ExecStopPost![0]!.replace(/^\+/, "");
    const runOnce = async () => {
      const main = await sh(execStart, { env: unitEnv, cwd: state });
      const success = main.status === 0 || service.Service!.SuccessExitStatus!.includes(String(main.status));
      expect(success, main.stderr).toBe(true);
      await sh(stopPost, { env: { ...unitEnv, SERVICE_RESULT: "success", EXIT_CODE: "exited", EXIT_STATUS: String(main.status) }, cwd: state });
      return main;
    };
    const log = () => (existsSync(join(state, "systemctl.log")) ? readFileSync(join(state, "systemctl.log"), "utf8") : "");

    const issueInto = async (ttl: string) => {
      const b = await issue(worker, { hostnames: ["cp.mesh.example.com"], ttl });
      writeBundle(tls, { chain: b.chain, privateKey: b.private_key, ca: b.ca });
    };

    await issueInto("45d");
    expect((await runOnce()).status).toBe(3);
    expect(log()).toBe("");
    await issueInto("2d");
    const before = readFileSync(join(tls, "tls.crt"), "utf8");
    expect((await runOnce()).status).toBe(0);
    expect(readFileSync(join(tls, "tls.crt"), "utf8")).not.toBe(before);
    expect(log()).toBe("try-restart kuma-cp.service\n");
  });
});
