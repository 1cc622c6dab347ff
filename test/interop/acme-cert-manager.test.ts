/**
 * docs/acme.md's Kubernetes section, driven the way cert-manager drives it
 * (cert-manager cannot run here: no cluster). The EAB Secret and the
 * ClusterIssuer are the ones `edgeca acme eab` prints, the Certificate is the
 * doc's; the ACME client follows cert-manager's behaviour (/work notes on
 * its fork of golang.org/x/crypto/acme): an RSA-2048 account key (RS256),
 * the HMAC key decoded as unpadded base64url, a re-registration with the
 * same key after a spec change (cert-manager#2882), notAfter from the
 * Certificate's duration (enableDurationFeature), authorizations fetched
 * and skipped because they are valid, finalize once the order is ready, a
 * retried finalize (cert-manager#3777), download. The result is what Kuma's
 * chart mounts from general-tls-certs: tls.crt verified by OpenSSL against
 * GET /v1/ca for both in-cluster names, tls.key matching it.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { createToken } from "../../src/store/secret-tokens.ts";
import { AcmeClient } from "../helpers/acme-client.ts";
import { makeTempDir, opensslOk, opensslVerify, splitPem } from "../helpers/interop.ts";
import { createTestAuthority } from "../helpers/test-authority.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";
import { cliEnv, edgeca, REPO } from "./cli-harness.ts";

type Obj = Record<string, any>;

let worker: RunningWorker;
let clusterToken: string;
const temp = makeTempDir("edgeca-acme-cert-manager-");
const doc = readFileSync(join(REPO, "docs", "acme.md"), "utf8");
const docObjects: Obj[] = [...doc.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].flatMap((m) => YAML.parseAllDocuments(m[1]!).map((d) => d.toJS() as Obj));
const certificate = docObjects.find((o) => o.kind === "Certificate")!;
const DAY = 86_400_000;

beforeAll(async () => {
  const authority = await createTestAuthority();
  // The cluster's own token: scope sign, the two names the Certificate asks for, max_ttl 90 days (the doc's duration).
  const cluster = await createToken("kuma-cluster", ["sign"], ["kuma-control-plane.kuma-system", "kuma-control-plane.kuma-system.svc"], "90d");
  clusterToken = cluster.token;
  worker = await startRunningWorker({ authority, bindings: { API_TOKENS: JSON.stringify([...JSON.parse(authority.bindings.API_TOKENS), cluster.entry]) } });
});

afterAll(async () => {
  await worker?.stop();
  temp.cleanup();
});

/** The Secret and ClusterIssuer `edgeca acme eab` prints for the cluster's token. */
async function printedIssuer(): Promise<{ secret: Obj; issuer: Obj }> {
  const r = await edgeca(["acme", "eab", "--hostname", "kuma-control-plane.kuma-system"], { env: cliEnv(worker.url, clusterToken) });
  expect(r.status, r.stderr).toBe(0);
  const yamlText = r.stdout.slice(r.stdout.indexOf("apiVersion: v1"), r.stdout.indexOf("# certbot"));
  const [secret, issuer] = YAML.parseAllDocuments(yamlText).map((d) => d.toJS() as Obj) as [Obj, Obj];
  return { secret, issuer };
}

/** cert-manager decodes keySecretRef's value with base64.RawURLEncoding: unpadded base64url or nothing. */
function rawUrlDecode(text: string): Buffer {
  expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(text.length % 4).not.toBe(1);
  return Buffer.from(text, "base64url");
}

/** A CSR the way cert-manager builds it from the Certificate: its privateKey algorithm, no subject, dnsNames as SANs. */
function csrFor(dnsNames: string[], dir: string): { der: Buffer; keyFile: string } {
  expect(certificate.spec.privateKey).toMatchObject({ algorithm: "ECDSA", size: 256 });
  const keyFile = join(dir, "tls.key");
  const csrFile = join(dir, "req.csr");
  opensslOk(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile, "-subj", "/", "-addext", `subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(",")}`, "-outform", "DER", "-out", csrFile]);
  return { der: readFileSync(csrFile), keyFile };
}

function hoursOf(text: string): number {
  return Number(/^(\d+)h$/.exec(text)![1]);
}

