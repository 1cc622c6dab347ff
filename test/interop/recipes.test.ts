/**
 * docs/kuma.md, proven: every ```sh recipe=<id> block is run exactly as
 * written (bash -euo pipefail, with EDGECA_URL / EDGECA_TOKEN /
 * EDGECA_CA_FINGERPRINT set as the doc says) against the local service, and
 * the files it leaves are used the way that Kuma link uses them: a TLS server
 * on loopback with tls.crt / tls.key, and a client that trusts only the
 * recipe's ca.crt and connects by the recipe's name (node:tls and
 * openssl s_client -verify_return_error -verify_hostname). kubectl and helm
 * are recording stand-ins: kubectl "applies" Secrets into a directory, as the
 * kubelet would mount them.
 */
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, opensslVerify, sClient, startTlsServer, tlsHandshake } from "../helpers/interop.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";
import { cliEnv, makeToolDir, REPO, sh } from "./cli-harness.ts";
import { FAKE_HELM, FAKE_KUBECTL, recipes, ROTATION_RECIPES } from "./recipe-harness.ts";

let worker: RunningWorker;
let allRecipes: Map<string, string>;
const temp = makeTempDir("edgeca-recipes-");
let toolDir: string;

beforeAll(async () => {
  worker = await startRunningWorker();
  allRecipes = recipes(readFileSync(join(REPO, "docs", "kuma.md"), "utf8"));
  toolDir = makeToolDir(temp.dir, { kubectl: FAKE_KUBECTL, helm: FAKE_HELM });
});

afterAll(async () => {
  await worker?.stop();
  temp.cleanup();
});

interface Ran {
  dir: string;
  stdout: string;
  stderr: string;
  /** $KUBE_STATE/<namespace>/<secret>/<key> */
  secret(namespace: string, name: string): { type: string; file(key: string): string; text(key: string): string };
  /** --set values of every helm call, merged in order. */
  helmSets(): Record<string, string>;
}

async function runRecipe(id: string): Promise<Ran> {
  const script = allRecipes.get(id);
  expect(script, `docs/kuma.md has a recipe=${id} block`).toBeDefined();
  const dir = join(temp.dir, id);
  const kubeState = join(dir, ".kube-state");
  mkdirSync(kubeState, { recursive: true });
  const fingerprint = new X509Certificate(worker.authority.rootPem).fingerprint256.replace(/:/g, "").toLowerCase();
  const env = cliEnv(worker.url, worker.authority.tokens.admin, { EDGECA_CA_FINGERPRINT: fingerprint, KUBE_STATE: kubeState, PATH: `${toolDir}:${process.env.PATH}` });
  const r = await sh(script!, { env, cwd: dir });
  expect(r.status, `recipe ${id} failed:\n${r.stderr}`).toBe(0);
  return {
    dir,
    stdout: r.stdout,
    stderr: r.stderr,
    secret(namespace, name) {
      const sdir = join(kubeState, namespace, name);
      expect(existsSync(sdir), `Secret ${namespace}/${name} was applied`).toBe(true);
      return { type: readFileSync(join(sdir, ".type"), "utf8"), file: (k) => join(sdir, k), text: (k) => readFileSync(join(sdir, k), "utf8") };
    },
    helmSets() {
      const log = existsSync(join(kubeState, "helm.log")) ? readFileSync(join(kubeState, "helm.log"), "utf8").trim().split("\n") : [];
      const sets: Record<string, string> = {};
      for (const line of log) {
        const args = JSON.parse(line) as string[];
        args.forEach((a, i) => {
          if (a === "--set") {
            const kv = args[i + 1]!;
            const eq = kv.indexOf("=");
            sets[kv.slice(0, eq)] = kv.slice(eq + 1);
          }
        });
      }
      return sets;
    },
  };
}

