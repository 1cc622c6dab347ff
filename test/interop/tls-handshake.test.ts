/**
 * Real TLS handshakes over loopback with bundles from the running service:
 * a node:tls server presenting tls.crt (leaf + intermediates) and tls.key, a
 * client that trusts only ca.crt, for every key algorithm and for TLS 1.2 and
 * 1.3; name and trust failures; mutual TLS with a client certificate; and
 * `openssl s_client -verify_return_error` as a second, independent client.
 *
 * Ed25519: OpenSSL (and so Node) supports Ed25519 server certificates in
 * TLS 1.3 (RFC 8446 §4.2.3) and TLS 1.2 (RFC 8422 §5.1.3), so it is tested
 * like the others. Browsers mostly do not, which is no concern for Kuma's
 * control plane and data plane clients.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Issued, issue, KEY_ALGORITHMS, type KeyAlgorithmName, makeTempDir, opensslOk, sClient, splitPem, startTlsServer, type TlsServer, tlsHandshake, writeBundle } from "../helpers/interop.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";
import { createTestAuthority, type TestAuthority } from "../helpers/test-authority.ts";

/** openssl req + openssl x509 -req: a client certificate signed by `authority`'s intermediate. */
function opensslClientCert(authority: TestAuthority): { chain: string; private_key: string } {
  const dir = mkdtempSync(join(temp.dir, "other-ca-"));
  const p = (f: string) => join(dir, f);
  writeFileSync(p("ca.key"), authority.bindings.CA_KEY, { mode: 0o600 });
  writeFileSync(p("ca.pem"), authority.intermediatePem);
  writeFileSync(p("ext.cnf"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n");
  opensslOk(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=intruder.mesh.example.com", "-keyout", p("client.key"), "-out", p("client.csr")]);
  opensslOk(["x509", "-req", "-in", p("client.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-set_serial", "0x1234", "-days", "1", "-extfile", p("ext.cnf"), "-out", p("client.pem")]);
  return { chain: readFileSync(p("client.pem"), "utf8") + authority.intermediatePem, private_key: readFileSync(p("client.key"), "utf8") };
}

interface Case {
  name: string;
  issued: Issued;
  server: TlsServer;
  /** the same certificate served without its intermediates */
  leafOnlyServer: TlsServer;
}

let worker: RunningWorker;
let otherRoot: string;
/** a clientAuth certificate (+ chain) and key issued by another CA's intermediate, made with the openssl CLI */
let other: { client: { chain: string; private_key: string } };
const temp = makeTempDir();
const servers: TlsServer[] = [];
const cases = new Map<KeyAlgorithmName, Case>();

const get = (alg: KeyAlgorithmName): Case => {
  const c = cases.get(alg);
  if (!c) throw new Error(`no server for ${alg}`);
  return c;
};

beforeAll(async () => {
  const [w, otherAuthority] = await Promise.all([startRunningWorker(), createTestAuthority()]);
  worker = w;
  otherRoot = otherAuthority.rootPem;
  other = { client: opensslClientCert(otherAuthority) };
  await Promise.all(
    KEY_ALGORITHMS.map(async (alg) => {
      const name = `cp-${alg}.mesh.example.com`;
      const issued = await issue(worker, { hostnames: [name, "127.0.0.1"], key: alg });
      const server = await startTlsServer({ cert: issued.chain, key: issued.private_key! });
      const leafOnlyServer = await startTlsServer({ cert: issued.certificate, key: issued.private_key! });
      servers.push(server, leafOnlyServer);
      cases.set(alg, { name, issued, server, leafOnlyServer });
    }),
  );
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await worker?.stop();
  temp.cleanup();
});

describe.each(KEY_ALGORITHMS)("%s over node:tls", (alg) => {
  it.each(["TLSv1.3", "TLSv1.2"] as const)("accepts a %s handshake with servername = the certificate's name, trusting only ca.crt", async (version) => {
    const { server, issued, name } = get(alg);
    const r = await tlsHandshake({ port: server.port, ca: issued.ca, servername: name, maxVersion: version });
    expect(r.error).toBeUndefined();
    expect(r.authorized).toBe(true);
    expect(r.protocol).toBe(version);
    expect(r.data).toBe("hello\n");
    expect(r.peerSubjectAltName).toContain(`DNS:${name}`);
  });

  it("accepts a connection by IP address checked against the IP SAN (no SNI)", async () => {
    const { server, issued } = get(alg);
    const r = await tlsHandshake({ port: server.port, ca: issued.ca });
    expect(r.error).toBeUndefined();
    expect(r.authorized).toBe(true);
  });

  it("rejects a wrong servername", async () => {
    const { server, issued } = get(alg);
    const r = await tlsHandshake({ port: server.port, ca: issued.ca, servername: "cp.other.example.com" });
    expect(r.authorized).toBe(false);
    expect(r.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
  });

  it("rejects the server when the client trusts another CA", async () => {
    const { server, name } = get(alg);
    const r = await tlsHandshake({ port: server.port, ca: otherRoot, servername: name });
    expect(r.authorized).toBe(false);
    expect(r.code).toMatch(/^(UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/);
  });

  it("rejects a server that sends the leaf without the intermediates of tls.crt", async () => {
    const { leafOnlyServer, issued, name } = get(alg);
    expect(splitPem(issued.chain).length).toBeGreaterThan(1);
    const r = await tlsHandshake({ port: leafOnlyServer.port, ca: issued.ca, servername: name });
    expect(r.authorized).toBe(false);
    expect(r.code).toMatch(/^(UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/);
  });
});

describe("openssl s_client against a node:tls server", () => {
  it.each(["ecdsa-p256", "rsa-2048", "ed25519"] as const)("accepts the %s server with -verify_return_error -verify_hostname and ca.crt", async (alg) => {
    const { server, issued, name } = get(alg);
    const files = writeBundle(temp.dir, `s_client-${alg}`, issued);
    const r = await sClient({ port: server.port, ca: files.ca, servername: name });
    // The exit status is not asserted on success: s_client sometimes exits 1 when the server closes
    // first (it writes "hello" and ends); verification results are printed before that.
    expect(r.stdout).toContain("Verification: OK");
    expect(r.stdout).toContain(`Verified peername: ${name}`);
    expect(r.stdout).toMatch(/Verify return code: 0 \(ok\)/);
  });

  it("rejects the server for another hostname", async () => {
    const { server, issued } = get("ecdsa-p256");
    const files = writeBundle(temp.dir, "s_client-mismatch", issued);
    const r = await sClient({ port: server.port, ca: files.ca, servername: "cp.other.example.com" });
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain("Verification: OK");
    expect(r.stderr).toMatch(/verify error:num=62:hostname mismatch/);
  });

  it("rejects the server when ca.crt is another CA's root", async () => {
    const { server, name } = get("ecdsa-p256");
    const files = writeBundle(temp.dir, "s_client-other-ca", { chain: "", ca: otherRoot });
    const r = await sClient({ port: server.port, ca: files.ca, servername: name });
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain("Verification: OK");
    expect(r.stderr).toMatch(/verify error:num=20:unable to get local issuer certificate/);
  });
});

describe("mutual TLS with a client certificate", () => {
  let mtls: TlsServer;
  let client: Issued;
  let serverOnly: Issued;

  beforeAll(async () => {
    const { issued, name } = get("ecdsa-p256");
    [client, serverOnly] = await Promise.all([
      issue(worker, { hostnames: ["dp-1.mesh.example.com"], usage: ["client"], key: "ecdsa-p256" }),
      issue(worker, { hostnames: ["dp-2.mesh.example.com"], usage: ["server"], key: "ecdsa-p256" }),
    ]);
    mtls = await startTlsServer({ cert: issued.chain, key: issued.private_key!, clientCa: issued.ca });
    servers.push(mtls);
    expect(name).toBe("cp-ecdsa-p256.mesh.example.com");
  });

  it("accepts a clientAuth certificate presented with its chain", async () => {
    const { issued, name } = get("ecdsa-p256");
    const r = await tlsHandshake({ port: mtls.port, ca: issued.ca, servername: name, cert: client.chain, key: client.private_key! });
    expect(r.error).toBeUndefined();
    expect(r.authorized).toBe(true);
    expect(r.data).toBe("hello dp-1.mesh.example.com\n");
  });

  it("rejects a serverAuth-only certificate used as a client certificate", async () => {
    const { issued, name } = get("ecdsa-p256");
    const r = await tlsHandshake({ port: mtls.port, ca: issued.ca, servername: name, cert: serverOnly.chain, key: serverOnly.private_key! });
    expect(r.data).toBe("denied INVALID_PURPOSE\n");
  });

  it("rejects a client certificate from another CA", async () => {
    const { issued, name } = get("ecdsa-p256");
    const r = await tlsHandshake({ port: mtls.port, ca: issued.ca, servername: name, cert: other.client.chain, key: other.client.private_key! });
    expect(r.data ?? "").toMatch(/^denied (UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\n$/);
  });

  it("rejects a client without a certificate", async () => {
    const { issued, name } = get("ecdsa-p256");
    const r = await tlsHandshake({ port: mtls.port, ca: issued.ca, servername: name });
    expect(r.data ?? "").toMatch(/^denied /);
  });
});
