/**
 * The bundle formats as a user consumes them: `?format=tar` extracted by the
 * system tar (as `curl … | tar xz -C /etc/kuma/tls` would), and
 * `?format=kubernetes-secret` decoded from its YAML — then checked with
 * OpenSSL and a real TLS handshake.
 */
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiResponse, makeTempDir, opensslOk, opensslVerify, post, splitPem, startTlsServer, tlsHandshake, writeBundle } from "../helpers/interop.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";

let worker: RunningWorker;
const temp = makeTempDir();

beforeAll(async () => {
  worker = await startRunningWorker();
});

afterAll(async () => {
  await worker?.stop();
  temp.cleanup();
});

/** Extract a .tar.gz with the system tar into a fresh directory. */
function extractTar(body: Buffer, label: string): string {
  const dir = mkdtempSync(join(temp.dir, `${label}-`));
  const archive = join(dir, "..", `${label}-${Date.now()}.tar.gz`);
  writeFileSync(archive, body);
  execFileSync("tar", ["-xzf", archive, "-C", dir]);
  return dir;
}

describe.each([
  ["ecdsa-p256", "cp.tar-p256.mesh.example.com"],
  ["rsa-2048", "cp.tar-rsa.mesh.example.com"],
  ["ed25519", "cp.tar-ed25519.mesh.example.com"],
] as const)("?format=tar with %s", (key, name) => {
  let res: ApiResponse;
  let dir: string;

  beforeAll(async () => {
    res = await post(worker, "/v1/certificates?format=tar", { hostnames: [name, "10.9.8.7"], key });
    expect(res.status, res.body.toString("utf8")).toBe(201);
    dir = extractTar(res.body, `tar-${key}`);
  });

  it("accepts a gzip body holding exactly tls.crt, tls.key and ca.crt", () => {
    expect(res.contentType).toMatch(/^application\/gzip/);
    expect(res.body.subarray(0, 2).toString("hex")).toBe("1f8b");
    expect(readdirSync(dir).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
  });

  it("accepts tls.key with mode 0600 in the archive and on disk", () => {
    const archive = join(temp.dir, `list-${key}.tar.gz`);
    writeFileSync(archive, res.body);
    const listing = execFileSync("tar", ["-tvzf", archive], { encoding: "utf8" });
    expect(listing).toMatch(/^-rw------- .* tls\.key$/m);
    expect(listing).toMatch(/^-rw-r--r-- .* tls\.crt$/m);
    expect(statSync(join(dir, "tls.key")).mode & 0o777).toBe(0o600);
  });

  it("accepts the extracted files with openssl verify -x509_strict -verify_hostname / -verify_ip", () => {
    const chain = readFileSync(join(dir, "tls.crt"), "utf8");
    const f = writeBundle(temp.dir, `tar-verify-${key}`, { chain, ca: readFileSync(join(dir, "ca.crt"), "utf8") });
    expect(opensslVerify({ ca: join(dir, "ca.crt"), untrusted: f.intermediates, cert: f.leaf, hostname: name }).ok).toBe(true);
    expect(opensslVerify({ ca: join(dir, "ca.crt"), untrusted: f.intermediates, cert: f.leaf, ip: "10.9.8.7" }).ok).toBe(true);
    expect(opensslVerify({ ca: join(dir, "ca.crt"), untrusted: f.intermediates, cert: f.leaf, hostname: "cp.other.mesh.example.com" }).ok).toBe(false);
  });

  it("accepts tls.key as the key of tls.crt", () => {
    const fromKey = opensslOk(["pkey", "-in", join(dir, "tls.key"), "-pubout"]);
    const fromCert = opensslOk(["x509", "-in", join(dir, "tls.crt"), "-noout", "-pubkey"]);
    expect(fromKey).toContain("BEGIN PUBLIC KEY");
    expect(fromKey).toBe(fromCert);
  });

  it("accepts a TLS handshake served from the extracted tls.crt/tls.key and rejects a wrong servername", async () => {
    const server = await startTlsServer({ cert: readFileSync(join(dir, "tls.crt"), "utf8"), key: readFileSync(join(dir, "tls.key"), "utf8") });
    try {
      const ca = readFileSync(join(dir, "ca.crt"), "utf8");
      const ok = await tlsHandshake({ port: server.port, ca, servername: name });
      expect(ok.error).toBeUndefined();
      expect(ok.authorized).toBe(true);
      const wrong = await tlsHandshake({ port: server.port, ca, servername: "cp.other.mesh.example.com" });
      expect(wrong.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    } finally {
      await server.close();
    }
  });
});

it("accepts Accept: application/gzip as a request for the tar format", async () => {
  const res = await fetch(`${worker.url}/v1/certificates`, {
    method: "POST",
    headers: { authorization: `Bearer ${worker.authority.tokens.admin}`, "content-type": "application/json", accept: "application/gzip" },
    body: JSON.stringify({ hostnames: ["cp.accept.mesh.example.com"] }),
  });
  expect(res.status).toBe(201);
  const dir = extractTar(Buffer.from(await res.arrayBuffer()), "tar-accept");
  expect(readdirSync(dir).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
});

/** Minimal YAML reading for the flat Secret the service renders: top-level scalars and one level of maps. */
function parseSecret(yaml: string): { top: Record<string, string>; metadata: Record<string, string>; data: Record<string, string> } {
  const top: Record<string, string> = {};
  const sections: Record<string, Record<string, string>> = { metadata: {}, data: {} };
  let section: string | undefined;
  for (const line of yaml.split("\n")) {
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    const topLevel = /^([A-Za-z][\w.-]*):\s*(.*)$/.exec(line);
    if (topLevel) {
      section = topLevel[2] === "" ? topLevel[1] : undefined;
      if (topLevel[2] !== "") top[topLevel[1]!] = topLevel[2]!;
      continue;
    }
    const nested = /^ {2}([\w./-]+):\s*(.*)$/.exec(line);
    if (nested && section && sections[section]) sections[section]![nested[1]!] = nested[2]!;
  }
  return { top, metadata: sections.metadata!, data: sections.data! };
}

describe("?format=kubernetes-secret", () => {
  it("accepts a kubernetes.io/tls Secret with Kuma's default name and namespace whose files verify with OpenSSL", async () => {
    const name = "cp.k8s.mesh.example.com";
    const res = await post(worker, "/v1/certificates?format=kubernetes-secret", { hostnames: [name], key: "ecdsa-p384" });
    expect(res.status, res.body.toString("utf8")).toBe(201);
    expect(res.contentType).toMatch(/yaml/);
    const secret = parseSecret(res.body.toString("utf8"));
    expect(secret.top).toMatchObject({ apiVersion: "v1", kind: "Secret", type: "kubernetes.io/tls" });
    expect(secret.metadata).toMatchObject({ name: "general-tls-certs", namespace: "kuma-system" });
    expect(Object.keys(secret.data).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
    for (const v of Object.values(secret.data)) expect(v).toMatch(/^[A-Za-z0-9+/]+=*$/);

    const decoded = Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
    const f = writeBundle(temp.dir, "k8s", { chain: decoded["tls.crt"]!, ca: decoded["ca.crt"]!, private_key: decoded["tls.key"]! });
    expect(splitPem(decoded["tls.crt"]!)).toHaveLength(2);
    expect(decoded["ca.crt"]!.trim()).toBe(worker.authority.rootPem.trim());
    expect(opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, hostname: name }).ok).toBe(true);
    expect(opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, hostname: "cp.other.mesh.example.com" }).ok).toBe(false);
    expect(opensslOk(["pkey", "-in", f.key, "-pubout"])).toBe(opensslOk(["x509", "-in", f.leaf, "-noout", "-pubkey"]));
    expect(new X509Certificate(decoded["tls.crt"]!).publicKey.asymmetricKeyDetails?.namedCurve).toBe("secp384r1");
  });

  it("accepts name and namespace from the query", async () => {
    const res = await post(worker, "/v1/certificates?format=kubernetes-secret&name=zone-a-cp-tls&namespace=kong-mesh-system", { hostnames: ["cp.zone-a.mesh.example.com"] });
    expect(res.status).toBe(201);
    expect(parseSecret(res.body.toString("utf8")).metadata).toMatchObject({ name: "zone-a-cp-tls", namespace: "kong-mesh-system" });
  });

  it("rejects a Secret name that is not a DNS-1123 subdomain", async () => {
    const res = await post(worker, "/v1/certificates?format=kubernetes-secret&name=Bad_Name", { hostnames: ["cp.zone-a.mesh.example.com"] });
    expect(res.status).toBe(400);
    expect(res.json<{ code: string }>().code).toBe("validation_failed");
  });
});