/** The key=value lines of an env file. */
function envFile(path: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

/**
 * Serve certFile/keyFile on loopback; connect trusting only caPem by each name,
 * with node:tls and openssl s_client; IP names with openssl verify -verify_ip.
 */
async function proveServer(certFile: string, keyFile: string, caPem: string, names: string[], mtls?: { clientCa: string; cert: string; key: string; expectCn: string }) {
  const caFile = join(temp.dir, `trust-${Math.random().toString(36).slice(2)}.crt`);
  writeFileSync(caFile, caPem);
  expect(new X509Certificate(caPem).ca, "the first certificate of the trust file is a CA (kuma-dp's NotCA check)").toBe(true);
  const server = await startTlsServer({ cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8"), ...(mtls ? { clientCa: mtls.clientCa } : {}) });
  try {
    for (const name of names) {
      const isIp = /^[\d.]+$/.test(name);
      if (isIp) {
        // The loopback server cannot be reached at the recipe's IP: check the IP SAN and the chain offline.
        expect(opensslVerify({ ca: caFile, untrusted: certFile, cert: certFile, ip: name }).ok, `openssl verify -verify_ip ${name}`).toBe(true);
        continue;
      }
      const client = mtls ? { cert: mtls.cert, key: mtls.key } : {};
      const hs = await tlsHandshake({ port: server.port, ca: caPem, servername: name, ...client });
      expect(hs.error, `node:tls to ${name}`).toBeUndefined();
      expect(hs).toMatchObject({ authorized: true, data: mtls ? `hello ${mtls.expectCn}\n` : "hello\n" });
      if (!mtls) {
        const s = await sClient({ port: server.port, ca: caFile, servername: name });
        expect(s.stdout, `openssl s_client to ${name}: ${s.stderr}`).toMatch(/Verify return code: 0 \(ok\)/);
      }
    }
    // And a name the certificate does not carry is refused, so the check above means something.
    const wrong = await tlsHandshake({ port: server.port, ca: caPem, servername: "not-this.example.org", ...(mtls ? { cert: mtls.cert, key: mtls.key } : {}) });
    expect(wrong.authorized).toBe(false);
  } finally {
    await server.close();
  }
}

/** A caBundle as the webhook needs it: one line of base64 whose bytes are the PEM CA. */
function decodeCaBundle(value: string | undefined): string {
  expect(value).toMatch(/^[A-Za-z0-9+/]+=*$/);
  const pem = Buffer.from(value!, "base64").toString("utf8");
  expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
  return pem;
}

describe("docs/kuma.md recipes", () => {
  it("every recipe in the doc has a test here", () => {
    expect([...allRecipes.keys()].sort()).toEqual(
      // The rotation runbook's recipes run in test/interop/rotation.test.ts, each in its phase.
      ["api-server-kubernetes", "api-server-universal", "dp-universal", "dp-universal-curl", "general-kubernetes", "kds-global", "kds-global-curl", "kds-kubernetes", "mads", "mads-kubernetes", "webhook", ...ROTATION_RECIPES].sort(),
    );
  });

  it("data plane → CP, Universal: kuma-dp trusting the pinned ca.crt reaches the CP by name and IP", async () => {
    const r = await runRecipe("dp-universal");
    // --format env is Universal: no warning about Kubernetes' in-cluster names.
    expect(r.stderr).not.toMatch(/warning/);
    const env = envFile(join(r.dir, "cp-tls", "kuma.env"));
    expect(env.KUMA_GENERAL_TLS_CERT_FILE).toBe(join(r.dir, "cp-tls", "tls.crt"));
    expect(statSync(env.KUMA_GENERAL_TLS_KEY_FILE!).mode & 0o777).toBe(0o600);
    await proveServer(env.KUMA_GENERAL_TLS_CERT_FILE!, env.KUMA_GENERAL_TLS_KEY_FILE!, readFileSync(join(r.dir, "dp-ca.crt"), "utf8"), ["cp.mesh.example.com", "10.0.0.5"]);
  });

  it("data plane → CP, Universal with curl | tar", async () => {
    const r = await runRecipe("dp-universal-curl");
    const d = join(r.dir, "cp-tls-curl");
    expect(statSync(join(d, "tls.key")).mode & 0o777).toBe(0o600);
    await proveServer(join(d, "tls.crt"), join(d, "tls.key"), readFileSync(join(d, "ca.crt"), "utf8"), ["cp.mesh.example.com", "10.0.0.5"]);
  });

  it("data plane → CP, Kubernetes: the general Secret serves the sidecars' CP address and the webhook name, trusted via caBundle", async () => {
    const r = await runRecipe("general-kubernetes");
    const secret = r.secret("kuma-system", "general-tls-certs");
    expect(secret.type).toBe("kubernetes.io/tls");
    const sets = r.helmSets();
    expect(sets["controlPlane.tls.general.secretName"]).toBe("general-tls-certs");
    const ca = decodeCaBundle(sets["controlPlane.tls.general.caBundle"]);
    expect(ca).toBe(secret.text("ca.crt"));
    await proveServer(secret.file("tls.crt"), secret.file("tls.key"), ca, ["kuma-control-plane.kuma-system", "kuma-control-plane.kuma-system.svc"]);
  });

  it("user → API server, Universal: server certificate, and mTLS with the client certificate the recipe issued", async () => {
    const r = await runRecipe("api-server-universal");
    const env = envFile(join(r.dir, "api-tls", "kuma.env"));
    expect(env.KUMA_API_SERVER_HTTPS_REQUIRE_CLIENT_CERT).toBe("true");
    const ca = readFileSync(env.KUMA_API_SERVER_HTTPS_TLS_CA_FILE!, "utf8");
    await proveServer(env.KUMA_API_SERVER_HTTPS_TLS_CERT_FILE!, env.KUMA_API_SERVER_HTTPS_TLS_KEY_FILE!, ca, ["kuma.mesh.example.com"]);
    await proveServer(env.KUMA_API_SERVER_HTTPS_TLS_CERT_FILE!, env.KUMA_API_SERVER_HTTPS_TLS_KEY_FILE!, ca, ["kuma.mesh.example.com"], {
      clientCa: ca,
      cert: readFileSync(join(r.dir, "api-client", "tls.crt"), "utf8"),
      key: readFileSync(join(r.dir, "api-client", "tls.key"), "utf8"),
      expectCn: "ops.mesh.example.com",
    });
    // Without a client certificate the API server (requireClientCert) refuses.
    const server = await startTlsServer({ cert: readFileSync(env.KUMA_API_SERVER_HTTPS_TLS_CERT_FILE!, "utf8"), key: readFileSync(env.KUMA_API_SERVER_HTTPS_TLS_KEY_FILE!, "utf8"), clientCa: ca });
    try {
      const anon = await tlsHandshake({ port: server.port, ca, servername: "kuma.mesh.example.com" });
      expect(anon.data ?? "").toMatch(/^denied/);
    } finally {
      await server.close();
    }
  });

  it("user → API server, Kubernetes: api-server-tls Secret", async () => {
    const r = await runRecipe("api-server-kubernetes");
    const secret = r.secret("kuma-system", "api-server-tls");
    expect(r.helmSets()["controlPlane.tls.apiServer.secretName"]).toBe("api-server-tls");
    await proveServer(secret.file("tls.crt"), secret.file("tls.key"), secret.text("ca.crt"), ["kuma.mesh.example.com"]);
  });

  it("zone CP → global CP (KDS), Universal: the zone trusts the pinned kds-ca.crt and dials the grpcs:// host", async () => {
    const r = await runRecipe("kds-global");
    // Only zone CPs connect to KDS: the env file's trust hint names them, not kuma-dp or kumactl.
    const kdsEnv = readFileSync(join(r.dir, "kds-tls", "kuma.env"), "utf8");
    expect(kdsEnv).toContain("KUMA_MULTIZONE_ZONE_KDS_ROOT_CA_FILE=");
    expect(kdsEnv).not.toMatch(/kuma-dp|kumactl/);
    const global = envFile(join(r.dir, "kds-tls", "kuma.env"));
    const zone = envFile(join(r.dir, "zone.env"));
    const host = new URL(zone.KUMA_MULTIZONE_ZONE_GLOBAL_ADDRESS!.replace(/^grpcs:/, "https:")).hostname;
    expect(host).toBe("global.mesh.example.com");
    await proveServer(global.KUMA_MULTIZONE_GLOBAL_KDS_TLS_CERT_FILE!, global.KUMA_MULTIZONE_GLOBAL_KDS_TLS_KEY_FILE!, readFileSync(zone.KUMA_MULTIZONE_ZONE_KDS_ROOT_CA_FILE!, "utf8"), [host]);
  });

  it("zone CP → global CP (KDS), Universal with curl and jq", async () => {
    const r = await runRecipe("kds-global-curl");
    const d = join(r.dir, "kds-tls-curl");
    expect(statSync(join(d, "tls.key")).mode & 0o777).toBe(0o600);
    expect(existsSync(join(r.dir, "issued.json"))).toBe(false);
    await proveServer(join(d, "tls.crt"), join(d, "tls.key"), readFileSync(join(d, "ca.crt"), "utf8"), ["global.mesh.example.com"]);
  });

  it("zone CP → global CP (KDS), Kubernetes: kds-server-tls on the global, kds-ca-certs on the zone", async () => {
    const r = await runRecipe("kds-kubernetes");
    const server = r.secret("kuma-system", "kds-server-tls");
    const zoneCa = r.secret("kuma-system", "kds-ca-certs");
    const sets = r.helmSets();
    expect(sets["controlPlane.tls.kdsGlobalServer.secretName"]).toBe("kds-server-tls");
    expect(sets["controlPlane.tls.kdsZoneClient.secretName"]).toBe("kds-ca-certs");
    const host = new URL(sets["controlPlane.multizone.globalAddress"]!.replace(/^grpcs:/, "https:")).hostname;
    await proveServer(server.file("tls.crt"), server.file("tls.key"), zoneCa.text("ca.crt"), [host]);
  });

  it("Prometheus → MADS, Universal: TLS enabled, Prometheus' ca_file trusts it", async () => {
    const r = await runRecipe("mads");
    const env = envFile(join(r.dir, "mads-tls", "kuma.env"));
    expect(env.KUMA_MONITORING_ASSIGNMENT_SERVER_TLS_ENABLED).toBe("true");
    await proveServer(env.KUMA_MONITORING_ASSIGNMENT_SERVER_TLS_CERT_FILE!, env.KUMA_MONITORING_ASSIGNMENT_SERVER_TLS_KEY_FILE!, readFileSync(join(r.dir, "prometheus-kuma-ca.crt"), "utf8"), ["cp.mesh.example.com"]);
  });

  it("Prometheus → MADS, Kubernetes: general Secret plus the env var", async () => {
    const r = await runRecipe("mads-kubernetes");
    const secret = r.secret("kuma-system", "general-tls-certs");
    const sets = r.helmSets();
    expect(sets["controlPlane.envVars.KUMA_MONITORING_ASSIGNMENT_SERVER_TLS_ENABLED"]).toBe("true");
    const ca = decodeCaBundle(sets["controlPlane.tls.general.caBundle"]);
    await proveServer(secret.file("tls.crt"), secret.file("tls.key"), ca, ["kuma-control-plane.kuma-system.svc"]);
  });

  it("admission webhook: caBundle is one line of base64 of the PEM, and the apiserver's view (trust caBundle, dial <svc>.<ns>.svc) works", async () => {
    const r = await runRecipe("webhook");
    expect(r.stdout).toMatch(/^subject=/m);
    const secret = r.secret("kuma-system", "general-tls-certs");
    const ca = decodeCaBundle(r.helmSets()["controlPlane.tls.general.caBundle"]);
    expect(ca).toBe(secret.text("ca.crt"));
    await proveServer(secret.file("tls.crt"), secret.file("tls.key"), ca, ["kuma-control-plane.kuma-system.svc"]);
    expect(readdirSync(join(r.dir, "webhook-tls")).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
  });
});