describe("cert-manager's flow with docs/acme.md's ClusterIssuer and Certificate", () => {
  it("fills general-tls-certs: an RSA-2048 account bound by the printed EAB, notAfter = duration, valid authorizations skipped, a retried finalize mints nothing new", async () => {
    const { secret, issuer } = await printedIssuer();
    const acme = issuer.spec.acme;
    expect(acme.solvers).toBeUndefined();
    const hmac = rawUrlDecode(secret.stringData[acme.externalAccountBinding.keySecretRef.key]);
    expect(hmac.length).toBeGreaterThanOrEqual(32);
    const eab = { kid: acme.externalAccountBinding.keyID as string, hmac_key: hmac.toString("base64url") };

    const accountKey = { ...(await generateKeyPair("RS256", { modulusLength: 2048, extractable: true })), alg: "RS256" };
    const client = await AcmeClient.connect(acme.server, accountKey);
    expect(client.directory.meta?.externalAccountRequired).toBe(true);
    const created = await client.register(eab);
    expect(created.status, created.body).toBe(201);
    const accountUrl = client.kid;
    // cert-manager re-registers after a spec change with the same key and the (now spent) EAB: the same account, 200.
    const again = await client.register(eab);
    expect(again.status, again.body).toBe(200);
    expect(again.location).toBe(accountUrl);

    const dnsNames: string[] = certificate.spec.dnsNames;
    const notAfter = new Date(Math.floor(Date.now() / 1000) * 1000 + hoursOf(certificate.spec.duration) * 3600_000);
    const placed = await client.post(client.directory.newOrder, { identifiers: dnsNames.map((value) => ({ type: "dns", value })), notAfter: notAfter.toISOString() });
    expect(placed.status, placed.body).toBe(201);
    const order = placed.json as Obj;
    expect(order.status).toBe("ready");
    expect(Date.parse(order.notAfter)).toBe(notAfter.getTime());
    // cert-manager looks at every authorization and skips the valid ones: nothing to solve.
    for (const authz of order.authorizations as string[]) {
      const z = await client.post(authz, "");
      expect(z.status).toBe(200);
      expect(z.json).toMatchObject({ status: "valid", challenges: [] });
    }
    const { der, keyFile } = csrFor(dnsNames, temp.dir);
    const finalized = await client.post(order.finalize, { csr: der.toString("base64url") });
    expect(finalized.status, finalized.body).toBe(200);
    expect(finalized.json).toMatchObject({ status: "valid", certificate: expect.any(String) });
    const certUrl = (finalized.json as Obj).certificate as string;
    // A retried finalize (cert-manager#3777) never yields a second certificate: the current order, or orderNotReady.
    const retried = await client.post(order.finalize, { csr: der.toString("base64url") });
    if (retried.status === 200) expect((retried.json as Obj).certificate).toBe(certUrl);
    else expect(retried.json).toMatchObject({ type: "urn:ietf:params:acme:error:orderNotReady" });
    const listed = await fetch(`${worker.url}/v1/certificates?hostname=kuma-control-plane.kuma-system`, { headers: { authorization: `Bearer ${worker.authority.tokens.admin}` } });
    expect(((await listed.json()) as { certificates: unknown[] }).certificates).toHaveLength(1);

    const download = await client.post(certUrl, "", { accept: "application/pem-certificate-chain" });
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toMatch(/^application\/pem-certificate-chain/);
    // What cert-manager writes into the Secret the chart mounts: tls.crt (leaf + intermediates) and tls.key.
    const tlsCrt = join(temp.dir, "tls.crt");
    writeFileSync(tlsCrt, download.body);
    const caFile = join(temp.dir, "ca.crt");
    writeFileSync(caFile, await (await fetch(`${worker.url}/v1/ca`)).text());
    const untrusted = join(temp.dir, "intermediates.pem");
    writeFileSync(untrusted, splitPem(download.body).slice(1).join(""));
    for (const name of dnsNames) {
      const v = opensslVerify({ ca: caFile, untrusted, cert: tlsCrt, hostname: name });
      expect(v.ok, `${name}: ${v.stdout}${v.stderr}`).toBe(true);
    }
    const leaf = new X509Certificate(splitPem(download.body)[0]!);
    expect(leaf.checkPrivateKey(createPrivateKey(readFileSync(keyFile)))).toBe(true);
    expect(Date.parse(leaf.validTo)).toBe(notAfter.getTime());
    const record = await fetch(`${worker.url}/v1/certificates/${leaf.serialNumber}`, { headers: { authorization: `Bearer ${worker.authority.tokens.admin}` } });
    expect(await record.json()).toMatchObject({ token_name: "kuma-cluster", hostnames: dnsNames, acme_account_id: accountUrl!.split("/").pop() });
  });

  it("a Certificate duration beyond the token's max_ttl is refused with malformed naming the limit, before anything is issued", async () => {
    const { secret, issuer } = await printedIssuer();
    const acme = issuer.spec.acme;
    const eab = { kid: acme.externalAccountBinding.keyID as string, hmac_key: rawUrlDecode(secret.stringData["hmac-key"]).toString("base64url") };
    const client = await AcmeClient.connect(acme.server, { ...(await generateKeyPair("RS256", { modulusLength: 2048, extractable: true })), alg: "RS256" });
    expect((await client.register(eab)).status).toBe(201);
    const tooLong = new Date(Date.now() + 100 * DAY);
    const placed = await client.post(client.directory.newOrder, { identifiers: [{ type: "dns", value: "kuma-control-plane.kuma-system" }], notAfter: tooLong.toISOString() });
    expect(placed.status).toBe(400);
    expect(placed.json).toMatchObject({ type: "urn:ietf:params:acme:error:malformed" });
    expect(String((placed.json as Obj).detail)).toMatch(/90d|7776000|90 days|2160h/);
  });
});
