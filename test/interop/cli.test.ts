/**
 * The `edgeca` CLI end to end against the real worker: the bin as a user
 * runs it (a child process through bin/edgeca.js), files checked with
 * OpenSSL and node:tls, the service's ledger checked over HTTP.
 */
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { makeTempDir, opensslVerify, sClient, startTlsServer, tlsHandshake } from "../helpers/interop.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";
import { cliEnv, edgeca, startProxy } from "./cli-harness.ts";

let worker: RunningWorker;
let env: NodeJS.ProcessEnv;
const temp = makeTempDir("edgeca-cli-");

beforeAll(async () => {
  worker = await startRunningWorker();
  env = cliEnv(worker.url, worker.authority.tokens.admin);
});

afterAll(async () => {
  await worker?.stop();
  temp.cleanup();
});

async function ledger(serial: string): Promise<{ key_source: string; hostnames: string[]; serial_number: string }> {
  const res = await fetch(`${worker.url}/v1/certificates/${serial}`, { headers: { authorization: `Bearer ${worker.authority.tokens.admin}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as never;
}

async function listByHostname(hostname: string): Promise<{ serial_number: string }[]> {
  const res = await fetch(`${worker.url}/v1/certificates?hostname=${hostname}`, { headers: { authorization: `Bearer ${worker.authority.tokens.admin}` } });
  return ((await res.json()) as { certificates: { serial_number: string }[] }).certificates;
}

describe("edgeca issue", () => {
  it("writes tls.crt, tls.key (0600) and ca.crt that a client trusting only ca.crt accepts by name", async () => {
    const dir = join(temp.dir, "issue");
    const r = await edgeca(["issue", "--hostname", "cp.cli.example.com", "--hostname", "10.0.0.5", "--ttl", "30d", "--out-dir", dir], { env });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^issued [0-9a-f]{32} for cp\.cli\.example\.com, 10\.0\.0\.5 \(server, ecdsa-p256, key made by the service\)/);
    expect(statSync(join(dir, "tls.key")).mode & 0o777).toBe(0o600);
    expect(opensslVerify({ ca: join(dir, "ca.crt"), untrusted: join(dir, "tls.crt"), cert: join(dir, "tls.crt"), hostname: "cp.cli.example.com" }).ok).toBe(true);
    const server = await startTlsServer({ cert: readFileSync(join(dir, "tls.crt"), "utf8"), key: readFileSync(join(dir, "tls.key"), "utf8") });
    try {
      const hs = await tlsHandshake({ port: server.port, ca: readFileSync(join(dir, "ca.crt"), "utf8"), servername: "cp.cli.example.com" });
      expect(hs).toMatchObject({ authorized: true, data: "hello\n" });
      const s = await sClient({ port: server.port, ca: join(dir, "ca.crt"), servername: "cp.cli.example.com" });
      expect(s.stdout).toMatch(/Verify return code: 0 \(ok\)/);
    } finally {
      await server.close();
    }
  });

  it("--local-key sends only a CSR: the ledger says key_source csr and no request carried the key", async () => {
    const proxy = await startProxy(worker.url);
    try {
      const dir = join(temp.dir, "local-key");
      const r = await edgeca(["issue", "--hostname", "local.cli.example.com", "--local-key", "--out-dir", dir, "--json"], { env: { ...env, EDGECA_URL: proxy.url } });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { serial_number: string; key_source: string; files: { key: string } };
      expect(out.key_source).toBe("local");
      expect((await ledger(out.serial_number)).key_source).toBe("csr");
      const key = readFileSync(out.files.key, "utf8");
      const keyBody = key.replace(/-----[^-]+-----|\s/g, "");
      expect(proxy.requests.map((q) => `${q.method} ${q.url}`)).toEqual(["POST /v1/certificates/sign"]);
      for (const q of proxy.requests) {
        expect(q.body).not.toContain("PRIVATE KEY");
        expect(q.body).not.toContain(keyBody.slice(20, 80));
      }
      // The key made here belongs to the certificate the service signed.
      const cert = new X509Certificate(readFileSync(join(dir, "tls.crt")));
      const { createPrivateKey } = await import("node:crypto");
      expect(cert.checkPrivateKey(createPrivateKey(key))).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it("--format kubernetes-secret | helm-values | env print manifests; env with --out-dir also writes kuma.env", async () => {
    const secret = await edgeca(["issue", "--purpose", "general", "--product", "kong-mesh", "--format", "kubernetes-secret"], { env });
    expect(secret.status, secret.stderr).toBe(0);
    expect(secret.stdout).toMatch(/name: general-tls-certs\n {2}namespace: kong-mesh-system\n/);
    expect(secret.stdout).toMatch(/type: kubernetes\.io\/tls/);
    const helm = await edgeca(["issue", "--purpose", "general", "--format", "helm-values"], { env });
    expect(helm.status, helm.stderr).toBe(0);
    const caBundle = /caBundle: (\S+)\n/.exec(helm.stdout)![1]!;
    expect(Buffer.from(caBundle, "base64").toString()).toContain("-----BEGIN CERTIFICATE-----");
    const dir = join(temp.dir, "env");
    const envOut = await edgeca(["issue", "--purpose", "kds-global", "--hostname", "global.cli.example.com", "--format", "env", "--out-dir", dir], { env });
    expect(envOut.status, envOut.stderr).toBe(0);
    expect(envOut.stdout).toContain(`KUMA_MULTIZONE_GLOBAL_KDS_TLS_CERT_FILE=${dir}/tls.crt`);
    expect(readFileSync(join(dir, "kuma.env"), "utf8")).toBe(envOut.stdout);
    expect(existsSync(join(dir, "tls.key"))).toBe(true);
  });

  it("renders a problem as one line with its code, and as JSON with --json; usage errors exit 2", async () => {
    const bad = await edgeca(["issue", "--hostname", "bad..name.example.com", "--out-dir", join(temp.dir, "bad")], { env });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toMatch(/^edgeca: .*\(invalid_hostname, HTTP 400, request \S+\)\n$/);
    // A URL names the host to send instead (issue 20): the service's message, one line.
    const url = await edgeca(["issue", "--hostname", "grpcs://cp.example.com:5685", "--out-dir", join(temp.dir, "bad")], { env });
    expect(url.status).toBe(1);
    expect(url.stderr).toContain('"grpcs://cp.example.com:5685" is a URL; send the host name alone: "cp.example.com"');
    const json = await edgeca(["issue", "--hostname", "bad..name.example.com", "--json"], { env });
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: "invalid_hostname", status: 400, exit_code: 1 } });
    const unauth = await edgeca(["issue", "--hostname", "a.example.com", "--json", "--token", "nope"], { env });
    expect(JSON.parse(unauth.stdout)).toMatchObject({ error: { code: "unauthorized", status: 401 } });
    expect((await edgeca(["issue", "--hostnme", "x"], { env })).status).toBe(2);
    expect((await edgeca(["frobnicate"], { env })).status).toBe(2);
  });
});

describe("edgeca renew", () => {
  it("does nothing for a fresh certificate (exit 3) and renews one close to expiry (exit 0)", async () => {
    const fresh = join(temp.dir, "renew-fresh");
    expect((await edgeca(["issue", "--hostname", "fresh.cli.example.com", "--out-dir", fresh], { env })).status).toBe(0);
    const before = readFileSync(join(fresh, "tls.crt"), "utf8");
    const notDue = await edgeca(["renew", "--cert", join(fresh, "tls.crt"), "--within", "30d"], { env });
    expect(notDue.status, notDue.stderr).toBe(3);
    expect(notDue.stdout).toMatch(/^not due: /);
    // Days where days are meant (a 90-day certificate, 5 minutes backdated): not "129599m from now".
    expect(notDue.stdout).toMatch(/ is valid until \S+ \(expires in (89|90) days\), outside the 30d window, and the service's renewal window opens at \S+\n$/);
    expect(readFileSync(join(fresh, "tls.crt"), "utf8")).toBe(before);

    const soon = join(temp.dir, "renew-soon");
    expect((await edgeca(["issue", "--hostname", "soon.cli.example.com", "--hostname", "10.1.2.3", "--ttl", "2d", "--out-dir", soon], { env })).status).toBe(0);
    const old = new X509Certificate(readFileSync(join(soon, "tls.crt")));
    const renewed = await edgeca(["renew", "--cert", join(soon, "tls.crt"), "--within", "30d", "--json"], { env });
    expect(renewed.status, renewed.stderr).toBe(0);
    const out = JSON.parse(renewed.stdout) as { renewed: boolean; serial_number: string; hostnames: string[]; previous_serial_number: string };
    expect(out).toMatchObject({ renewed: true, hostnames: ["soon.cli.example.com", "10.1.2.3"] });
    const neu = new X509Certificate(readFileSync(join(soon, "tls.crt")));
    expect(neu.serialNumber.toLowerCase()).not.toBe(old.serialNumber.toLowerCase());
    expect(neu.subjectAltName).toBe(old.subjectAltName);
    // Same lifetime (2 days), a new key made by the service.
    expect(Math.round((Date.parse(neu.validTo) - Date.parse(neu.validFrom)) / 3600_000)).toBe(48);
    expect(neu.publicKey.export({ format: "der", type: "spki" }).equals(old.publicKey.export({ format: "der", type: "spki" }))).toBe(false);
    expect(neu.checkPrivateKey((await import("node:crypto")).createPrivateKey(readFileSync(join(soon, "tls.key"))))).toBe(true);
  });

  it("--keep-key re-uses the key through a CSR", async () => {
    const dir = join(temp.dir, "renew-keep");
    expect((await edgeca(["issue", "--hostname", "keep.cli.example.com", "--ttl", "1d", "--key", "rsa-2048", "--out-dir", dir], { env })).status).toBe(0);
    const key = readFileSync(join(dir, "tls.key"), "utf8");
    const r = await edgeca(["renew", "--cert", join(dir, "tls.crt"), "--keep-key", "--json"], { env });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { serial_number: string; key_source: string };
    expect(out.key_source).toBe("kept");
    expect(readFileSync(join(dir, "tls.key"), "utf8")).toBe(key);
    expect((await ledger(out.serial_number)).key_source).toBe("csr");
    expect(new X509Certificate(readFileSync(join(dir, "tls.crt"))).checkPrivateKey((await import("node:crypto")).createPrivateKey(key))).toBe(true);
  });
});

describe("edgeca ca", () => {
  it("--pin with a wrong fingerprint fails loudly (exit 5) and writes nothing; the right one writes ca.crt", async () => {
    const out = join(temp.dir, "pinned-ca.crt");
    const wrong = await edgeca(["ca", "--out", out, "--pin", `sha256:${"ab".repeat(32)}`], { env });
    expect(wrong.status).toBe(5);
    expect(wrong.stderr).toMatch(/REFUSED: no certificate in the trust bundle .* has the pinned fingerprint sha256:abab/);
    expect(existsSync(out)).toBe(false);

    const root = new X509Certificate(worker.authority.rootPem);
    const right = await edgeca(["ca", "--out", out, "--pin", `sha256:${root.fingerprint256}`], { env });
    expect(right.status, right.stderr).toBe(0);
    expect(new X509Certificate(readFileSync(out)).fingerprint256).toBe(root.fingerprint256);
    const served = await (await fetch(`${worker.url}/v1/ca`)).text();
    expect(readFileSync(out, "utf8")).toBe(served);

    const json = await edgeca(["ca", "--json", "--pin", root.fingerprint256.replace(/:/g, "").toLowerCase()], { env: { ...env, EDGECA_TOKEN: "" } });
    expect(JSON.parse(json.stdout)).toMatchObject({ certificates: [{ pinned: true, ca: true }] });
  });
});

describe("edgeca verify", () => {
  it("exits 0 only when the chain is valid for the name", async () => {
    const dir = join(temp.dir, "verify");
    expect((await edgeca(["issue", "--hostname", "verify.cli.example.com", "--out-dir", dir], { env })).status).toBe(0);
    const ok = await edgeca(["verify", "--chain", join(dir, "tls.crt"), "--ca", join(dir, "ca.crt"), "--hostname", "verify.cli.example.com"], { env });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^VALID: /);
    const wrongName = await edgeca(["verify", "--chain", join(dir, "tls.crt"), "--hostname", "other.example.com"], { env });
    expect(wrongName.status).toBe(4);
    expect(wrongName.stdout).toMatch(/^NOT VALID: [\s\S]*error \S+/);
    const later = await edgeca(["verify", "--chain", join(dir, "tls.crt"), "--at", "2099-01-01T00:00:00Z", "--json"], { env });
    expect(later.status).toBe(4);
    expect(JSON.parse(later.stdout)).toMatchObject({ valid: false, exit_code: 4 });
    const client = await edgeca(["verify", "--chain", join(dir, "tls.crt"), "--usage", "client"], { env });
    expect(client.status).toBe(4);
    const strictOwn = await edgeca(["verify", "--chain", join(dir, "tls.crt"), "--hostname", "verify.cli.example.com", "--strict"], { env });
    expect(strictOwn.status, strictOwn.stdout).toBe(0);
  });

  it("--strict turns an RFC 5280 §4 profile finding Go accepts into an error (exit 4)", async () => {
    // From the verify corpus: a root whose basicConstraints is not critical (RFC 5280 §4.2.1.9).
    const corpus = fileURLToPath(new URL("../fixtures/verify-corpus/certs/", import.meta.url));
    const args = ["verify", "--chain", join(corpus, "pfLeafUnderRootBcNonCrit.pem"), "--ca", join(corpus, "pfRootBcNonCrit.pem"), "--at", "2025-06-01T00:00:00Z"];
    const go = await edgeca(args, { env });
    expect(go.status, go.stdout).toBe(0);
    expect(go.stdout).toMatch(/warning basic_constraints_not_critical \[certificate 1\]: .*RFC 5280 §4\.2\.1\.9/);
    const strict = await edgeca([...args, "--strict"], { env });
    expect(strict.status).toBe(4);
    expect(strict.stdout).toMatch(/^NOT VALID: .*\(strict profile\)[\s\S]*error basic_constraints_not_critical \[certificate 1\]/);
  });
});

describe("retries", () => {
  it("retries 503s with backoff (honouring Retry-After) and one Idempotency-Key: one certificate is minted", async () => {
    const proxy = await startProxy(worker.url, { failures: 2, failPath: "/v1/certificates", retryAfter: "1" });
    try {
      const started = Date.now();
      const r = await edgeca(["issue", "--hostname", "retry.cli.example.com", "--json"], { env: { ...env, EDGECA_URL: proxy.url } });
      expect(r.status, r.stderr).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(r.stderr).toMatch(/overloaded, HTTP 503.*retry 1\/4/);
      const posts = proxy.requests.filter((q) => q.method === "POST");
      expect(posts.map((q) => q.status)).toEqual([503, 503, 201]);
      const keys = new Set(posts.map((q) => q.headers["idempotency-key"]));
      expect(keys.size).toBe(1);
      expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(await listByHostname("retry.cli.example.com")).toHaveLength(1);
      expect(JSON.parse(r.stdout).hostnames).toEqual(["retry.cli.example.com"]);
    } finally {
      await proxy.close();
    }
  });

  it("gives up with exit 1 after --retries", async () => {
    const proxy = await startProxy(worker.url, { failures: 10 });
    try {
      const r = await edgeca(["issue", "--hostname", "giveup.cli.example.com", "--json", "--retries", "1"], { env: { ...env, EDGECA_URL: proxy.url } });
      expect(r.status).toBe(1);
      expect(proxy.requests).toHaveLength(2);
      expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: "overloaded", status: 503 } });
    } finally {
      await proxy.close();
    }
  });
});

describe("ca init, token create, --version, --help", () => {
  it("creates a CA and a token as the npm scripts do", async () => {
    const cwd = makeTempDir("edgeca-cli-init-");
    try {
      const ca = await edgeca(["ca", "init", "--no-dev-vars", "--out-dir", "pki", "--json"], { env, cwd: cwd.dir });
      expect(ca.status, ca.stderr).toBe(0);
      expect(JSON.parse(ca.stdout).issuing_ca.sha256_fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(join(cwd.dir, "pki", "ca-key.pem")).mode & 0o777).toBe(0o600);
      const token = await edgeca(["token", "create", "--name", "zone-a", "--scopes", "issue", "--allow", "*.zone-a.example.com", "--json"], { env, cwd: cwd.dir });
      expect(token.status, token.stderr).toBe(0);
      expect(JSON.parse(token.stdout)).toMatchObject({ token: expect.stringMatching(/^edgeca_/), entry: { name: "zone-a", scopes: ["issue"] } });
      expect((await edgeca(["token", "create", "--name", "x"], { env })).status).toBe(2);
    } finally {
      cwd.cleanup();
    }
  });

  it("prints the version and per-command help", async () => {
    const v = await edgeca(["--version"], { env });
    expect(v.stdout).toBe(`edgeca ${JSON.parse(readFileSync("package.json", "utf8")).version}\n`);
    for (const cmd of [["issue"], ["renew"], ["ca"], ["verify"], ["ca", "init"], ["token", "create"], ["acme", "eab"]]) {
      const h = await edgeca([...cmd, "--help"], { env });
      expect(h.status).toBe(0);
      expect(h.stdout).toMatch(/^Usage: /);
    }
  });
});

describe("edgeca acme eab", () => {
  const zoneEnv = () => cliEnv(worker.url, worker.authority.tokens.zoneA);

  it("--json prints the service's answer: a kid, an unpadded base64url HMAC key of 32+ bytes, the directory, expires_at", async () => {
    const r = await edgeca(["acme", "eab", "--json"], { env: zoneEnv() });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const eab = JSON.parse(r.stdout) as { kid: string; hmac_key: string; directory: string; expires_at: string };
    expect(Object.keys(eab).sort()).toEqual(["directory", "expires_at", "hmac_key", "kid"]);
    // cert-manager and go-jose decode the key as unpadded base64url and refuse HS256 keys under 256 bits.
    expect(eab.hmac_key).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(eab.hmac_key, "base64url").length).toBeGreaterThanOrEqual(32);
    expect(eab.directory).toBe(`${worker.url}/acme/directory`);
    expect(Date.parse(eab.expires_at)).toBeGreaterThan(Date.now());
    const dir = await fetch(eab.directory);
    expect(dir.status).toBe(200);
    expect(await dir.json()).toMatchObject({ newAccount: `${worker.url}/acme/new-account`, meta: { externalAccountRequired: true } });
    // One credential per call.
    const again = JSON.parse((await edgeca(["acme", "eab", "--json"], { env: zoneEnv() })).stdout) as { kid: string; hmac_key: string };
    expect(again.kid).not.toBe(eab.kid);
    expect(again.hmac_key).not.toBe(eab.hmac_key);
  });

  it("prints the kid, the key and a cert-manager Secret + ClusterIssuer (EAB, caBundle from --ca-bundle, no solvers), certbot and lego commands for --hostname", async () => {
    const caBundle = join(temp.dir, "acme-ca-bundle.pem");
    writeFileSync(caBundle, worker.authority.rootPem);
    const r = await edgeca(["acme", "eab", "--hostname", "cp.example.com", "--ca-bundle", caBundle], { env: zoneEnv() });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const kid = /^ {2}kid: +(\S+)$/m.exec(r.stdout)?.[1];
    const key = /^ {2}hmac_key: +(\S+)$/m.exec(r.stdout)?.[1];
    expect(kid).toBeDefined();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    const yamlText = r.stdout.slice(r.stdout.indexOf("apiVersion: v1"), r.stdout.indexOf("# certbot"));
    const docs = YAML.parseAllDocuments(yamlText).map((d) => d.toJS() as Record<string, any>);
    expect(docs.map((d) => d.kind)).toEqual(["Secret", "ClusterIssuer"]);
    const [secret, issuer] = docs as [Record<string, any>, Record<string, any>];
    expect(secret.metadata).toEqual({ name: "edgeca-eab", namespace: "cert-manager" });
    expect(secret.stringData["hmac-key"]).toBe(key);
    expect(issuer.spec.acme.server).toBe(`${worker.url}/acme/directory`);
    expect(issuer.spec.acme.externalAccountBinding).toEqual({ keyID: kid, keySecretRef: { name: "edgeca-eab", key: "hmac-key" } });
    expect(Buffer.from(issuer.spec.acme.caBundle, "base64").toString("utf8")).toBe(worker.authority.rootPem);
    expect(issuer.spec.acme.solvers).toBeUndefined();
    expect(r.stdout).toContain(`--eab-kid=${kid} --eab-hmac-key=${key}`);
    expect(r.stdout).toContain(`--eab --kid=${kid} --hmac=${key}`);
    expect(r.stdout).toContain("-d cp.example.com");
    expect(r.stdout).toContain("--domains cp.example.com");
  });

  it("a token without scope sign is refused with the service's problem code (exit 1); --ca-bundle without a certificate is a usage error", async () => {
    const r = await edgeca(["acme", "eab", "--json"], { env: cliEnv(worker.url, worker.authority.tokens.reader) });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: "insufficient_scope", status: 403 } });
    const notPem = join(temp.dir, "not-a-bundle.pem");
    writeFileSync(notPem, "hello\n");
    expect((await edgeca(["acme", "eab", "--ca-bundle", notPem], { env: zoneEnv() })).status).toBe(2);
  });
});
